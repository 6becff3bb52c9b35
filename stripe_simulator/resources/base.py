"""Shared pieces for resource modules: routes, request context, lists, expansion."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import StripeError, missing
from ..fixtures import build
from ..params import to_int
from ..state import new_id

if TYPE_CHECKING:
    from ..simulator import StripeSimulator


@dataclass
class Route:
    method: str
    pattern: str
    params: str | None  # name in stripe.params used to validate, e.g. "TransferCreateParams"
    handler: Callable
    # Keys Stripe requires although the OpenAPI spec marks them optional.
    required: tuple = ()
    regex: re.Pattern = field(init=False)

    def __post_init__(self):
        self.regex = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", self.pattern) + "$")


@dataclass
class Ctx:
    sim: StripeSimulator
    params: dict
    account: str | None = None
    base_url: str = ""
    request_id: str = ""
    idempotency_key: str | None = None
    pending_events: list = field(default_factory=list)

    @property
    def state(self):
        return self.sim.state

    def emit(self, type_: str, obj: dict, *, previous: dict | None = None, account: str | None = None) -> dict:
        """Record an event now; it is delivered after the request finishes."""
        event = build(
            "event",
            id=new_id("evt"),
            type=type_,
            api_version=self.sim.api_version,
            data={"object": copy.deepcopy(obj)},
            request={"id": self.request_id or None, "idempotency_key": self.idempotency_key},
            pending_webhooks=1 if self.sim.webhook_url else 0,
        )
        if previous is not None:
            event["data"]["previous_attributes"] = copy.deepcopy(previous)
        owner = account or self.account
        if owner:
            # Connect events carry the connected account they happened on.
            event["account"] = owner
        self.state.put(event, owner=None)
        self.pending_events.append(event)
        return event


def get_or_404(ctx: Ctx, kind: str, obj_id: str, label: str | None = None, param: str = "id") -> dict:
    obj = ctx.state.get(kind, obj_id, ctx.account)
    if obj is None:
        raise missing(label or kind.split(".")[-1].replace("_", " "), obj_id, param)
    return obj


def paginate(items: list[dict], params: dict, url: str) -> dict:
    limit = to_int(params, "limit", default=10)
    if not 1 <= limit <= 100:
        raise StripeError(
            "Invalid limit: must be an integer between 1 and 100",
            code="parameter_invalid_integer",
            param="limit",
            cacheable=False,
        )
    ids = [o["id"] for o in items]
    start = 0
    if params.get("starting_after"):
        cursor = params["starting_after"]
        if cursor not in ids:
            raise missing("object", cursor, "starting_after")
        start = ids.index(cursor) + 1
        page = items[start : start + limit]
        has_more = start + limit < len(items)
    elif params.get("ending_before"):
        cursor = params["ending_before"]
        if cursor not in ids:
            raise missing("object", cursor, "ending_before")
        end = ids.index(cursor)
        page = items[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        page = items[:limit]
        has_more = len(items) > limit
    return {"object": "list", "data": page, "has_more": has_more, "url": url}


def list_where(ctx: Ctx, kind: str, url: str, keys: tuple = (), *, by_created: bool = False) -> dict:
    """A list endpoint: the account's objects of `kind` equal to the request on each of `keys` it
    gives (and within its `created` range, `by_created`), a page at a time."""
    items = _asked_for(ctx.state.all(kind, ctx.account), ctx.params, keys)
    if by_created:
        items = filter_created(items, ctx.params.get("created"))
    return paginate(items, ctx.params, url)


def list_under(
    ctx: Ctx,
    parent_kind: str,
    parent_id: str,
    kind: str,
    url: str,
    *,
    link: str,
    keys: tuple = (),
    platform: bool = False,
) -> dict:
    """A nested list endpoint (`/v1/charges/<id>/refunds`): 404 when the parent is missing, else
    the objects of `kind` whose `link` names it, narrowed like `list_where` by `keys`, a page at a
    time. `platform`: the objects are the platform's, whichever account asks."""
    get_or_404(ctx, parent_kind, parent_id)
    items = [o for o in ctx.state.all(kind, None if platform else ctx.account) if o[link] == parent_id]
    return paginate(_asked_for(items, ctx.params, keys), ctx.params, url)


def _asked_for(items: list[dict], params: dict, keys: tuple) -> list[dict]:
    """The items equal to the request on each of `keys` it gives."""
    for key in keys:
        if params.get(key):
            items = [o for o in items if o.get(key) == params[key]]
    return items


def filter_created(items: list[dict], created) -> list[dict]:
    if created in (None, ""):
        return items
    if not isinstance(created, dict):
        return [o for o in items if o.get("created") == int(created)]
    ops = {"gt": int.__gt__, "gte": int.__ge__, "lt": int.__lt__, "lte": int.__le__}
    out = items
    for op, bound in created.items():
        if op in ops:
            out = [o for o in out if ops[op](o.get("created", 0), int(bound))]
    return out


def expand(state, obj, paths: list[str]):
    """Apply `expand[]` paths (`latest_charge`, `data.customer`, `a.b`) in place on a copy."""
    obj = copy.deepcopy(obj)
    for path in paths or []:
        _expand_path(state, obj, path.split("."), path)
    return obj


def _expand_path(state, node, parts, full):
    if not parts or not isinstance(node, dict):
        return
    head, rest = parts[0], parts[1:]
    if head == "data" and isinstance(node.get("data"), list):
        for item in node["data"]:
            _expand_path(state, item, rest, full)
        return
    if head not in node:
        raise StripeError(f"This property cannot be expanded ({full}).", param="expand", cacheable=False)
    value = node[head]
    if isinstance(value, str):
        found = state.find(value)
        if found is not None:
            node[head] = value = copy.deepcopy(found)
    if isinstance(value, list):
        for item in value:
            _expand_path(state, item, rest, full)
    else:
        _expand_path(state, value, rest, full)
