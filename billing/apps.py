from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = "Billing and ledger"

    def ready(self):
        # Registers billing's webhook handlers in billing.webhooks.HANDLERS.
        from billing import webhooks  # noqa: F401
        from billing.services.refunds import campaign_closed_refund, ended_campaign_work_reviewed_refund
        from billing.services.reserve import milestone_planning_check
        from campaigns.signals import campaign_closed, ended_campaign_work_reviewed, milestone_planning

        campaign_closed.connect(campaign_closed_refund, dispatch_uid="billing.campaign_closed_refund")
        ended_campaign_work_reviewed.connect(ended_campaign_work_reviewed_refund, dispatch_uid="billing.refund")
        milestone_planning.connect(milestone_planning_check, dispatch_uid="billing.milestone_planning_check")
