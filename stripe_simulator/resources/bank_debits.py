"""US bank accounts (ACH Direct Debit): `us_bank_account` PaymentMethods and payments that stay
`processing` until the bank settles them, days later at Stripe; here when the test says so
(`sim.settle_bank_debits()`, `POST /_sim/bank_debits/settle`) or by itself after
`bank_debit_settle_seconds` (`--bank-debit-settle-seconds`, `STRIPE_SIM_BANK_DEBIT_SETTLE_SECONDS`).

Stripe's test bank details: routing number 110000000 with these account numbers (any other
account number with a valid routing number succeeds):

    000123456789  the payment succeeds
    000111111113  fails: account_closed
    000111111116  fails: no_account
    000222222227  fails: insufficient_funds
    000333333335  fails: debit_not_authorized
    000444444440  fails: invalid_currency
    000555555559  succeeds, then is disputed
    000000000009  stays processing (until failed by name, or canceled)

Stripe's test PaymentMethod ids stand for the same accounts: `pm_usBankAccount_success`,
`pm_usBankAccount_accountClosed`, `pm_usBankAccount_noAccount`, `pm_usBankAccount_insufficientFunds`,
`pm_usBankAccount_debitNotAuthorized`, `pm_usBankAccount_invalidCurrency`, `pm_usBankAccount_dispute`,
`pm_usBankAccount_processing`.

A payment goes `processing` at confirmation (`payment_intent.processing`, a `pending` charge,
`charge.pending`), then `succeeded` (`charge.succeeded`, `payment_intent.succeeded`, and
`checkout.session.async_payment_succeeded` when paid through Checkout) or back to
`requires_payment_method` (`charge.failed`, `payment_intent.payment_failed`,
`checkout.session.async_payment_failed`).
"""

from __future__ import annotations

import hashlib

from ..errors import StripeError
from ..fixtures import build
from ..state import new_id

TEST_ROUTING_NUMBER = "110000000"
BANK_NAME = "STRIPE TEST BANK"
FAILURES = {
    "000111111113": "account_closed",
    "000111111116": "no_account",
    "000222222227": "insufficient_funds",
    "000333333335": "debit_not_authorized",
    "000444444440": "invalid_currency",
}
DISPUTED, NEVER_SETTLES = "000555555559", "000000000009"
TEST_PAYMENT_METHODS = {
    "pm_usBankAccount_success": "000123456789",
    "pm_usBankAccount_accountClosed": "000111111113",
    "pm_usBankAccount_noAccount": "000111111116",
    "pm_usBankAccount_insufficientFunds": "000222222227",
    "pm_usBankAccount_debitNotAuthorized": "000333333335",
    "pm_usBankAccount_invalidCurrency": "000444444440",
    "pm_usBankAccount_dispute": DISPUTED,
    "pm_usBankAccount_processing": NEVER_SETTLES,
}
FAILURE_MESSAGES = {
    "account_closed": "The customer's bank account has been closed.",
    "no_account": "The customer's bank account could not be located.",
    "insufficient_funds": "The customer's account has insufficient funds to cover this payment.",
    "debit_not_authorized": "The customer has notified their bank that this payment was unauthorized.",
    "invalid_currency": "The bank was unable to process this payment because of its currency.",
}


def routing_number_ok(number: str) -> bool:
    """An ABA routing number: nine digits whose weighted sum (3, 7, 1) is a multiple of ten."""
    if len(number) != 9 or not number.isdigit():
        return False
    digits = [int(d) for d in number]
    return sum(d * w for d, w in zip(digits, (3, 7, 1) * 3, strict=True)) % 10 == 0


def bank_payment_method(ctx, params: dict, billing_details=None) -> dict:
    """Create and store a `us_bank_account` PaymentMethod, or Stripe's refusal of its details."""
    routing = str(params.get("routing_number") or "").strip()
    account = str(params.get("account_number") or "").strip()
    if not routing or not account:
        missing = "us_bank_account[routing_number]" if not routing else "us_bank_account[account_number]"
        raise StripeError(f"Missing required param: {missing}.", code="parameter_missing", param=missing)
    if not routing_number_ok(routing):
        raise StripeError(
            "Routing number must have 9 digits and be a valid ABA routing number.",
            code="invalid_routing_number",
            param="us_bank_account[routing_number]",
            cacheable=False,
        )
    if not account.isdigit() or not 4 <= len(account) <= 17:
        raise StripeError(
            "Account number must be 4 to 17 digits.",
            code="invalid_bank_account_number",
            param="us_bank_account[account_number]",
            cacheable=False,
        )
    pm = build("payment_method", id=new_id("pm"), customer=None, type="us_bank_account", card=None)
    pm["us_bank_account"] = {
        "account_holder_type": params.get("account_holder_type") or "individual",
        "account_type": params.get("account_type") or "checking",
        "bank_name": BANK_NAME,
        "financial_connections_account": None,
        "fingerprint": hashlib.sha256(f"{routing}:{account}".encode()).hexdigest()[:16],
        "last4": account[-4:],
        "networks": {"preferred": "ach", "supported": ["ach"]},
        "routing_number": routing,
        "status_details": {},
    }
    if isinstance(billing_details, dict):
        pm["billing_details"].update(billing_details)
    ctx.state.put(pm, ctx.account)
    ctx.state.meta_of(pm["id"]).update(
        behaviour="bank",
        failure_code=FAILURES.get(account),
        disputed=account == DISPUTED,
        never_settles=account == NEVER_SETTLES,
    )
    return pm


