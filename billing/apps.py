from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and ledger"

    def ready(self):
        # Registers billing's webhook handlers in billing.webhooks.HANDLERS.
        from billing import webhooks  # noqa: F401
