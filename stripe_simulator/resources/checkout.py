"""Checkout Sessions and what paying on the hosted page does."""

from __future__ import annotations

import dataclasses

from ..errors import StripeError, missing
from ..fixtures import build
from ..limits import amount_checked, currency_checked
from ..params import merge_metadata, to_int
from ..state import new_id, now
from . import bank_debits
from .base import Ctx, Route, get_or_404, list_where, paginate
from .customers import card_payment_method, create_customer, customer_checked
from .payments import _confirm_payment_intent, _confirm_setup_intent, create_payment_intent, create_setup_intent

# Keys of `payment_intent_data` copied onto the PaymentIntent the session creates.
_PI_DATA_KEYS = (
    "description",
    "metadata",
    "transfer_group",
    "setup_future_usage",
    "receipt_email",
    "on_behalf_of",
    "transfer_data",
    "application_fee_amount",
    "statement_descriptor",
)


def _line_items(ctx: Ctx, raw) -> list[dict]:
    if not isinstance(raw, list) or not raw:
        raise StripeError("You must provide at least one line item in `payment` mode.", param="line_items")
    items = []
    for i, li in enumerate(raw):
        quantity = to_int(li, "quantity", default=1)
        if li.get("price"):
            raise missing("price", li["price"], f"line_items[{i}][price]")
        pd = li.get("price_data")
        if not isinstance(pd, dict):
            raise StripeError(
                f"You must specify either `price` or `price_data` in line_items[{i}].", param=f"line_items[{i}]"
            )
        currency = currency_checked(pd.get("currency"), param=f"line_items[{i}][price_data][currency]")
        unit = to_int(pd, "unit_amount", required=True)
        amount_checked(unit, currency, param=f"line_items[{i}][price_data][unit_amount]")
        name = (pd.get("product_data") or {}).get("name") or "Item"
        item = build(
            "item",
            id=new_id("li"),
            quantity=quantity,
            currency=currency,
            description=name,
            amount_subtotal=unit * quantity,
            amount_total=unit * quantity,
            amount_discount=0,
            amount_tax=0,
            metadata=None,
            adjustable_quantity=None,
        )
        item["price"].update(
            id=new_id("price"),
            currency=item["currency"],
            unit_amount=unit,
            unit_amount_decimal=str(unit),
            product=new_id("prod", 14),
            recurring=None,
            transform_quantity=None,
            custom_unit_amount=None,
            created=now(),
        )
        items.append(item)
    if len({i["currency"] for i in items}) > 1:
        raise StripeError("All line items must have the same currency.", param="line_items")
    amount_checked(sum(i["amount_total"] for i in items), items[0]["currency"], param="line_items", charged=True)
    return items


def create_session(ctx: Ctx) -> dict:
    p = ctx.params
    mode = p["mode"]
    if mode not in ("payment", "setup"):
        raise StripeError(f"The simulator does not support `mode={mode}`.", param="mode")
    customer_checked(ctx)
    items = _line_items(ctx, p.get("line_items")) if mode == "payment" else []
    total = sum(i["amount_total"] for i in items)
    cs_id = new_id("cs_test", 58)
    session = build(
        "checkout.session",
        id=cs_id,
        mode=mode,
        status="open",
        payment_status="unpaid" if mode == "payment" else "no_payment_required",
        amount_subtotal=total if mode == "payment" else None,
        amount_total=total if mode == "payment" else None,
        currency=items[0]["currency"] if items else (p.get("currency") or None),
        customer=p.get("customer") or None,
        customer_email=p.get("customer_email") or None,
        customer_creation=p.get("customer_creation") or ("if_required" if mode == "payment" else None),
        client_reference_id=p.get("client_reference_id") or None,
        metadata=merge_metadata({}, p.get("metadata")),
        success_url=p.get("success_url") or None,
        cancel_url=p.get("cancel_url") or None,
        payment_method_types=p.get("allowed_payment_method_types") or p.get("payment_method_types") or ["card"],
        expires_at=to_int(p, "expires_at", default=now() + 24 * 3600),
        url=f"{ctx.base_url}/checkout/{cs_id}",
        setup_intent=None,
        payment_intent=None,
        ui_mode=p.get("ui_mode", "hosted"),
        locale=p.get("locale") or None,
    )
    ctx.state.put(session, ctx.account)
    ctx.state.meta_of(cs_id).update(
        line_items=items,
        payment_intent_data=p.get("payment_intent_data") or {},
        setup_intent_data=p.get("setup_intent_data") or {},
    )
    return session


def retrieve_session(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "checkout.session", id, "checkout.session")


def list_sessions(ctx: Ctx) -> dict:
    keys = ("payment_intent", "customer", "status", "setup_intent")
    return list_where(ctx, "checkout.session", "/v1/checkout/sessions", keys)


def list_line_items(ctx: Ctx, id: str) -> dict:
    get_or_404(ctx, "checkout.session", id, "checkout.session")
    items = ctx.state.meta_of(id)["line_items"]
    return paginate(items, ctx.params, f"/v1/checkout/sessions/{id}/line_items")


