"""Transactions seen from a service that must not call Stripe inside one."""

from django.db import connection


def in_callers_transaction() -> bool:
    """Whether a caller's transaction is open around this code. A test case's own wrapping
    transactions do not count, by the rule Django applies to `atomic(durable=True)`: code at the
    outermost level of a test runs as it would at the outermost level in production."""
    return any(not block._from_testcase for block in connection.atomic_blocks)
