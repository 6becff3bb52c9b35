"""Stripe's request budget, shared by every process (billing.ratelimit)."""

from django.db import models


class RateBucket(models.Model):
    """One token bucket of Stripe's request budget (billing.ratelimit), shared by every process
    that calls Stripe. Rates come from settings; the row only holds the level and when it was
    last read. Unlogged (migration 0009): after a crash the buckets start full again, and
    Stripe's own 429s cover the moment that costs."""

    name = models.CharField(max_length=40, primary_key=True)
    tokens = models.FloatField()
    stamp = models.DateTimeField()

    class Meta:
        db_table = "stripe_rate_buckets"

    def __str__(self):
        return f"{self.name}: {self.tokens:.1f} tokens"
