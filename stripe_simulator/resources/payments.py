"""SetupIntents, PaymentIntents and charges: the payment state machine (refunds and the balance
have their own modules)."""

from __future__ import annotations

import copy

from .. import cards
from ..errors import StripeError, missing, unexpected_state
from ..fixtures import build
from ..limits import amount_checked, currency_checked
from ..params import merge_metadata, to_bool, to_int
from ..state import new_id, now
from . import bank_debits
from .balance import record_balance_transaction
from .base import Ctx, Route, get_or_404, list_where
from .customers import card_decline_error, customer_checked, resolve_payment_method

_CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")


# ----------------------------------------------------------------- charges
def _card_details(ctx: Ctx, pm: dict) -> dict:
    if pm["type"] == "us_bank_account":
        return bank_debits.charge_details(pm)
    details = build("charge")["payment_method_details"]
    card = details["card"]
    card.update(
        brand=pm["card"]["brand"],
        network=pm["card"]["brand"],
        last4=pm["card"]["last4"],
        exp_month=pm["card"]["exp_month"],
        exp_year=pm["card"]["exp_year"],
        fingerprint=pm["card"]["fingerprint"],
        wallet=None,
        amount_authorized=None,
    )
    return details


def _new_charge(ctx: Ctx, pi: dict, pm: dict, *, status: str, decline_code: str | None = None) -> dict:
    ch = build(
        "charge",
        id=new_id("ch"),
        amount=pi["amount"],
        amount_captured=pi["amount"] if status in ("succeeded", "pending") else 0,
        captured=status in ("succeeded", "pending"),
        paid=status == "succeeded",
        status=status,
        currency=pi["currency"],
        customer=pi["customer"],
        description=pi["description"],
        metadata=copy.deepcopy(pi["metadata"]),
        payment_intent=pi["id"],
        payment_method=pm["id"],
        payment_method_details=_card_details(ctx, pm),
        billing_details=copy.deepcopy(pm["billing_details"]),
        transfer_group=pi["transfer_group"],
        receipt_email=pi["receipt_email"],
        on_behalf_of=pi.get("on_behalf_of"),
        calculated_statement_descriptor="STRIPE SIMULATOR",
        balance_transaction=None,
        refunds={"object": "list", "data": [], "has_more": False, "url": "/v1/charges/x/refunds"},
    )
    ch["refunds"]["url"] = f"/v1/charges/{ch['id']}/refunds"
    if status not in ("succeeded", "pending"):
        ch["failure_code"] = cards.DECLINE_ERROR_CODES.get(decline_code, "card_declined")
        ch["failure_message"] = cards.DECLINE_MESSAGES.get(decline_code, "Your card was declined.")
        ch["outcome"].update(
            network_status="declined_by_network",
            reason=decline_code,
            seller_message="The bank did not return any further details with this decline.",
            type="issuer_declined",
        )
    ctx.state.put(ch, ctx.account)
    return ch


def retrieve_charge(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "charge", id)


def list_charges(ctx: Ctx) -> dict:
    keys = ("customer", "payment_intent", "transfer_group")
    return list_where(ctx, "charge", "/v1/charges", keys, by_created=True)


# ----------------------------------------------------------------- payment intents
def _intent_save(ctx: Ctx, intent: dict) -> None:
    """Save a new payment or setup intent and emit its `.created` event; with the request's
    `payment_method`, attached to it, it then requires confirmation."""
    if ctx.params.get("payment_method"):
        intent["payment_method"] = resolve_payment_method(ctx, ctx.params["payment_method"])["id"]
        intent["status"] = "requires_confirmation"
    ctx.state.put(intent, ctx.account)
    ctx.emit(f"{intent['object']}.created", intent)


