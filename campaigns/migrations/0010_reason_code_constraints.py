"""Rejected and closed applications, and work sent back, always carry a reason code (filled by 0009)."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0009_rejection_reason_codes'),
    ]

    operations = [
        migrations.AddConstraint(
            model_name='campaignapplication',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('decision_reason_code__in', ['price', 'fit', 'experience', 'proposal', 'timeline', 'other', 'another_promoter_selected', 'campaign_ended', 'campaign_cancelled']), ('status__in', ('rejected', 'closed'))), models.Q(models.Q(('status__in', ('rejected', 'closed')), _negated=True), ('decision_reason_code', '')), _connector='OR'), name='campaign_application_decided_has_reason'),
        ),
        migrations.AddConstraint(
            model_name='campaignwork',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('review_reason_code__in', ['brief', 'quality', 'incomplete', 'format', 'access', 'guidelines', 'late', 'other']), ('status__in', ('revision_requested', 'rejected'))), models.Q(models.Q(('status__in', ('revision_requested', 'rejected')), _negated=True), ('review_reason_code', '')), _connector='OR'), name='campaign_work_sent_back_has_reason'),
        ),
    ]
