"""Events (retrieve, list)."""

from __future__ import annotations

from ..errors import missing
from .base import Ctx, Route, filter_created, paginate


def _visible(ctx: Ctx, event: dict) -> bool:
    # Platform sees its own events; a Stripe-Account request sees that account's.
    return event.get("account") == ctx.account


def retrieve_event(ctx: Ctx, id: str) -> dict:
    event = ctx.state.get("event", id, None)
    if event is None or not _visible(ctx, event):
        raise missing("event", id)
    return event


def list_events(ctx: Ctx) -> dict:
    items = [e for e in ctx.state.all("event", None) if _visible(ctx, e)]
    p = ctx.params
    if p.get("type"):
        pattern = p["type"]
        if pattern.endswith("*"):
            items = [e for e in items if e["type"].startswith(pattern[:-1])]
        else:
            items = [e for e in items if e["type"] == pattern]
    if p.get("types"):
        items = [e for e in items if e["type"] in p["types"]]
    items = filter_created(items, p.get("created"))
    return paginate(items, p, "/v1/events")


ROUTES = [
    Route("GET", "/v1/events", "EventListParams", list_events),
    Route("GET", "/v1/events/<id>", "EventRetrieveParams", retrieve_event),
]