def create_payment_intent(ctx: Ctx) -> dict:
    p = ctx.params
    currency = currency_checked(p["currency"])
    amount = amount_checked(to_int(p, "amount", required=True), currency, charged=True)
    customer_checked(ctx)
    pi_id = new_id("pi")
    pi = build(
        "payment_intent",
        id=pi_id,
        amount=amount,
        currency=currency,
        client_secret=f"{pi_id}_secret_{new_id('s')[2:]}",
        customer=p.get("customer") or None,
        description=p.get("description") or None,
        metadata=merge_metadata({}, p.get("metadata")),
        transfer_group=p.get("transfer_group") or None,
        receipt_email=p.get("receipt_email") or None,
        setup_future_usage=p.get("setup_future_usage") or None,
        statement_descriptor=p.get("statement_descriptor") or None,
        statement_descriptor_suffix=p.get("statement_descriptor_suffix") or None,
        payment_method_types=p.get("allowed_payment_method_types") or p.get("payment_method_types") or ["card"],
        capture_method=p.get("capture_method", "automatic"),
        confirmation_method=p.get("confirmation_method", "automatic"),
        on_behalf_of=p.get("on_behalf_of") or None,
        application_fee_amount=to_int(p, "application_fee_amount"),
        transfer_data=p.get("transfer_data") or None,
        status="requires_payment_method",
    )
    if isinstance(p.get("automatic_payment_methods"), dict):
        pi["automatic_payment_methods"] = {
            "enabled": to_bool(p["automatic_payment_methods"].get("enabled")),
            "allow_redirects": p["automatic_payment_methods"].get("allow_redirects", "always"),
        }
    _intent_save(ctx, pi)
    if to_bool(p.get("confirm")):
        confirm_params = {k: p[k] for k in ("off_session", "return_url", "setup_future_usage") if k in p}
        return _confirm_payment_intent(ctx, pi, confirm_params)
    if p.get("off_session") not in (None, ""):
        raise StripeError(
            "You can only pass in `off_session` when `confirm` is set to true.", param="off_session", cacheable=False
        )
    return pi


def retrieve_payment_intent(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "payment_intent", id)


def update_payment_intent(ctx: Ctx, id: str) -> dict:
    pi = get_or_404(ctx, "payment_intent", id)
    p = ctx.params
    if pi["status"] in ("succeeded", "canceled"):
        raise unexpected_state(
            f"This PaymentIntent's {next(iter(p), 'parameters')} could not be updated because it has a status of "
            f"{pi['status']}. You may only update the {next(iter(p), 'parameters')} of a PaymentIntent with one of "
            "the following statuses: requires_payment_method, requires_confirmation, requires_action."
        )
    if "currency" in p:
        p["currency"] = currency_checked(p["currency"])
    if "amount" in p or "currency" in p:
        currency = p.get("currency") or pi["currency"]
        amount = to_int(p, "amount") if "amount" in p else pi["amount"]
        pi["amount"] = amount_checked(amount, currency, charged=True)
    for key in ("currency", "description", "transfer_group", "receipt_email", "setup_future_usage", "customer"):
        if key in p:
            pi[key] = p[key] or None
    if "metadata" in p:
        pi["metadata"] = merge_metadata(pi["metadata"], p["metadata"])
    if p.get("payment_method"):
        pi["payment_method"] = resolve_payment_method(ctx, p["payment_method"])["id"]
        pi["status"] = "requires_confirmation"
    return pi


def confirm_payment_intent(ctx: Ctx, id: str) -> dict:
    pi = get_or_404(ctx, "payment_intent", id)
    return _confirm_payment_intent(ctx, pi, ctx.params)


