"""Staff roles: Django groups holding named permissions. Being staff opens the admin and nothing
else; what a staff member may see and do comes from these roles (or a superuser flag).

- support: people and campaigns (read), verify advertisers, suspend campaigns, revoke API keys;
  no money figures beyond what a campaign page shows, no money actions.
- finance: every money list read-only, the finance overview, and the money actions (refunds,
  payout holds and releases, payout/transfer/refund retries, sale verification, webhook
  replays, Stripe re-reads), plus the staff audit log. Finance also sets prices: fee plans
  (added and deactivated, never edited) and the per-platform reference rates.
- admin: everything support and finance may, plus managing users and their roles and the
  catalogues promoters and advertisers choose from (skills, languages, advertiser types).

The migration `accounts.0006_staff_roles` creates them from ROLES; a later change to ROLES needs
a new migration calling `roles_sync` again (as `0010_roles_for_pricing_and_disputes` does),
depending on the migrations that create the models it names.
"""

SUPPORT = [
    "accounts.view_user",
    "accounts.view_advertiserdetails",
    "accounts.view_promoterdetails",
    "accounts.view_followerestimate",
    "accounts.view_promoterlanguage",
    "accounts.view_promoterskill",
    "accounts.verify_advertiser",
    "accounts.view_advertisertype",
    "accounts.view_advertisertypemapping",
    "accounts.view_language",
    "accounts.view_skill",
    "campaigns.view_campaign",
    "campaigns.view_campaignapplication",
    "campaigns.view_applicationmessage",
    "campaigns.view_promotercampaign",
    "campaigns.view_campaigndeliverable",
    "campaigns.view_campaignwork",
    "campaigns.view_campaignstatuschange",
    "campaigns.suspend_campaign",
    "campaigns.view_campaigninvitation",
    "campaigns.view_platformreferencerate",
    "tracking.view_apikey",
    "tracking.revoke_api_key",
    "tracking.view_salerecord",
    "tracking.view_salestatuschange",
    "tracking.view_couponcode",
]

FINANCE = [
    "accounts.view_user",
    "accounts.view_staffaction",
    "campaigns.view_campaign",
    "campaigns.view_campaignwork",
    "billing.view_finance_overview",
    "billing.view_ledgeraccount",
    "billing.view_transaction",
    "billing.view_billingcustomer",
    "billing.view_paymentmethod",
    "billing.view_stripepaymentintent",
    "billing.view_campaignbudgetallocation",
    "billing.view_advertisercharge",
    "billing.view_platformfee",
    "billing.view_advertiserspend",
    "billing.view_stripewebhookevent",
    "billing.view_dispute",
    "billing.view_feeplan",
    "billing.add_feeplan",
    "billing.change_feeplan",
    "billing.view_campaignfeeterms",
    "billing.resync_payment",
    "billing.refund_unused_budget",
    "billing.retry_refund",
    "billing.replay_webhook_event",
    "payouts.view_stripeconnectaccount",
    "payouts.view_wallet",
    "payouts.view_payoutrecord",
    "payouts.view_stripetransfer",
    "payouts.view_periodclose",
    "payouts.view_billingperiodsummary",
    "payouts.view_promoterbalance",
    "payouts.view_payoutrun",
    "payouts.hold_payouts",
    "payouts.retry_payout",
    "payouts.refresh_connect_account",
    "campaigns.view_platformreferencerate",
    "campaigns.add_platformreferencerate",
    "campaigns.change_platformreferencerate",
    "tracking.view_salerecord",
    "tracking.view_salestatuschange",
    "tracking.view_commissiondeduction",
    "tracking.view_viewstat",
    "tracking.view_viewaccrual",
    "tracking.verify_sale",
    "tracking.pay_awaiting_commission",
]

ADMIN = sorted(
    {
        *SUPPORT,
        *FINANCE,
        "accounts.change_user",
        "accounts.add_user",
        "accounts.add_skill",
        "accounts.change_skill",
        "accounts.add_language",
        "accounts.change_language",
        "accounts.add_advertisertype",
        "accounts.change_advertisertype",
        "auth.view_group",
        "auth.view_permission",
    }
)

ROLES = {"support": SUPPORT, "finance": FINANCE, "admin": ADMIN}


def roles_sync(apps, schema_editor=None):
    """Create or update each role's group with exactly its permissions (idempotent)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate (post_migrate); create them now so the
    # roles can hold them on a fresh database.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for code in codes:
            app_label, codename = code.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            # An early migration runs before later models exist; the migration that follows
            # them syncs again, and the roles test checks every code is held in the end.
            if permission is not None:
                wanted.append(permission)
        group.permissions.set(wanted)
