"""What campaigns tells the apps above it, without importing them (README, "Layout").

Each signal is sent inside the transaction that made the change, and receivers are connected in
their app's `AppConfig.ready`: a receiver's writes commit or roll back with the change, and an
exception from a receiver undoes it.
"""

from django.dispatch import Signal

# Sent with `work` when submitted work is approved. Payouts pays the milestone from the campaign's
# budget; it raises `WorkNotPayable` when the budget cannot, which undoes the approval.
work_approved = Signal()

# Sent with `campaign` (its row locked), `participation` and `amount_cents` when the advertiser
# plans a milestone, before it is saved. Billing raises `BudgetExceeded` when the funded budget
# cannot pay it with its fixed fee per milestone payment (and the others still to pay), which
# refuses it with nothing changed.
milestone_planning = Signal()

# Sent with `work` and `campaign_id` when work an ended (completed or cancelled) campaign kept
# money for is reviewed: billing refunds to the advertiser what the review did not pay.
ended_campaign_work_reviewed = Signal()

# Sent with `campaign` and `actor` after a campaign is completed or cancelled, once the change
# has committed (callers call outside a transaction): billing refunds the unused budget and fee.
campaign_closed = Signal()
