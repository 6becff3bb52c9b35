"""Register (or bring up to date) the product's two Stripe webhook endpoints, idempotently.

- platform: events of the platform's own account (payments, Checkout, refunds, transfers);
- connect: events of connected accounts (their onboarding, their payouts), `connect=true`.

Each listens for exactly the event types the product handles (billing.webhooks.HANDLERS), at
SITE_URL's /billing/stripe/webhook/. A new endpoint's signing secret is printed once, with where
to put it. `--check` changes nothing and exits 1 if anything differs.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from billing import gateway
from billing.webhooks import HANDLERS

# Objects that live on connected accounts: their events reach only a Connect endpoint.
CONNECT_EVENT_PREFIXES = ("account.", "payout.")
SECRET_SETTING = {"platform": "STRIPE_WEBHOOK_SECRET", "connect": "STRIPE_CONNECT_WEBHOOK_SECRET"}


def wanted_endpoints() -> dict:
    """{role: sorted event types} the product needs."""
    connect = sorted(t for t in HANDLERS if t.startswith(CONNECT_EVENT_PREFIXES))
    platform = sorted(t for t in HANDLERS if not t.startswith(CONNECT_EVENT_PREFIXES))
    return {"platform": platform, "connect": connect}


class Command(BaseCommand):
    help = "Create or update the Stripe webhook endpoints (platform and Connect) with the events the product handles."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Change nothing; exit 1 if the setup differs.")
        parser.add_argument("--url", default="", help="Endpoint URL (default: SITE_URL + the webhook path).")

    def handle(self, *args, check=False, url="", **options):
        url = url or f"{settings.SITE_URL}{reverse('billing:stripe_webhook')}"
        try:
            # Ours: this site's URL and role. Another environment's endpoints on the same Stripe
            # account (another URL) are left alone.
            existing = {
                endpoint.role: endpoint
                for endpoint in gateway.webhook_endpoints_list()
                if endpoint.role and endpoint.url == url
            }
        except gateway.GatewayError as error:
            raise CommandError(f"Stripe did not answer: {error}") from error
        differences = 0
        for role, events in wanted_endpoints().items():
            endpoint = existing.get(role)
            wanted = (tuple(events), True, role == "connect")
            if endpoint and (endpoint.enabled_events, endpoint.enabled, endpoint.connect) == wanted:
                self.stdout.write(f"{role}: {endpoint.id} up to date ({len(events)} event types, {url})")
                continue
            differences += 1
            if check:
                state = "missing" if endpoint is None else "differs (events, disabled or connect)"
                self.stdout.write(self.style.WARNING(f"{role}: {state}"))
                continue
            if endpoint is None:
                created = gateway.webhook_endpoint_create(
                    url=url, enabled_events=events, connect=role == "connect", role=role
                )
                self.stdout.write(self.style.SUCCESS(f"{role}: created {created.id} ({len(events)} event types)"))
                self.stdout.write(
                    f"  Set {SECRET_SETTING[role]}={created.secret} on every web process and restart them "
                    "(Stripe shows this secret only now)."
                )
            else:
                gateway.webhook_endpoint_update(endpoint.id, url=url, enabled_events=events)
                self.stdout.write(self.style.SUCCESS(f"{role}: updated {endpoint.id} ({len(events)} event types)"))
        if check and differences:
            raise CommandError(f"{differences} webhook endpoint(s) need setup_stripe_webhooks.")
