"""Customers and PaymentMethods."""

from __future__ import annotations

from .. import cards
from ..errors import StripeError, missing
from ..fixtures import build
from ..params import merge_metadata, to_int
from ..state import new_id
from .base import Ctx, Route, get_or_404, list_under, list_where, paginate

# ----------------------------------------------------------------- customers
_CUSTOMER_FIELDS = ("email", "name", "phone", "description")


def create_customer(ctx: Ctx) -> dict:
    p = ctx.params
    cus = build("customer", id=new_id("cus", 14), invoice_prefix=new_id("x", 7)[2:].upper())
    _apply_customer(ctx, cus, p)
    ctx.state.put(cus, ctx.account)
    return cus


def _apply_customer(ctx: Ctx, cus: dict, p: dict) -> None:
    for key in _CUSTOMER_FIELDS:
        if key in p:
            cus[key] = p[key] or None
    if "metadata" in p:
        cus["metadata"] = merge_metadata(cus["metadata"], p["metadata"])
    if "address" in p and isinstance(p["address"], dict):
        cus["address"] = {**(cus.get("address") or {}), **p["address"]}
    settings = p.get("invoice_settings")
    if isinstance(settings, dict) and "default_payment_method" in settings:
        pm_id = settings["default_payment_method"] or None
        if pm_id:
            pm = ctx.state.get("payment_method", pm_id, ctx.account)
            if pm is None or pm["customer"] != cus["id"]:
                raise StripeError(
                    f"No such PaymentMethod: '{pm_id}'",
                    status=400,
                    code="resource_missing",
                    param="invoice_settings[default_payment_method]",
                )
        cus["invoice_settings"]["default_payment_method"] = pm_id


def customer_checked(ctx: Ctx) -> dict | None:
    """The customer the request names, if any; a missing one is a 404 on `customer`, as Stripe
    answers an intent or a Checkout session for it."""
    if not ctx.params.get("customer"):
        return None
    return get_or_404(ctx, "customer", ctx.params["customer"], "customer", "customer")


def retrieve_customer(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "customer", id)


def update_customer(ctx: Ctx, id: str) -> dict:
    cus = get_or_404(ctx, "customer", id)
    _apply_customer(ctx, cus, ctx.params)
    return cus


def list_customers(ctx: Ctx) -> dict:
    return list_where(ctx, "customer", "/v1/customers", ("email",))


def delete_customer(ctx: Ctx, id: str) -> dict:
    get_or_404(ctx, "customer", id)
    del ctx.state.objects["customer"][id]
    return {"id": id, "object": "customer", "deleted": True}


# ----------------------------------------------------------------- payment methods
def card_payment_method(ctx: Ctx, number: str, exp_month=12, exp_year=2034, billing_details=None) -> dict:
    """Create and store a card PaymentMethod for a test card number."""
    behaviour, decline_code = cards.behaviour_of(number)
    brand = cards.brand_of(number)
    pm = build("payment_method", id=new_id("pm"), customer=None, type="card")
    card = pm["card"]
    card.update(
        brand=brand,
        display_brand=brand,
        last4=number[-4:],
        exp_month=int(exp_month),
        exp_year=int(exp_year),
        fingerprint=cards.fingerprint(number),
        networks={"available": [brand], "preferred": None},
        wallet=None,
        generated_from=None,
    )
    if isinstance(billing_details, dict):
        pm["billing_details"].update(billing_details)
    ctx.state.put(pm, ctx.account)
    ctx.state.meta_of(pm["id"]).update(number=number, behaviour=behaviour, decline_code=decline_code)
    return pm


def resolve_payment_method(ctx: Ctx, pm_id: str, param: str = "payment_method") -> dict:
    """A stored PaymentMethod, or a fresh one for a test id such as `pm_card_visa`."""
    if pm_id in cards.TEST_PAYMENT_METHODS:
        return card_payment_method(ctx, cards.TEST_PAYMENT_METHODS[pm_id])
    from .bank_debits import TEST_PAYMENT_METHODS as BANK_TEST_PAYMENT_METHODS
    from .bank_debits import test_payment_method

    if pm_id in BANK_TEST_PAYMENT_METHODS:
        return test_payment_method(ctx, pm_id)
    pm = ctx.state.get("payment_method", pm_id, ctx.account)
    if pm is None:
        raise missing("PaymentMethod", pm_id, param)
    return pm


