from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_fee_plans"),
    ]

    operations = [
        migrations.CreateModel(
            name="RateBucket",
            fields=[
                ("name", models.CharField(max_length=40, primary_key=True, serialize=False)),
                ("tokens", models.FloatField()),
                ("stamp", models.DateTimeField()),
            ],
            options={"db_table": "stripe_rate_buckets"},
        ),
        # A hot row updated on every Stripe call that moves money: no WAL for it. Its state is
        # worth nothing after a crash (the buckets refill within a second).
        migrations.RunSQL("ALTER TABLE stripe_rate_buckets SET UNLOGGED", "ALTER TABLE stripe_rate_buckets SET LOGGED"),
    ]