def _confirm_payment_intent(ctx: Ctx, pi: dict, p: dict) -> dict:
    if pi["status"] not in _CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}. Only a PaymentIntent "
            "with one of the following statuses may be confirmed: requires_confirmation, requires_action, "
            "requires_payment_method.",
            payment_intent=copy.deepcopy(pi),
        )
    if p.get("payment_method"):
        pi["payment_method"] = resolve_payment_method(ctx, p["payment_method"])["id"]
    if not pi["payment_method"]:
        raise unexpected_state(
            "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update "
            "the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with "
            "a payment method.",
            payment_intent=copy.deepcopy(pi),
        )
    if p.get("setup_future_usage"):
        pi["setup_future_usage"] = p["setup_future_usage"]
    pm = resolve_payment_method(ctx, pi["payment_method"])
    if pm["customer"] and pi["customer"] and pm["customer"] != pi["customer"]:
        raise StripeError(
            f"The provided PaymentMethod belongs to a different Customer ({pm['customer']}).", param="payment_method"
        )
    off_session = p.get("off_session") not in (None, "", "false", False)
    pi_meta = ctx.state.meta_of(pi["id"])
    pi_meta["return_url"] = p.get("return_url") or pi_meta.get("return_url")
    behaviour = ctx.state.meta_of(pm["id"]).get("behaviour", "succeed")
    needs_auth = behaviour == "auth_always" or (
        behaviour == "auth_on_setup" and not ctx.state.meta_of(pm["id"]).get("setup_done")
    )
    if needs_auth and not pi_meta.get("authenticated"):
        if off_session:
            return _fail_payment(ctx, pi, pm, "authentication_required")
        return _require_action(ctx, pi, "payment_intent")
    if pm["type"] == "us_bank_account":
        return bank_debits.start_debit(ctx, pi, pm, new_charge=_new_charge)
    if behaviour in ("decline", "decline_on_charge"):
        return _fail_payment(ctx, pi, pm, ctx.state.meta_of(pm["id"])["decline_code"])
    succeeded = _succeed_payment(ctx, pi, pm)
    if behaviour == "dispute":
        from .disputes import open_dispute  # disputes builds on this module's balance records

        open_dispute(ctx, succeeded["latest_charge"])
    return succeeded


def _require_action(ctx: Ctx, intent: dict, kind: str) -> dict:
    """Park the intent until someone completes 3DS on the simulator's page."""
    auth_url = f"{ctx.base_url}/_sim/authenticate/{intent['id']}"
    return_url = ctx.state.meta_of(intent["id"]).get("return_url")
    intent["status"] = "requires_action"
    if return_url:
        intent["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"url": auth_url, "return_url": return_url},
        }
    else:
        intent["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": auth_url, "source": intent["id"]},
        }
    ctx.emit(f"{kind}.requires_action", intent)
    return intent


def _succeed_payment(ctx: Ctx, pi: dict, pm: dict, charge: dict | None = None) -> dict:
    """The payment goes through; `charge`: a bank debit's pending charge, now paid."""
    if charge is None:
        ch = _new_charge(ctx, pi, pm, status="succeeded")
    else:
        ch = charge
        ch.update(status="succeeded", paid=True, captured=True, amount_captured=ch["amount"])
    txn = record_balance_transaction(
        ctx,
        amount=ch["amount"],
        currency=ch["currency"],
        type_="charge",
        source=ch["id"],
        owner=ctx.account,
        fee=True,
        description=ch["description"],
    )
    ch["balance_transaction"] = txn["id"]
    if pi["setup_future_usage"] and pi["customer"] and not pm["customer"]:
        pm["customer"] = pi["customer"]
        ctx.state.meta_of(pm["id"])["setup_done"] = True
    pi.update(
        status="succeeded",
        amount_received=pi["amount"],
        latest_charge=ch["id"],
        next_action=None,
        last_payment_error=None,
        payment_method=pm["id"],
    )
    ctx.emit("charge.succeeded", ch)
    ctx.emit("payment_intent.succeeded", pi)
    return pi


def _fail_payment(ctx: Ctx, pi: dict, pm: dict, decline_code: str) -> dict:
    ch = _new_charge(ctx, pi, pm, status="failed", decline_code=decline_code)
    err = card_decline_error(ctx, decline_code)
    pi.update(
        status="requires_payment_method",
        latest_charge=ch["id"],
        next_action=None,
        payment_method=None,
        last_payment_error={
            "type": "card_error",
            "code": err.code,
            "decline_code": decline_code,
            "message": err.message,
            "charge": ch["id"],
            "doc_url": err.body()["error"]["doc_url"],
            "payment_method": copy.deepcopy(pm),
        },
    )
    ctx.emit("charge.failed", ch)
    ctx.emit("payment_intent.payment_failed", pi)
    err.extra.update(charge=ch["id"], payment_intent=copy.deepcopy(pi), payment_method=copy.deepcopy(pm))
    raise err


