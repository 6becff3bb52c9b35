"""setup_stripe_webhooks: the platform and Connect endpoints, with exactly the handled events,
created once, kept up to date, and checked without changes."""

import io

import pytest
from django.core.management import CommandError, call_command

from billing import gateway
from billing.management.commands.setup_stripe_webhooks import wanted_endpoints
from billing.webhooks import HANDLERS

pytestmark = pytest.mark.django_db
URL = "https://campaigns.example.com/billing/stripe/webhook/"


def _run(*args) -> str:
    out = io.StringIO()
    call_command("setup_stripe_webhooks", "--url", URL, *args, stdout=out)
    return out.getvalue()


def _ours():
    return {endpoint.role: endpoint for endpoint in gateway.webhook_endpoints_list()}


def test_creates_both_endpoints_with_every_handled_event_once(stripe_settings):
    output = _run()

    endpoints = _ours()
    assert set(endpoints) == {"platform", "connect"}
    assert endpoints["connect"].connect is True and endpoints["platform"].connect is False
    assert set(endpoints["platform"].enabled_events) | set(endpoints["connect"].enabled_events) == set(HANDLERS)
    assert {"payout.paid", "payout.failed", "account.updated"} <= set(endpoints["connect"].enabled_events)
    assert "checkout.session.completed" in endpoints["platform"].enabled_events
    assert output.count("Set STRIPE_WEBHOOK_SECRET=whsec_") == 1
    assert output.count("Set STRIPE_CONNECT_WEBHOOK_SECRET=whsec_") == 1

    again = _run()
    assert "created" not in again and again.count("up to date") == 2
    assert len(gateway.webhook_endpoints_list()) == 2
    assert "up to date" in _run("--check")


def test_check_reports_drift_and_a_run_repairs_it(stripe_settings, stripe_client):
    _run()
    platform = _ours()["platform"]
    stripe_client.v1.webhook_endpoints.update(platform.id, params={"enabled_events": ["charge.succeeded"]})

    with pytest.raises(CommandError, match="1 webhook endpoint"):
        _run("--check")
    assert "platform: updated" in _run()
    assert _ours()["platform"].enabled_events == tuple(wanted_endpoints()["platform"])


def test_events_signed_by_the_connect_endpoint_are_accepted(settings):
    from stripe_simulator.webhooks import WebhookSignature

    settings.STRIPE_WEBHOOK_SECRET = "whsec_platform"
    settings.STRIPE_CONNECT_WEBHOOK_SECRET = "whsec_connect"
    payload = '{"id": "evt_1", "object": "event", "type": "payout.paid", "data": {"object": {}}}'

    for secret in ("whsec_platform", "whsec_connect"):
        header = WebhookSignature.generate_signature_header(payload, secret)
        assert gateway.construct_webhook_event(payload.encode(), header)["type"] == "payout.paid"
    with pytest.raises(gateway.WebhookSignatureError):
        gateway.construct_webhook_event(
            payload.encode(), WebhookSignature.generate_signature_header(payload, "whsec_x")
        )