def create_payment_method(ctx: Ctx) -> dict:
    p = ctx.params
    if p.get("type") == "us_bank_account":
        from .bank_debits import bank_payment_method

        pm = bank_payment_method(ctx, p.get("us_bank_account") or {}, p.get("billing_details"))
        if "metadata" in p:
            pm["metadata"] = merge_metadata({}, p["metadata"])
        return pm
    if p.get("type", "card") != "card":
        raise StripeError(
            f"The payment method type `{p.get('type')}` is not supported by this simulator.", param="type"
        )
    card = p.get("card")
    if not isinstance(card, dict):
        raise StripeError("Missing required param: card.", code="parameter_missing", param="card", cacheable=False)
    if card.get("token"):
        number = cards.TEST_TOKENS.get(card["token"])
        if number is None:
            raise missing("token", card["token"], "card[token]")
        pm = card_payment_method(ctx, number, billing_details=p.get("billing_details"))
    else:
        number = str(card.get("number", "")).replace(" ", "")
        if not number:
            raise StripeError("Missing required param: card[number].", code="parameter_missing", param="card[number]")
        if not cards.luhn_ok(number):
            raise StripeError(
                "Your card number is incorrect.", status=402, type="card_error", code="incorrect_number", param="number"
            )
        exp_month = to_int(card, "exp_month", required=True)
        exp_year = to_int(card, "exp_year", required=True)
        pm = card_payment_method(ctx, number, exp_month, exp_year, p.get("billing_details"))
    if "metadata" in p:
        pm["metadata"] = merge_metadata({}, p["metadata"])
    return pm


def retrieve_payment_method(ctx: Ctx, id: str) -> dict:
    return resolve_payment_method(ctx, id, "payment_method")


def update_payment_method(ctx: Ctx, id: str) -> dict:
    pm = resolve_payment_method(ctx, id)
    p = ctx.params
    if "metadata" in p:
        pm["metadata"] = merge_metadata(pm["metadata"], p["metadata"])
    if isinstance(p.get("billing_details"), dict):
        pm["billing_details"].update(p["billing_details"])
    return pm


def card_decline_error(ctx: Ctx, decline_code: str, **extra) -> StripeError:
    return StripeError(
        cards.DECLINE_MESSAGES.get(decline_code, "Your card was declined."),
        status=402,
        type="card_error",
        code=cards.DECLINE_ERROR_CODES.get(decline_code, "card_declined"),
        decline_code=decline_code,
        **extra,
    )


def attach_payment_method(ctx: Ctx, id: str) -> dict:
    pm = resolve_payment_method(ctx, id)
    customer_id = ctx.params["customer"]
    get_or_404(ctx, "customer", customer_id, "customer", "customer")
    meta = ctx.state.meta_of(pm["id"])
    if meta.get("behaviour") == "decline":
        # Attaching runs a card check; cards that always decline fail here.
        raise card_decline_error(ctx, meta["decline_code"], param="")
    if pm["customer"] and pm["customer"] != customer_id:
        raise StripeError(
            "The payment method you provided has already been attached to a customer.",
            code="payment_method_unexpected_state",
        )
    pm["customer"] = customer_id
    return pm


def detach_payment_method(ctx: Ctx, id: str) -> dict:
    pm = resolve_payment_method(ctx, id)
    if not pm["customer"]:
        raise StripeError(
            "The payment method you provided is not attached to a customer so detachment is impossible.",
            code="payment_method_unexpected_state",
        )
    pm["customer"] = None
    return pm


def list_payment_methods(ctx: Ctx) -> dict:
    items = ctx.state.all("payment_method", ctx.account)
    p = ctx.params
    # Stripe only lists PaymentMethods of a customer here.
    items = [pm for pm in items if pm["customer"] == p["customer"]] if p.get("customer") else []
    if p.get("type"):
        items = [pm for pm in items if pm["type"] == p["type"]]
    return paginate(items, p, "/v1/payment_methods")


def list_customer_payment_methods(ctx: Ctx, id: str) -> dict:
    url = f"/v1/customers/{id}/payment_methods"
    return list_under(ctx, "customer", id, "payment_method", url, link="customer", keys=("type",))


ROUTES = [
    Route("POST", "/v1/customers", "CustomerCreateParams", create_customer),
    Route("GET", "/v1/customers", "CustomerListParams", list_customers),
    Route("GET", "/v1/customers/<id>", "CustomerRetrieveParams", retrieve_customer),
    Route("POST", "/v1/customers/<id>", "CustomerUpdateParams", update_customer),
    Route("DELETE", "/v1/customers/<id>", "CustomerDeleteParams", delete_customer),
    Route(
        "GET", "/v1/customers/<id>/payment_methods", "CustomerListPaymentMethodsParams", list_customer_payment_methods
    ),
    Route("POST", "/v1/payment_methods", "PaymentMethodCreateParams", create_payment_method),
    Route("GET", "/v1/payment_methods", "PaymentMethodListParams", list_payment_methods),
    Route("GET", "/v1/payment_methods/<id>", "PaymentMethodRetrieveParams", retrieve_payment_method),
    Route("POST", "/v1/payment_methods/<id>", "PaymentMethodUpdateParams", update_payment_method),
    Route("POST", "/v1/payment_methods/<id>/attach", "PaymentMethodAttachParams", attach_payment_method, ("customer",)),
    Route("POST", "/v1/payment_methods/<id>/detach", "PaymentMethodDetachParams", detach_payment_method),
]
