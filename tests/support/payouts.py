"""Payouts in tests: earnings spent from a campaign's budget, Connect accounts made ready."""

from django.db import transaction


def earn(campaign, promoter, amount_cents, key, destination="pending"):
    from billing.services import campaign_budget_spend

    with transaction.atomic():
        return campaign_budget_spend(
            campaign=campaign,
            promoter=promoter,
            amount_cents=amount_cents,
            idempotency_key=key,
            destination=destination,
        )


def connect_ready(stripe_sim, user):
    """A Connect account created through the gateway, onboarded in the simulator, synced."""
    from payouts import services

    account = services.connect_account_get_or_create(user=user)
    stripe_sim.complete_onboarding(account.stripe_account_id)
    return services.connect_account_refresh(stripe_account_id=account.stripe_account_id)
