"""Staff roles (support, finance, admin) as groups of named permissions: accounts/roles.py."""

from django.db import migrations

from accounts.roles import roles_sync


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_staff_actions_append_only"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("billing", "0008_staff_action_permissions"),
        ("campaigns", "0005_suspend_permission"),
        ("payouts", "0006_staff_action_permissions"),
        ("tracking", "0005_staff_action_permissions"),
    ]

    operations = [migrations.RunPython(roles_sync, migrations.RunPython.noop)]
