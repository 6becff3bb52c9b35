"""Why a payment or a refund failed becomes a code (Stripe's own, where we know it).

Payments: Stripe's decline code when one was kept, else the platform's own texts (the payment
page expired, Stripe's amount limits, a bank asking for authentication); anything else is OTHER
with Stripe's message kept. Refunds: the refund's own code (it was stored as the text) or the
code Stripe's message stands for. Reversed, the texts come back where the code replaced them.
"""

from django.db import migrations, models

PAYMENT_CODES = {
    "card_declined", "insufficient_funds", "expired_card", "incorrect_cvc", "lost_card", "stolen_card",
    "processing_error", "authentication_required", "account_closed", "no_account", "debit_not_authorized",
    "amount_too_large", "amount_too_small", "checkout_expired",
}
PAYMENT_PAGE_EXPIRED = "The payment page expired."
# Texts the platform wrote itself (payment_limits, the 3-D Secure answer), by how they start.
PAYMENT_CODE_OF_PREFIX = {
    "One payment can be at most": "amount_too_large",
    "A payment must be at least": "amount_too_small",
    "Your bank asks you to confirm": "authentication_required",
}
REFUND_CODES = {
    "charge_disputed", "charge_already_refunded", "amount_too_large", "declined", "expired_or_canceled_card",
    "lost_or_stolen_card",
}
# Stripe's messages for the refusals it answers with an error, by what they say.
REFUND_CODE_OF_MESSAGE = {
    "has been charged back": "charge_disputed",
    "has already been refunded": "charge_already_refunded",
    "is greater than": "amount_too_large",
}


def _payment_code(decline_code, text):
    decline_code = "card_declined" if decline_code == "generic_decline" else decline_code
    if decline_code:
        return decline_code if decline_code in PAYMENT_CODES else "other"
    if text == PAYMENT_PAGE_EXPIRED:
        return "checkout_expired"
    for prefix, code in PAYMENT_CODE_OF_PREFIX.items():
        if text.startswith(prefix):
            return code
    return "other"


def _refund_code(text):
    if text in REFUND_CODES:
        return text
    return next((code for words, code in REFUND_CODE_OF_MESSAGE.items() if words in text), "other")


def codes_from_texts(apps, schema_editor):
    Intent = apps.get_model("billing", "StripePaymentIntent")
    Charge = apps.get_model("billing", "AdvertiserCharge")
    failed = Intent.objects.exclude(failure_reason="", decline_code="").only("failure_reason", "decline_code")
    for intent in failed.iterator():
        intent.failure_reason_code = _payment_code(intent.decline_code, intent.failure_reason)
        if intent.failure_reason == PAYMENT_PAGE_EXPIRED:
            intent.failure_reason = ""
        intent.save(update_fields=["failure_reason_code", "failure_reason"])
    for charge in Charge.objects.filter(status="failed").only("failure_reason").iterator():
        charge.failure_reason_code = _refund_code(charge.failure_reason)
        if charge.failure_reason in REFUND_CODES:
            charge.failure_reason = ""  # it was the code; the label says it now
        charge.save(update_fields=["failure_reason_code", "failure_reason"])


def texts_from_codes(apps, schema_editor):
    Intent = apps.get_model("billing", "StripePaymentIntent")
    Charge = apps.get_model("billing", "AdvertiserCharge")
    Intent.objects.filter(failure_reason_code="checkout_expired", failure_reason="").update(
        failure_reason=PAYMENT_PAGE_EXPIRED
    )
    for code in REFUND_CODES:
        Charge.objects.filter(failure_reason_code=code, failure_reason="").update(failure_reason=code)


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0015_payment_failed_charge'),
    ]

    operations = [
        migrations.AddField(
            model_name='advertisercharge',
            name='failure_reason_code',
            field=models.CharField(blank=True, choices=[('charge_disputed', 'The payment was disputed (charged back)'), ('charge_already_refunded', 'The payment was already refunded'), ('amount_too_large', 'More than what is left of the payment'), ('declined', 'The bank declined the refund'), ('expired_or_canceled_card', 'The card expired or was cancelled'), ('lost_or_stolen_card', 'The card was reported lost or stolen'), ('other', 'Other')], help_text='Why it failed; empty unless it did.', max_length=30),
        ),
        migrations.AddField(
            model_name='stripepaymentintent',
            name='failure_reason_code',
            field=models.CharField(blank=True, choices=[('card_declined', 'Card declined'), ('insufficient_funds', 'Insufficient funds'), ('expired_card', 'Card expired'), ('incorrect_cvc', 'Wrong security code'), ('lost_card', 'Card reported lost'), ('stolen_card', 'Card reported stolen'), ('processing_error', 'Error while processing the card'), ('authentication_required', 'The bank asks for authentication'), ('account_closed', 'Bank account closed'), ('no_account', 'Bank account not found'), ('debit_not_authorized', 'Debit not authorised by the account holder'), ('amount_too_large', "Above Stripe's largest payment"), ('amount_too_small', "Below Stripe's smallest payment"), ('checkout_expired', 'The payment page expired'), ('other_payment_processing', 'Closed: another payment for this campaign is processing'), ('other', 'Other')], help_text='Why it failed; empty unless it did.', max_length=30),
        ),
        migrations.AlterField(
            model_name='advertisercharge',
            name='failure_reason',
            field=models.CharField(blank=True, help_text="Stripe's message, for people.", max_length=500),
        ),
        migrations.AlterField(
            model_name='stripepaymentintent',
            name='decline_code',
            field=models.CharField(blank=True, help_text="Stripe's own code, as it sent it.", max_length=60),
        ),
        migrations.AlterField(
            model_name='stripepaymentintent',
            name='failure_reason',
            field=models.CharField(blank=True, help_text="Stripe's message, for people.", max_length=500),
        ),
        migrations.RunPython(codes_from_texts, texts_from_codes),
    ]
