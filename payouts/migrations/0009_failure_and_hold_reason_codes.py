"""Why a transfer or payout failed, why a bank refused a payout, and why staff hold payouts
become codes.

Existing rows: the platform's own texts and the messages Stripe sends for the refusals we know
map to their codes; anything else is OTHER with the text kept as the message or note. Reversed,
the texts come back where the code replaced them.
"""

from django.db import migrations, models

REVERSED_TEXT = "Reversed by Stripe; the amount is back in your wallet."
NOT_SENT_AGAIN_PREFIX = "Returned payment not sent again: "
# What a transfer's failure text says, and the code it stands for (Stripe's messages and the
# gateway's own answers when Stripe could not be reached).
TRANSFER_CODE_OF_WORDS = {
    "insufficient available funds": "balance_insufficient",
    "needs to have at least one of the following capabilities": "insufficient_capabilities_for_transfer",
    "does not have access to account": "account_invalid",
    "No such destination": "resource_missing",
    "No such charge": "resource_missing",
    "One payment can be at most": "amount_too_large",
    "The payment service": "stripe_unavailable",
    "The same payment request is still being processed": "stripe_unavailable",
}
BANK_CODES = {
    "account_closed", "no_account", "invalid_account_number", "account_frozen", "bank_account_restricted",
    "invalid_currency", "declined", "could_not_process",
}
HOLD_LABELS = {
    "fraud_review": "Suspicious activity under review",
    "chargeback_review": "Chargebacks or refunds under review",
    "identity_check": "Identity check",
    "terms_review": "Terms of service review",
    "promoter_request": "Held at the promoter's request",
}


def _transfer_code_and_text(text):
    if text == REVERSED_TEXT:
        return "transfer_reversed", "the amount is back in your wallet."
    if text.startswith(NOT_SENT_AGAIN_PREFIX):
        return "not_sent_again", text.removeprefix(NOT_SENT_AGAIN_PREFIX)
    code = next((code for words, code in TRANSFER_CODE_OF_WORDS.items() if words in text), "other")
    return code, text


def _hold_code_and_note(text):
    code = text.strip().lower().replace(" ", "_")
    return (code, "") if code in HOLD_LABELS else ("other", text)


def codes_from_texts(apps, schema_editor):
    for model in ("StripeTransfer", "PayoutRecord"):
        rows = apps.get_model("payouts", model).objects.exclude(failure_reason="").only("failure_reason")
        for row in rows.iterator():
            row.failure_reason_code, row.failure_reason = _transfer_code_and_text(row.failure_reason)
            row.save(update_fields=["failure_reason_code", "failure_reason"])
    Account = apps.get_model("payouts", "StripeConnectAccount")
    for account in Account.objects.exclude(payout_failure_message="").only("payout_failure_message").iterator():
        message = account.payout_failure_message
        if message in BANK_CODES:  # the webhook kept Stripe's code when it sent no message
            account.payout_failure_code, account.payout_failure_message = message, ""
        elif message == "no reason given":
            account.payout_failure_code, account.payout_failure_message = "other", ""
        else:
            account.payout_failure_code = "other"
        account.save(update_fields=["payout_failure_code", "payout_failure_message"])
    Wallet = apps.get_model("payouts", "Wallet")
    for wallet in Wallet.objects.filter(payout_hold=True).only("payout_hold_reason").iterator():
        wallet.payout_hold_reason_code, wallet.payout_hold_reason = _hold_code_and_note(wallet.payout_hold_reason)
        wallet.save(update_fields=["payout_hold_reason_code", "payout_hold_reason"])


def texts_from_codes(apps, schema_editor):
    for model in ("StripeTransfer", "PayoutRecord"):
        rows = apps.get_model("payouts", model).objects
        rows.filter(failure_reason_code="transfer_reversed").update(failure_reason=REVERSED_TEXT)
        for row in rows.filter(failure_reason_code="not_sent_again").only("failure_reason").iterator():
            row.failure_reason = (NOT_SENT_AGAIN_PREFIX + row.failure_reason)[:500]
            row.save(update_fields=["failure_reason"])
    Account = apps.get_model("payouts", "StripeConnectAccount")
    for code in BANK_CODES:
        Account.objects.filter(payout_failure_code=code, payout_failure_message="").update(payout_failure_message=code)
    Account.objects.filter(payout_failure_code="other", payout_failure_message="").update(
        payout_failure_message="no reason given"
    )
    Wallet = apps.get_model("payouts", "Wallet")
    for code, label in HOLD_LABELS.items():
        Wallet.objects.filter(payout_hold_reason_code=code, payout_hold_reason="").update(payout_hold_reason=label)


