"""Helpers every app's tests share: funding, the books, Stripe, tracking and payouts set-ups.

Fixtures live in the root `conftest.py`; these are plain functions a test imports.
"""
