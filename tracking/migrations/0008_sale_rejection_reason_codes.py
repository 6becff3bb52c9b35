"""Why a sale was rejected becomes a code. What advertisers wrote maps to OTHER and stays as
the note; reversed, the text comes back (a code's label, with the note after it)."""

from django.db import migrations, models

# The labels as this migration knows them (the model's may change later; this must not).
LABELS = {
    "order_cancelled": "Order cancelled before it was fulfilled",
    "payment_failed": "The customer's payment failed",
    "duplicate": "Duplicate of another order",
    "not_referred": "Not referred by this promoter",
    "test_order": "Test or internal order",
    "fraud": "Suspected fraud",
}


def codes_from_texts(apps, schema_editor):
    Sale = apps.get_model("tracking", "SaleRecord")
    Sale.objects.filter(status="rejected", decision_reason_code="").update(decision_reason_code="other")


def texts_from_codes(apps, schema_editor):
    Sale = apps.get_model("tracking", "SaleRecord")
    for sale in Sale.objects.exclude(decision_reason_code__in=["", "other"]).only("decision_reason_code", "decision_reason"):
        label, note = LABELS.get(sale.decision_reason_code, ""), sale.decision_reason
        sale.decision_reason = (f"{label}: {note}" if label and note else label or note)[:500]
        sale.save(update_fields=["decision_reason"])


class Migration(migrations.Migration):

    dependencies = [
        ('tracking', '0007_campaign_view_days'),
    ]

    operations = [
        migrations.AddField(
            model_name='salerecord',
            name='decision_reason_code',
            field=models.CharField(blank=True, choices=[('order_cancelled', 'Order cancelled before it was fulfilled'), ('payment_failed', "The customer's payment failed"), ('duplicate', 'Duplicate of another order'), ('not_referred', 'Not referred by this promoter'), ('test_order', 'Test or internal order'), ('fraud', 'Suspected fraud'), ('other', 'Other')], help_text='Why it was rejected; empty unless rejected.', max_length=20),
        ),
        migrations.AlterField(
            model_name='salerecord',
            name='decision_reason',
            field=models.CharField(blank=True, help_text="The advertiser's note, for people.", max_length=500),
        ),
        migrations.RunPython(codes_from_texts, texts_from_codes),
    ]