def cancel_payment_intent(ctx: Ctx, id: str) -> dict:
    pi = get_or_404(ctx, "payment_intent", id)
    if pi["status"] in ("succeeded", "canceled"):
        raise unexpected_state(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. Only a PaymentIntent "
            "with one of the following statuses may be canceled: requires_payment_method, requires_capture, "
            "requires_confirmation, requires_action, processing."
        )
    pi.update(
        status="canceled",
        canceled_at=now(),
        cancellation_reason=ctx.params.get("cancellation_reason") or None,
        next_action=None,
    )
    ctx.emit("payment_intent.canceled", pi)
    return pi


def list_payment_intents(ctx: Ctx) -> dict:
    return list_where(ctx, "payment_intent", "/v1/payment_intents", ("customer",), by_created=True)


# ----------------------------------------------------------------- setup intents
def create_setup_intent(ctx: Ctx) -> dict:
    p = ctx.params
    customer_checked(ctx)
    si_id = new_id("seti")
    si = build(
        "setup_intent",
        id=si_id,
        client_secret=f"{si_id}_secret_{new_id('s')[2:]}",
        customer=p.get("customer") or None,
        description=p.get("description") or None,
        metadata=merge_metadata({}, p.get("metadata")),
        usage=p.get("usage", "off_session"),
        payment_method_types=p.get("allowed_payment_method_types") or p.get("payment_method_types") or ["card"],
        status="requires_payment_method",
    )
    _intent_save(ctx, si)
    if to_bool(p.get("confirm")):
        return _confirm_setup_intent(ctx, si, {k: p[k] for k in ("return_url",) if k in p})
    return si


def retrieve_setup_intent(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "setup_intent", id)


def confirm_setup_intent(ctx: Ctx, id: str) -> dict:
    return _confirm_setup_intent(ctx, get_or_404(ctx, "setup_intent", id), ctx.params)


def _confirm_setup_intent(ctx: Ctx, si: dict, p: dict) -> dict:
    if si["status"] not in _CONFIRMABLE:
        raise unexpected_state(
            f"You cannot confirm this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
        )
    if p.get("payment_method"):
        si["payment_method"] = resolve_payment_method(ctx, p["payment_method"])["id"]
    if not si["payment_method"]:
        raise unexpected_state(
            "You cannot confirm this SetupIntent because it's missing a payment method.",
            code="setup_intent_unexpected_state",
        )
    pm = resolve_payment_method(ctx, si["payment_method"])
    pm_meta = ctx.state.meta_of(pm["id"])
    si_meta = ctx.state.meta_of(si["id"])
    si_meta["return_url"] = p.get("return_url") or si_meta.get("return_url")
    behaviour = pm_meta.get("behaviour", "succeed")
    if behaviour in ("auth_always", "auth_on_setup") and not si_meta.get("authenticated"):
        return _require_action(ctx, si, "setup_intent")
    if behaviour == "decline":
        err = card_decline_error(ctx, pm_meta["decline_code"])
        si.update(
            status="requires_payment_method",
            payment_method=None,
            last_setup_error={
                "type": "card_error",
                "code": err.code,
                "decline_code": pm_meta["decline_code"],
                "message": err.message,
                "payment_method": copy.deepcopy(pm),
            },
        )
        ctx.emit("setup_intent.setup_failed", si)
        err.extra.update(setup_intent=copy.deepcopy(si))
        raise err
    return succeed_setup_intent(ctx, si, pm)


