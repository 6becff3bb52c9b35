from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"

    def ready(self):
        from billing.ledger import on_balances_changed
        from campaigns.signals import work_approved
        from payouts.projections import wallets_sync
        from payouts.services.immediate import work_approved_pay

        on_balances_changed(wallets_sync)
        work_approved.connect(work_approved_pay, dispatch_uid="payouts.work_approved_pay")
        import payouts.webhooks  # noqa: F401  (registers the Connect event handlers with billing)
