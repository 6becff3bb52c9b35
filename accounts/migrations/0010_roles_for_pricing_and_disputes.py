"""Staff roles gain what later models brought: finance sets fee plans and reference rates and
reads disputes and payout runs; support reads the catalogues, invitations and sale history."""

from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0009_performance_backfill"),
        ("billing", "0013_bank_accounts"),
        ("campaigns", "0008_platform_reference_rates"),
        ("payouts", "0008_payout_runs"),
        ("tracking", "0007_campaign_view_days"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
