from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"

    def ready(self):
        from billing.ledger import on_balances_changed
        from payouts.projections import wallets_sync

        on_balances_changed(wallets_sync)
        import payouts.webhooks  # noqa: F401  (registers the Connect event handlers with billing)