def expire_session(ctx: Ctx, id: str) -> dict:
    session = get_or_404(ctx, "checkout.session", id, "checkout.session")
    if session["status"] != "open":
        raise StripeError(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status '
            f'of "{session["status"]}".',
        )
    session.update(status="expired", url=None)
    ctx.emit("checkout.session.expired", session)
    return session


# ----------------------------------------------------------------- hosted page actions
def pay_session(
    ctx: Ctx,
    id: str,
    card_number: str,
    email: str | None = None,
    name: str | None = None,
    account_number: str | None = None,
    routing_number: str | None = None,
) -> str:
    """Pay (or set up) with a test card, or with a US bank account when `account_number` is
    given, as a person would; returns the success redirect URL.

    Raises StripeError (card_error) if the card is declined; the session stays open. A bank
    payment is `processing` when this returns: `settle_bank_debits` lands it.
    """
    session = ctx.state.get("checkout.session", id, any_owner=True)
    if session is None:
        raise missing("checkout.session", id)
    ctx.account = ctx.state.owner.get(id)
    if session["status"] != "open":
        raise StripeError(f"This Checkout Session is {session['status']}.", code="checkout_session_unexpected_state")
    email = email or session["customer_email"]
    billing = {"email": email, "name": name or None}
    if account_number:
        if "us_bank_account" not in session["payment_method_types"]:
            raise StripeError("This Checkout Session does not accept bank accounts.", param="payment_method_types")
        bank = {"routing_number": routing_number or bank_debits.TEST_ROUTING_NUMBER, "account_number": account_number}
        pm = bank_debits.bank_payment_method(ctx, bank, billing)
    else:
        pm = card_payment_method(ctx, card_number.replace(" ", ""), billing_details=billing)
    customer = session["customer"]
    if not customer and session.get("customer_creation") == "always":
        customer = create_customer(dataclasses.replace(ctx, params={"email": email} if email else {}))["id"]
    if session["mode"] == "payment":
        _pay(ctx, session, pm, customer)
    else:
        _setup(ctx, session, pm, customer)
    session.update(
        status="complete",
        customer=customer,
        customer_details={
            "address": None,
            "email": email,
            "name": name or None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        payment_status=_payment_status(ctx, session),
        url=None,
    )
    ctx.emit("checkout.session.completed", session)
    return (session["success_url"] or "").replace("{CHECKOUT_SESSION_ID}", session["id"])


def _payment_status(ctx: Ctx, session: dict) -> str:
    """`paid` once the money is there; a bank debit still processing leaves it `unpaid`."""
    if session["mode"] != "payment":
        return "no_payment_required"
    pi = ctx.state.get("payment_intent", session["payment_intent"], any_owner=True)
    return "paid" if pi and pi["status"] == "succeeded" else "unpaid"


def _pay(ctx: Ctx, session: dict, pm: dict, customer: str | None) -> None:
    meta = ctx.state.meta_of(session["id"])
    if session["payment_intent"] is None:
        data = meta["payment_intent_data"]
        params = {k: data[k] for k in _PI_DATA_KEYS if k in data}
        params.update(
            amount=str(session["amount_total"]),
            currency=session["currency"],
            payment_method_types=list(session["payment_method_types"]),
        )
        if customer:
            params["customer"] = customer
        pi = create_payment_intent(dataclasses.replace(ctx, params=params))
        session["payment_intent"] = pi["id"]
    pi = ctx.state.get("payment_intent", session["payment_intent"], any_owner=True)
    # The person on the hosted page completes any 3D Secure challenge.
    ctx.state.meta_of(pi["id"])["authenticated"] = True
    _confirm_payment_intent(ctx, pi, {"payment_method": pm["id"]})


def _setup(ctx: Ctx, session: dict, pm: dict, customer: str | None) -> None:
    data = ctx.state.meta_of(session["id"])["setup_intent_data"]
    params = {k: data[k] for k in ("description", "metadata") if k in data}
    params.update(customer=customer, payment_method_types=list(session["payment_method_types"]))
    si = create_setup_intent(dataclasses.replace(ctx, params=params))
    session["setup_intent"] = si["id"]
    ctx.state.meta_of(si["id"])["authenticated"] = True
    _confirm_setup_intent(ctx, si, {"payment_method": pm["id"]})


def cancel_url(ctx: Ctx, id: str) -> str:
    session = ctx.state.get("checkout.session", id, any_owner=True)
    if session is None:
        raise missing("checkout.session", id)
    # Leaving the hosted page does not expire the session, as on Stripe.
    return (session["cancel_url"] or "").replace("{CHECKOUT_SESSION_ID}", session["id"])


ROUTES = [
    Route("POST", "/v1/checkout/sessions", "checkout.SessionCreateParams", create_session, ("mode",)),
    Route("GET", "/v1/checkout/sessions", "checkout.SessionListParams", list_sessions),
    Route("GET", "/v1/checkout/sessions/<id>", "checkout.SessionRetrieveParams", retrieve_session),
    Route("GET", "/v1/checkout/sessions/<id>/line_items", "checkout.SessionLineItemListParams", list_line_items),
    Route("POST", "/v1/checkout/sessions/<id>/expire", "checkout.SessionExpireParams", expire_session),
]
