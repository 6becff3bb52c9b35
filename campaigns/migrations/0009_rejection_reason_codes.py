"""Why an application was rejected or closed, and why work was sent back, become codes.

Existing rows: the platform's own closing texts map to their codes (and leave the note empty);
what a person wrote maps to OTHER and stays as the note. Reversed, the texts come back: a code's
label (with the note after it) where a person's words were not all there was.
"""

from django.db import migrations, models

# The texts the services wrote before reasons had codes, and the code each one meant.
CLOSING_CODE_OF_TEXT = {
    "Another promoter was selected": "another_promoter_selected",
    "The campaign has ended": "campaign_ended",
    "The campaign was cancelled": "campaign_cancelled",
}
# The labels as this migration knows them (the model's may change later; this must not).
APPLICATION_LABELS = {
    "price": "The price is more than the budget allows",
    "fit": "Not the right fit for this campaign",
    "experience": "Not enough relevant experience or audience",
    "proposal": "The proposal needs more detail",
    "timeline": "The timeline does not work",
    **{code: text for text, code in CLOSING_CODE_OF_TEXT.items()},
}
WORK_LABELS = {
    "brief": "Does not follow the brief",
    "quality": "Quality below what was agreed",
    "incomplete": "Incomplete: parts are missing",
    "format": "Wrong format, size or platform",
    "access": "The link or file does not open",
    "guidelines": "Breaks brand or disclosure guidelines",
    "late": "Delivered too late",
}


def codes_from_texts(apps, schema_editor):
    Application = apps.get_model("campaigns", "CampaignApplication")
    Work = apps.get_model("campaigns", "CampaignWork")
    decided = Application.objects.filter(status__in=["rejected", "closed"])
    for text, code in CLOSING_CODE_OF_TEXT.items():
        decided.filter(status="closed", decision_reason=text).update(decision_reason_code=code, decision_reason="")
    decided.filter(decision_reason_code="").update(decision_reason_code="other")
    Work.objects.filter(status__in=["revision_requested", "rejected"]).update(review_reason_code="other")


def _text(labels, code, note, limit):
    label = labels.get(code, "")
    return (f"{label}: {note}" if label and note else label or note)[:limit]


def texts_from_codes(apps, schema_editor):
    Application = apps.get_model("campaigns", "CampaignApplication")
    Work = apps.get_model("campaigns", "CampaignWork")
    for row in Application.objects.exclude(decision_reason_code__in=["", "other"]).only("decision_reason_code", "decision_reason"):
        row.decision_reason = _text(APPLICATION_LABELS, row.decision_reason_code, row.decision_reason, 500)
        row.save(update_fields=["decision_reason"])
    for row in Work.objects.exclude(review_reason_code__in=["", "other"]).only("review_reason_code", "review_comment"):
        row.review_comment = _text(WORK_LABELS, row.review_reason_code, row.review_comment, 5000)
        row.save(update_fields=["review_comment"])


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0008_platform_reference_rates'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaignapplication',
            name='decision_reason_code',
            field=models.CharField(blank=True, choices=[('price', 'The price is more than the budget allows'), ('fit', 'Not the right fit for this campaign'), ('experience', 'Not enough relevant experience or audience'), ('proposal', 'The proposal needs more detail'), ('timeline', 'The timeline does not work'), ('other', 'Other'), ('another_promoter_selected', 'Another promoter was selected'), ('campaign_ended', 'The campaign has ended'), ('campaign_cancelled', 'The campaign was cancelled')], help_text='Why it was rejected or closed; empty while open, accepted or withdrawn.', max_length=30),
        ),
        migrations.AddField(
            model_name='campaignwork',
            name='review_reason_code',
            field=models.CharField(blank=True, choices=[('brief', 'Does not follow the brief'), ('quality', 'Quality below what was agreed'), ('incomplete', 'Incomplete: parts are missing'), ('format', 'Wrong format, size or platform'), ('access', 'The link or file does not open'), ('guidelines', 'Breaks brand or disclosure guidelines'), ('late', 'Delivered too late'), ('other', 'Other')], help_text='Why it was sent back or rejected; empty while waiting or once approved.', max_length=20),
        ),
        migrations.AlterField(
            model_name='campaignapplication',
            name='decision_reason',
            field=models.CharField(blank=True, help_text="The advertiser's note, for people.", max_length=500),
        ),
        migrations.AlterField(
            model_name='campaignwork',
            name='review_comment',
            field=models.TextField(blank=True, help_text="The reviewer's note, for people.", max_length=5000),
        ),
        migrations.RunPython(codes_from_texts, texts_from_codes),
    ]
