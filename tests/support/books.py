"""The books must balance: every test that moves money ends with this."""

from billing.audit import ledger_audit


def assert_books_clean():
    """`audit_ledger`'s checks: balances, projections and Stripe-side accounts all agree."""
    report = ledger_audit()
    assert report.clean, report.differences