def test_payment_method(ctx, pm_id: str) -> dict:
    """A fresh PaymentMethod for one of Stripe's `pm_usBankAccount_*` test ids."""
    return bank_payment_method(
        ctx, {"routing_number": TEST_ROUTING_NUMBER, "account_number": TEST_PAYMENT_METHODS[pm_id]}
    )


def charge_details(pm: dict) -> dict:
    bank = pm["us_bank_account"]
    return {
        "type": "us_bank_account",
        "us_bank_account": {
            key: bank[key]
            for key in ("account_holder_type", "account_type", "bank_name", "fingerprint", "last4", "routing_number")
        },
    }


def start_debit(ctx, pi: dict, pm: dict, *, new_charge) -> dict:
    """Confirmation with a bank account: the debit is sent to the bank; nothing is final yet."""
    if "us_bank_account" not in (pi.get("payment_method_types") or []):
        raise StripeError(
            "The PaymentMethod provided (us_bank_account) is not allowed for this PaymentIntent. Please attach a "
            "PaymentMethod of one of the following types: " + ", ".join(pi.get("payment_method_types") or ["card"]),
            code="payment_intent_invalid_parameter",
            param="payment_method",
        )
    charge = new_charge(ctx, pi, pm, status="pending")
    if pi["setup_future_usage"] and pi["customer"] and not pm["customer"]:
        pm["customer"] = pi["customer"]
    pi.update(status="processing", latest_charge=charge["id"], next_action=None, last_payment_error=None)
    pi["payment_method"] = pm["id"]
    ctx.emit("charge.pending", charge)
    ctx.emit("payment_intent.processing", pi)
    ctx.sim.schedule_bank_debit(pi["id"])
    return pi


def settle(ctx, *, succeed_payment, fail_ids=(), only: str | None = None) -> list[dict]:
    """Land every `processing` bank payment (or only the one `only` names): the failing test
    accounts (and `fail_ids`) fail, the others succeed. Returns the intents, as they are now."""
    settled = []
    for pi in ctx.state.all("payment_intent", ctx.account):
        if pi["status"] != "processing" or only not in (None, pi["id"]):
            continue
        pm = ctx.state.get("payment_method", pi["payment_method"], any_owner=True)
        meta = ctx.state.meta_of(pm["id"])
        failure = meta.get("failure_code")
        if pi["id"] in fail_ids:
            failure = failure or "insufficient_funds"
        elif meta.get("never_settles"):
            continue
        charge = ctx.state.get("charge", pi["latest_charge"], any_owner=True)
        if failure:
            _fail(ctx, pi, pm, charge, failure)
        else:
            _succeed(ctx, pi, pm, charge, succeed_payment)
        settled.append(pi)
    return settled


def _succeed(ctx, pi, pm, charge, succeed_payment) -> None:
    # The pending charge becomes the paid one (same id, as at Stripe).
    succeed_payment(ctx, pi, pm, charge=charge)
    _session_event(ctx, pi, "checkout.session.async_payment_succeeded", payment_status="paid")
    if ctx.state.meta_of(pm["id"]).get("disputed"):
        from .disputes import open_dispute  # disputes builds on payments, which imports this module

        open_dispute(ctx, charge["id"], "debit_not_authorized")


def _fail(ctx, pi, pm, charge, failure) -> None:
    message = FAILURE_MESSAGES.get(failure, "The customer's bank could not process this payment.")
    charge.update(status="failed", failure_code=failure, failure_message=message, paid=False, captured=False)
    pi.update(
        status="requires_payment_method",
        payment_method=None,
        last_payment_error={
            "type": "invalid_request_error",
            "code": failure,
            "message": message,
            "charge": charge["id"],
            "payment_method": dict(pm),
        },
    )
    ctx.emit("charge.failed", charge)
    ctx.emit("payment_intent.payment_failed", pi)
    _session_event(ctx, pi, "checkout.session.async_payment_failed", payment_status="unpaid")


def _session_event(ctx, pi: dict, event_type: str, *, payment_status: str) -> None:
    for session in ctx.state.all("checkout.session", ctx.account):
        if session.get("payment_intent") == pi["id"]:
            session["payment_status"] = payment_status
            ctx.emit(event_type, session)
