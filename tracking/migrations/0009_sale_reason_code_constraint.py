"""A rejected sale always carries a reason code (filled by 0008)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tracking', '0008_sale_rejection_reason_codes'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='salerecord',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('decision_reason_code__in', ['order_cancelled', 'payment_failed', 'duplicate', 'not_referred', 'test_order', 'fraud', 'other']), ('status', 'rejected')), models.Q(models.Q(('status', 'rejected'), _negated=True), ('decision_reason_code', '')), _connector='OR'), name='sale_rejected_has_reason'),
        ),
    ]
