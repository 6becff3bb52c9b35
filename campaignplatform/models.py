"""The project's own table: the background worker's heartbeat, read by the health endpoint."""

from django.db import models


class Heartbeat(models.Model):
    """When a process last proved it runs: the django-q2 worker writes "worker" every minute
    (the `campaignplatform.heartbeat` schedule)."""

    name = models.CharField(max_length=50, primary_key=True)
    beat_at = models.DateTimeField()

    class Meta:
        db_table = "heartbeats"

    def __str__(self):
        return f"{self.name} at {self.beat_at:%Y-%m-%d %H:%M:%S}"
