"""What billing tells the apps above it, without importing them (README, "Layout").

Receivers are connected in their app's `AppConfig.ready`.
"""

from django.dispatch import Signal

# Sent with `campaign` (row locked) inside the transaction that gave a live campaign budget back
# (a top-up, a won dispute, a refunded sale's commission): tracking pays the Salesman sales that
# wait for budget, after commit.
budget_returned = Signal()

# Sent with `campaign` before an ended campaign's unused budget is refunded: apps that owe
# promoters for work already counted (tracking's views not yet accrued) post it first, so the
# refund returns only what nobody earned.
budget_refund_starting = Signal()