class Migration(migrations.Migration):

    dependencies = [
        ('payouts', '0008_payout_runs'),
    ]

    operations = [
        migrations.AddField(
            model_name='payoutrecord',
            name='failure_reason_code',
            field=models.CharField(blank=True, choices=[('balance_insufficient', "The platform's Stripe balance is too low"), ('insufficient_capabilities_for_transfer', 'The payout account cannot receive transfers yet'), ('account_invalid', 'The payout account cannot be used'), ('resource_missing', 'Stripe does not know the payout account or the payment'), ('amount_too_large', "Above Stripe's largest transfer"), ('stripe_unavailable', 'Stripe could not be reached'), ('transfer_reversed', 'Stripe reversed the transfer'), ('not_sent_again', 'The returned payment was not sent again'), ('other', 'Other')], help_text="Its transfer's failure, if any.", max_length=40),
        ),
        migrations.AddField(
            model_name='stripeconnectaccount',
            name='payout_failure_code',
            field=models.CharField(blank=True, choices=[('account_closed', 'Bank account closed'), ('no_account', 'Bank account not found'), ('invalid_account_number', 'Invalid account number'), ('account_frozen', 'Bank account frozen'), ('bank_account_restricted', 'Bank account restricted'), ('invalid_currency', 'The bank account cannot take this currency'), ('declined', 'The bank declined the payout'), ('could_not_process', 'The bank could not process the payout'), ('other', 'Other')], help_text='Empty: no refused payout.', max_length=30),
        ),
        migrations.AddField(
            model_name='stripetransfer',
            name='failure_reason_code',
            field=models.CharField(blank=True, choices=[('balance_insufficient', "The platform's Stripe balance is too low"), ('insufficient_capabilities_for_transfer', 'The payout account cannot receive transfers yet'), ('account_invalid', 'The payout account cannot be used'), ('resource_missing', 'Stripe does not know the payout account or the payment'), ('amount_too_large', "Above Stripe's largest transfer"), ('stripe_unavailable', 'Stripe could not be reached'), ('transfer_reversed', 'Stripe reversed the transfer'), ('not_sent_again', 'The returned payment was not sent again'), ('other', 'Other')], help_text='Why it failed or was taken back.', max_length=40),
        ),
        migrations.AddField(
            model_name='wallet',
            name='payout_hold_reason_code',
            field=models.CharField(blank=True, choices=[('fraud_review', 'Suspicious activity under review'), ('chargeback_review', 'Chargebacks or refunds under review'), ('identity_check', 'Identity check'), ('terms_review', 'Terms of service review'), ('promoter_request', "Held at the promoter's request"), ('other', 'Other')], help_text='Why the payouts are held; empty when they are not.', max_length=20, verbose_name='hold reason'),
        ),
        migrations.AlterField(
            model_name='payoutrecord',
            name='failure_reason',
            field=models.CharField(blank=True, help_text="Stripe's message, for people.", max_length=500),
        ),
        migrations.AlterField(
            model_name='stripeconnectaccount',
            name='payout_failure_message',
            field=models.CharField(blank=True, help_text="Stripe's message, for people.", max_length=300),
        ),
        migrations.AlterField(
            model_name='stripetransfer',
            name='failure_reason',
            field=models.CharField(blank=True, help_text="Stripe's message, for people.", max_length=500),
        ),
        migrations.AlterField(
            model_name='wallet',
            name='payout_hold_reason',
            field=models.CharField(blank=True, help_text="Staff's note; the promoter reads it.", max_length=300, verbose_name='hold note'),
        ),
        migrations.RunPython(codes_from_texts, texts_from_codes),
    ]
