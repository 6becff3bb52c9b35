"""The targeted platforms as bits, kept by the database, for the best-match score."""

import django.db.models.expressions
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0012_listed_campaigns_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='campaign',
            name='platform_bits',
            field=models.GeneratedField(db_persist=True, expression=django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(django.db.models.expressions.CombinedExpression(models.Value(0), '+', models.Case(models.When(platforms__contains=['instagram'], then=1), default=0)), '+', models.Case(models.When(platforms__contains=['tiktok'], then=2), default=0)), '+', models.Case(models.When(platforms__contains=['youtube'], then=4), default=0)), '+', models.Case(models.When(platforms__contains=['x'], then=8), default=0)), '+', models.Case(models.When(platforms__contains=['facebook'], then=16), default=0)), '+', models.Case(models.When(platforms__contains=['linkedin'], then=32), default=0)), '+', models.Case(models.When(platforms__contains=['twitch'], then=64), default=0)), '+', models.Case(models.When(platforms__contains=['blog'], then=128), default=0)), output_field=models.IntegerField()),
        ),
    ]
