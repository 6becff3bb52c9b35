from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"

    def ready(self):
        from billing.signals import budget_refund_starting, budget_returned
        from tracking.services.ending import views_settle_before_refund
        from tracking.services.sale_review import sales_pay_awaiting_after_top_up

        budget_refund_starting.connect(views_settle_before_refund, dispatch_uid="tracking.views_settle")
        budget_returned.connect(sales_pay_awaiting_after_top_up, dispatch_uid="tracking.sales_pay_awaiting")
