from django.db import migrations, models
from django.db.models import Sum


def fill_amount_reversed(apps, schema_editor):
    """Rows reversed before the field existed: what the ledger took back for each (its
    `reversal-<pk>-<total>` postings), so the resend still finds the fully reversed ones."""
    StripeTransfer = apps.get_model("payouts", "StripeTransfer")
    Transaction = apps.get_model("billing", "Transaction")
    for transfer in StripeTransfer.objects.filter(kind="immediate", status__in=["reversed", "succeeded"]).iterator():
        total = Transaction.objects.filter(
            kind="payout_reversal", idempotency_key__startswith=f"reversal-{transfer.pk}-"
        ).aggregate(total=Sum("amount"))["total"]
        if total:
            StripeTransfer.objects.filter(pk=transfer.pk).update(amount_reversed=min(total, transfer.amount))


class Migration(migrations.Migration):
    dependencies = [
        ("payouts", "0006_staff_action_permissions"),
        ("billing", "0008_staff_action_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="stripetransfer",
            name="amount_reversed",
            field=models.BigIntegerField(default=0, help_text="Cents Stripe took back (partial or full)."),
        ),
        migrations.RunPython(fill_amount_reversed, migrations.RunPython.noop),
    ]
