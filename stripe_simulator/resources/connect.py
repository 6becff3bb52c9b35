"""Connect: accounts, account links, transfers, reversals, payouts."""

from __future__ import annotations

import copy

from ..errors import StripeError, missing
from ..fixtures import build
from ..limits import amount_checked, currency_checked
from ..params import merge_metadata, to_bool, to_int
from ..state import new_id, now
from .balance import dollars, record_balance_transaction
from .base import Ctx, Route, get_or_404, list_under, list_where, paginate

_INITIAL_DUE = [
    "business_profile.mcc",
    "business_profile.url",
    "external_account",
    "individual.dob.day",
    "individual.first_name",
    "individual.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]

INSUFFICIENT_BALANCE = (
    "You have insufficient available funds in your Stripe account. Try adding funds directly to your available "
    "balance by creating Charges using the 4000000000000077 test card. See: "
    "https://stripe.com/docs/testing#available-balance"
)


# ----------------------------------------------------------------- accounts
def _platform_only(ctx: Ctx) -> None:
    if ctx.account:
        raise StripeError("This request must be made by the platform, without a Stripe-Account header.", status=403)


def create_account(ctx: Ctx) -> dict:
    _platform_only(ctx)
    p = ctx.params
    acct_id = new_id("acct", 16)
    requested = [name for name, opts in (p.get("capabilities") or {}).items() if to_bool((opts or {}).get("requested"))]
    # Simplification: an account created without capabilities gets the two a marketplace needs.
    requested = requested or ["card_payments", "transfers"]
    acct = build(
        "account",
        id=acct_id,
        type=p.get("type", "express"),
        country=p.get("country", "US"),
        email=p.get("email") or None,
        business_type=p.get("business_type") or None,
        default_currency=p.get("default_currency", "usd"),
        metadata=merge_metadata({}, p.get("metadata")),
        charges_enabled=False,
        payouts_enabled=False,
        details_submitted=False,
        capabilities=dict.fromkeys(requested, "inactive"),
        controller={"is_controller": True, "type": "application"},
    )
    acct["external_accounts"]["url"] = f"/v1/accounts/{acct_id}/external_accounts"
    acct["requirements"].update(
        currently_due=list(_INITIAL_DUE), eventually_due=list(_INITIAL_DUE), disabled_reason="requirements.past_due"
    )
    if isinstance(p.get("business_profile"), dict):
        acct["business_profile"].update(p["business_profile"])
    ctx.state.put(acct, None)
    return acct


def _account(ctx: Ctx, acct_id: str, param: str = "account") -> dict:
    acct = ctx.state.get("account", acct_id, None)
    if acct is None or (ctx.account and ctx.account != acct_id):
        raise StripeError(
            f"No such account: '{acct_id}'", status=404 if param == "id" else 400, code="resource_missing", param=param
        )
    return acct


def retrieve_account(ctx: Ctx, id: str) -> dict:
    return _account(ctx, id, "id")


def update_account(ctx: Ctx, id: str) -> dict:
    acct = _account(ctx, id, "id")
    p = ctx.params
    previous = {}
    for key in ("email", "business_type", "default_currency"):
        if key in p:
            previous[key] = acct[key]
            acct[key] = p[key] or None
    if "metadata" in p:
        previous["metadata"] = copy.deepcopy(acct["metadata"])
        acct["metadata"] = merge_metadata(acct["metadata"], p["metadata"])
    if isinstance(p.get("business_profile"), dict):
        previous["business_profile"] = copy.deepcopy(acct["business_profile"])
        acct["business_profile"].update(p["business_profile"])
    for name, opts in (p.get("capabilities") or {}).items():
        if to_bool((opts or {}).get("requested")) and name not in acct["capabilities"]:
            previous.setdefault("capabilities", copy.deepcopy(acct["capabilities"]))
            acct["capabilities"][name] = "active" if acct["details_submitted"] else "inactive"
    if previous:
        ctx.emit("account.updated", acct, previous=previous, account=acct["id"])
    return acct


def delete_account(ctx: Ctx, id: str) -> dict:
    _platform_only(ctx)
    _account(ctx, id, "id")
    del ctx.state.objects["account"][id]
    return {"id": id, "object": "account", "deleted": True}


def list_accounts(ctx: Ctx) -> dict:
    _platform_only(ctx)
    return paginate(ctx.state.all("account"), ctx.params, "/v1/accounts")


def complete_onboarding(ctx: Ctx, acct_id: str) -> dict:
    """What finishing Express onboarding does: everything enabled, nothing due."""
    acct = ctx.state.get("account", acct_id, None)
    if acct is None:
        raise missing("account", acct_id)
    previous = {
        key: copy.deepcopy(acct[key])
        for key in ("capabilities", "charges_enabled", "payouts_enabled", "details_submitted", "requirements")
    }
    capabilities = acct["capabilities"] or {"card_payments": "inactive", "transfers": "inactive"}
    acct["capabilities"] = dict.fromkeys(capabilities, "active")
    acct.update(charges_enabled=True, payouts_enabled=True, details_submitted=True)
    acct["requirements"].update(
        currently_due=[], eventually_due=[], past_due=[], pending_verification=[], disabled_reason=None
    )
    acct["tos_acceptance"] = {"date": now(), "ip": "127.0.0.1", "user_agent": "stripe-simulator"}
    ctx.emit("account.updated", acct, previous=previous, account=acct_id)
    return acct


def set_capability(ctx: Ctx, acct_id: str, name: str, status: str) -> dict:
    """Test helper: e.g. make `transfers` inactive to exercise the capability check."""
    acct = ctx.state.get("account", acct_id, None)
    if acct is None:
        raise missing("account", acct_id)
    previous = {"capabilities": copy.deepcopy(acct["capabilities"])}
    acct["capabilities"][name] = status
    if name == "transfers" and status != "active":
        previous["payouts_enabled"] = acct["payouts_enabled"]
        acct["payouts_enabled"] = False
    ctx.emit("account.updated", acct, previous=previous, account=acct_id)
    return acct


# ----------------------------------------------------------------- account links
def create_account_link(ctx: Ctx) -> dict:
    _platform_only(ctx)
    p = ctx.params
    acct = _account(ctx, p["account"])
    if p["type"] not in ("account_onboarding", "account_update"):
        raise StripeError(f"Invalid type: {p['type']}", param="type", cacheable=False)
    for key in ("return_url", "refresh_url"):
        if not p.get(key):
            raise StripeError(f"Missing required param: {key}.", code="parameter_missing", param=key, cacheable=False)
    token = new_id("link", 16)
    expires_at = now() + 300
    ctx.state.meta_of(token).update(
        account=acct["id"], return_url=p["return_url"], refresh_url=p["refresh_url"], expires_at=expires_at
    )
    url = f"{ctx.base_url}/connect/onboard/{acct['id']}?link={token}"
    return build("account_link", url=url, expires_at=expires_at)


# ----------------------------------------------------------------- transfers
def _destination(ctx: Ctx, acct_id: str) -> dict:
    acct = ctx.state.get("account", acct_id, None)
    if acct is None:
        raise StripeError(f"No such destination: '{acct_id}'", code="resource_missing", param="destination")
    if acct["capabilities"].get("transfers") != "active":
        raise StripeError(
            "Your destination account needs to have at least one of the following capabilities enabled: "
            "transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
            param="destination",
        )
    return acct


def _check_source_transaction(ctx: Ctx, ch_id: str, amount: int, currency: str) -> None:
    ch = ctx.state.get("charge", ch_id, None)
    if ch is None or ch["status"] != "succeeded":
        raise StripeError(f"No such charge: '{ch_id}'", code="resource_missing", param="source_transaction")
    if ch["currency"] != currency:
        raise StripeError(
            f"The currency of source_transaction's balance transaction ({ch['currency']}) must be the same as the "
            f"transfer currency ({currency})",
            param="currency",
        )
    meta = ctx.state.meta_of(ch_id)
    left = ch["amount"] - meta.get("transferred", 0)
    if amount > left:
        raise StripeError(
            f"Transfer amount ({dollars(amount)}) exceeds the amount available from the source transaction "
            f"{ch_id} ({dollars(left)}).",
            param="amount",
        )
    meta["transferred"] = meta.get("transferred", 0) + amount


def create_transfer(ctx: Ctx) -> dict:
    _platform_only(ctx)
    p = ctx.params
    amount = to_int(p, "amount", required=True)
    currency = currency_checked(p["currency"])
    if amount <= 0:
        raise StripeError("Invalid positive integer", code="parameter_invalid_integer", param="amount")
    amount_checked(amount, currency)
    acct = _destination(ctx, p["destination"])
    if p.get("source_transaction"):
        # Stripe lets the transfer wait on that charge's funds, so no balance check.
        _check_source_transaction(ctx, p["source_transaction"], amount, currency)
    elif ctx.state.available(None, currency) < amount:
        raise StripeError(INSUFFICIENT_BALANCE, code="balance_insufficient")
    tr_id = new_id("tr")
    txn = record_balance_transaction(
        ctx,
        amount=-amount,
        currency=currency,
        type_="transfer",
        source=tr_id,
        owner=None,
        description=p.get("description"),
    )
    py_id = new_id("py")
    record_balance_transaction(ctx, amount=amount, currency=currency, type_="payment", source=py_id, owner=acct["id"])
    tr = build(
        "transfer",
        id=tr_id,
        amount=amount,
        currency=currency,
        destination=acct["id"],
        destination_payment=py_id,
        balance_transaction=txn["id"],
        description=p.get("description") or None,
        metadata=merge_metadata({}, p.get("metadata")),
        source_transaction=p.get("source_transaction") or None,
        source_type=p.get("source_type", "card"),
        transfer_group=p.get("transfer_group") or None,
        reversals={"object": "list", "data": [], "has_more": False, "url": f"/v1/transfers/{tr_id}/reversals"},
    )
    ctx.state.put(tr, None)
    ctx.emit("transfer.created", tr)
    return tr


def retrieve_transfer(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "transfer", id)


def update_transfer(ctx: Ctx, id: str) -> dict:
    tr = get_or_404(ctx, "transfer", id)
    if "metadata" in ctx.params:
        tr["metadata"] = merge_metadata(tr["metadata"], ctx.params["metadata"])
    if "description" in ctx.params:
        tr["description"] = ctx.params["description"] or None
    ctx.emit("transfer.updated", tr)
    return tr


def list_transfers(ctx: Ctx) -> dict:
    return list_where(ctx, "transfer", "/v1/transfers", ("destination", "transfer_group"))


def create_reversal(ctx: Ctx, id: str) -> dict:
    tr = get_or_404(ctx, "transfer", id)
    remaining = tr["amount"] - tr["amount_reversed"]
    amount = to_int(ctx.params, "amount", default=remaining)
    if remaining <= 0:
        raise StripeError(f"Transfer {id} has already been fully reversed.", param="amount")
    if amount <= 0 or amount > remaining:
        raise StripeError(
            f"Transfer reversal amount ({dollars(amount)}) is greater than the remaining transfer amount "
            f"({dollars(remaining)}).",
            param="amount",
        )
    if ctx.state.available(tr["destination"], tr["currency"]) < amount:
        raise StripeError(
            "Insufficient funds in the connected account to reverse this transfer.", code="balance_insufficient"
        )
    trr_id = new_id("trr")
    pyr_id = new_id("pyr")
    record_balance_transaction(
        ctx, amount=-amount, currency=tr["currency"], type_="payment_refund", source=pyr_id, owner=tr["destination"]
    )
    txn = record_balance_transaction(
        ctx, amount=amount, currency=tr["currency"], type_="transfer_refund", source=trr_id, owner=None
    )
    reversal = build(
        "transfer_reversal",
        id=trr_id,
        amount=amount,
        currency=tr["currency"],
        transfer=id,
        balance_transaction=txn["id"],
        destination_payment_refund=pyr_id,
        metadata=merge_metadata({}, ctx.params.get("metadata")),
    )
    ctx.state.put(reversal, None)
    previous = {"amount_reversed": tr["amount_reversed"], "reversed": tr["reversed"]}
    tr["amount_reversed"] += amount
    tr["reversed"] = tr["amount_reversed"] == tr["amount"]
    ctx.emit("transfer.reversed", tr, previous=previous)
    return reversal


def list_reversals(ctx: Ctx, id: str) -> dict:
    url = f"/v1/transfers/{id}/reversals"
    return list_under(ctx, "transfer", id, "transfer_reversal", url, link="transfer", platform=True)


def retrieve_reversal(ctx: Ctx, id: str, rid: str) -> dict:
    get_or_404(ctx, "transfer", id)
    rev = ctx.state.get("transfer_reversal", rid, None)
    if rev is None or rev["transfer"] != id:
        raise missing("transfer_reversal", rid)
    return rev


# ----------------------------------------------------------------- payouts
def create_payout(ctx: Ctx) -> dict:
    p = ctx.params
    currency = currency_checked(p["currency"])
    amount = amount_checked(to_int(p, "amount", required=True), currency)
    return make_payout(ctx, ctx.account, amount, currency, p.get("metadata"), p.get("description"))


def make_payout(
    ctx: Ctx, account: str | None, amount: int, currency: str, metadata=None, description=None, automatic=False
) -> dict:
    if account:
        acct = ctx.state.get("account", account, None)
        if acct is not None and not acct["payouts_enabled"]:
            raise StripeError(
                "Your account cannot currently make payouts. Please complete onboarding.", code="payouts_not_allowed"
            )
    if ctx.state.available(account, currency) < amount:
        raise StripeError(INSUFFICIENT_BALANCE, code="balance_insufficient", param="amount")
    po_id = new_id("po")
    txn = record_balance_transaction(
        ctx, amount=-amount, currency=currency, type_="payout", source=po_id, owner=account
    )
    po = build(
        "payout",
        id=po_id,
        amount=amount,
        currency=currency,
        balance_transaction=txn["id"],
        destination=new_id("ba"),
        arrival_date=now() + 2 * 86400,
        automatic=automatic,
        status="pending",
        metadata=merge_metadata({}, metadata),
        description=description or None,
        reconciliation_status="not_applicable",
    )
    ctx.state.put(po, account)
    ctx.emit("payout.created", po, account=account)
    return po


def fail_payout(
    ctx: Ctx,
    account: str,
    payout_id: str | None = None,
    amount: int | None = None,
    failure_code: str = "account_closed",
) -> dict:
    """Test helper: fail a connected account's payout (creating one if needed) -> `payout.failed`."""
    ctx.account = account
    if payout_id:
        po = get_or_404(ctx, "payout", payout_id)
    else:
        open_payouts = [po for po in ctx.state.all("payout", account) if po["status"] in ("pending", "in_transit")]
        if open_payouts:
            po = open_payouts[0]
        else:
            amount = amount or ctx.state.available(account, "usd") or 1000
            if ctx.state.available(account, "usd") < amount:
                # Real payouts need funds; top the test account up so the helper always works.
                ctx.state.credit(account, "usd", amount - ctx.state.available(account, "usd"))
            acct = ctx.state.get("account", account, None)
            enabled = acct["payouts_enabled"] if acct else True
            if acct:
                acct["payouts_enabled"] = True
            po = make_payout(ctx, account, amount, "usd")
            if acct:
                acct["payouts_enabled"] = enabled
    txn = record_balance_transaction(
        ctx, amount=po["amount"], currency=po["currency"], type_="payout_failure", source=po["id"], owner=account
    )
    po.update(
        status="failed",
        failure_code=failure_code,
        failure_message="The bank account has been closed.",
        failure_balance_transaction=txn["id"],
    )
    ctx.emit("payout.failed", po, account=account)
    return po


def pay_out_balances(ctx: Ctx) -> list[dict]:
    """Stripe's automatic payouts: each connected account with payouts enabled sends its
    available balance to its bank (`payout.created`, top-level `account`)."""
    payouts = []
    for acct in ctx.state.all("account", None, any_owner=True):
        if not acct.get("payouts_enabled"):
            continue
        for currency, amount in sorted(ctx.state.balance_of(acct["id"])["available"].items()):
            if amount > 0:
                payouts.append(make_payout(ctx, acct["id"], amount, currency, automatic=True))
    return payouts


def settle_payouts(ctx: Ctx, fail_accounts=()) -> list[dict]:
    """The banks answer: every pending payout of a connected account is paid (`payout.paid`), or,
    for the accounts in `fail_accounts`, refused (`payout.failed`, the money back in its balance)."""
    settled = []
    for acct in ctx.state.all("account", None, any_owner=True):
        for po in ctx.state.all("payout", acct["id"]):
            if po["status"] not in ("pending", "in_transit"):
                continue
            if acct["id"] in fail_accounts:
                settled.append(fail_payout(ctx, acct["id"], po["id"]))
                continue
            po["status"] = "paid"
            ctx.emit("payout.paid", po, account=acct["id"])
            settled.append(po)
    return settled


def retrieve_payout(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "payout", id)


def list_payouts(ctx: Ctx) -> dict:
    return list_where(ctx, "payout", "/v1/payouts", ("status",))


ROUTES = [
    Route("POST", "/v1/accounts", "AccountCreateParams", create_account),
    Route("GET", "/v1/accounts", "AccountListParams", list_accounts),
    Route("GET", "/v1/accounts/<id>", "AccountRetrieveParams", retrieve_account),
    Route("POST", "/v1/accounts/<id>", "AccountUpdateParams", update_account),
    Route("DELETE", "/v1/accounts/<id>", "AccountDeleteParams", delete_account),
    Route("POST", "/v1/account_links", "AccountLinkCreateParams", create_account_link),
    Route("POST", "/v1/transfers", "TransferCreateParams", create_transfer, ("amount",)),
    Route("GET", "/v1/transfers", "TransferListParams", list_transfers),
    Route("GET", "/v1/transfers/<id>", "TransferRetrieveParams", retrieve_transfer),
    Route("POST", "/v1/transfers/<id>", "TransferUpdateParams", update_transfer),
    Route("POST", "/v1/transfers/<id>/reversals", "TransferReversalCreateParams", create_reversal),
    Route("GET", "/v1/transfers/<id>/reversals", "TransferReversalListParams", list_reversals),
    Route("GET", "/v1/transfers/<id>/reversals/<rid>", "TransferReversalRetrieveParams", retrieve_reversal),
    Route("POST", "/v1/payouts", "PayoutCreateParams", create_payout, ("amount", "currency")),
    Route("GET", "/v1/payouts", "PayoutListParams", list_payouts),
    Route("GET", "/v1/payouts/<id>", "PayoutRetrieveParams", retrieve_payout),
]
