"""Webhook endpoints (create, retrieve, update, list, delete), as `setup_stripe_webhooks` uses
them. The signing secret is returned on create only, as Stripe does.

Endpoints are stored, not delivered to: the simulator delivers events to the URLs it was started
with (`--webhook-url`, `--connect-webhook-url`), so registering the product's endpoints against a
running simulator does not deliver every event twice.
"""

from __future__ import annotations

import secrets

from ..errors import StripeError
from ..fixtures import build
from ..params import merge_metadata
from ..state import new_id
from .base import Ctx, Route, get_or_404, list_where


def _check_url(url) -> None:
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise StripeError("Invalid URL: URL must be a valid http(s) URL.", status=400, param="url")


def _check_events(events) -> list[str]:
    if not isinstance(events, list) or not events or not all(isinstance(e, str) and e for e in events):
        raise StripeError("enabled_events must be a non-empty list of event types.", status=400, param="enabled_events")
    return events


def create_endpoint(ctx: Ctx) -> dict:
    p = ctx.params
    _check_url(p.get("url"))
    endpoint = build(
        "webhook_endpoint",
        id=new_id("we"),
        url=p["url"],
        enabled_events=_check_events(p.get("enabled_events")),
        description=p.get("description") or None,
        api_version=p.get("api_version") or None,
        metadata=merge_metadata({}, p.get("metadata") or {}),
        status="enabled",
        application="ca_simulator" if str(p.get("connect")).lower() == "true" else None,
    )
    ctx.state.put(endpoint, ctx.account)
    return {**endpoint, "secret": f"whsec_{secrets.token_hex(16)}"}


def retrieve_endpoint(ctx: Ctx, id: str) -> dict:
    return get_or_404(ctx, "webhook_endpoint", id)


def update_endpoint(ctx: Ctx, id: str) -> dict:
    endpoint = get_or_404(ctx, "webhook_endpoint", id)
    p = ctx.params
    if "url" in p:
        _check_url(p["url"])
        endpoint["url"] = p["url"]
    if "enabled_events" in p:
        endpoint["enabled_events"] = _check_events(p["enabled_events"])
    if "disabled" in p:
        endpoint["status"] = "disabled" if str(p["disabled"]).lower() == "true" else "enabled"
    if "description" in p:
        endpoint["description"] = p["description"] or None
    if "metadata" in p:
        endpoint["metadata"] = merge_metadata(endpoint["metadata"], p["metadata"])
    return endpoint


def list_endpoints(ctx: Ctx) -> dict:
    return list_where(ctx, "webhook_endpoint", "/v1/webhook_endpoints")


def delete_endpoint(ctx: Ctx, id: str) -> dict:
    get_or_404(ctx, "webhook_endpoint", id)
    del ctx.state.objects["webhook_endpoint"][id]
    return {"id": id, "object": "webhook_endpoint", "deleted": True}


ROUTES = [
    Route("POST", "/v1/webhook_endpoints", "WebhookEndpointCreateParams", create_endpoint, ("url", "enabled_events")),
    Route("GET", "/v1/webhook_endpoints", "WebhookEndpointListParams", list_endpoints),
    Route("GET", "/v1/webhook_endpoints/<id>", "WebhookEndpointRetrieveParams", retrieve_endpoint),
    Route("POST", "/v1/webhook_endpoints/<id>", "WebhookEndpointUpdateParams", update_endpoint),
    Route("DELETE", "/v1/webhook_endpoints/<id>", "WebhookEndpointDeleteParams", delete_endpoint),
]