def succeed_setup_intent(ctx: Ctx, si: dict, pm: dict) -> dict:
    if si["customer"]:
        pm["customer"] = si["customer"]
    ctx.state.meta_of(pm["id"])["setup_done"] = True
    si.update(status="succeeded", next_action=None, last_setup_error=None, payment_method=pm["id"])
    ctx.emit("setup_intent.succeeded", si)
    return si


def cancel_setup_intent(ctx: Ctx, id: str) -> dict:
    si = get_or_404(ctx, "setup_intent", id)
    if si["status"] in ("succeeded", "canceled"):
        raise unexpected_state(
            f"You cannot cancel this SetupIntent because it has a status of {si['status']}.",
            code="setup_intent_unexpected_state",
        )
    si.update(status="canceled", cancellation_reason=ctx.params.get("cancellation_reason") or None)
    ctx.emit("setup_intent.canceled", si)
    return si


def list_setup_intents(ctx: Ctx) -> dict:
    return list_where(ctx, "setup_intent", "/v1/setup_intents", ("customer",))


def settle_bank_debits(ctx: Ctx, fail_ids=(), only: str | None = None) -> list[dict]:
    """Land every processing bank payment, or only the one `only` names (see bank_debits)."""
    return bank_debits.settle(ctx, succeed_payment=_succeed_payment, fail_ids=set(fail_ids), only=only)


def complete_authentication(ctx: Ctx, intent_id: str, success: bool = True) -> dict:
    """What the 3DS page does: finish (or fail) authentication of a requires_action intent."""
    kind = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
    intent = ctx.state.get(kind, intent_id, any_owner=True)
    if intent is None:
        raise missing(kind.replace("_", " "), intent_id)
    if intent["status"] != "requires_action":
        raise unexpected_state(f"This {kind} is not awaiting authentication (status {intent['status']}).")
    ctx.account = ctx.state.owner.get(intent_id)
    if not success:
        intent["status"] = "requires_payment_method"
        intent["next_action"] = None
        error = {
            "type": "invalid_request_error",
            "code": f"{kind}_authentication_failure",
            "message": "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
            "or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
        }
        intent["last_payment_error" if kind == "payment_intent" else "last_setup_error"] = error
        intent["payment_method"] = None
        ctx.emit("payment_intent.payment_failed" if kind == "payment_intent" else "setup_intent.setup_failed", intent)
        return intent
    ctx.state.meta_of(intent_id)["authenticated"] = True
    if kind == "setup_intent":
        return _confirm_setup_intent(ctx, intent, {})
    return _confirm_payment_intent(ctx, intent, {})


ROUTES = [
    Route("POST", "/v1/payment_intents", "PaymentIntentCreateParams", create_payment_intent, ("amount", "currency")),
    Route("GET", "/v1/payment_intents", "PaymentIntentListParams", list_payment_intents),
    Route("GET", "/v1/payment_intents/<id>", "PaymentIntentRetrieveParams", retrieve_payment_intent),
    Route("POST", "/v1/payment_intents/<id>", "PaymentIntentUpdateParams", update_payment_intent),
    Route("POST", "/v1/payment_intents/<id>/confirm", "PaymentIntentConfirmParams", confirm_payment_intent),
    Route("POST", "/v1/payment_intents/<id>/cancel", "PaymentIntentCancelParams", cancel_payment_intent),
    Route("POST", "/v1/setup_intents", "SetupIntentCreateParams", create_setup_intent),
    Route("GET", "/v1/setup_intents", "SetupIntentListParams", list_setup_intents),
    Route("GET", "/v1/setup_intents/<id>", "SetupIntentRetrieveParams", retrieve_setup_intent),
    Route("POST", "/v1/setup_intents/<id>/confirm", "SetupIntentConfirmParams", confirm_setup_intent),
    Route("POST", "/v1/setup_intents/<id>/cancel", "SetupIntentCancelParams", cancel_setup_intent),
    Route("GET", "/v1/charges", "ChargeListParams", list_charges),
    Route("GET", "/v1/charges/<id>", "ChargeRetrieveParams", retrieve_charge),
]
