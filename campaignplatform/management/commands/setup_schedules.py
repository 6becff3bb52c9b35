from datetime import UTC, datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from campaignplatform.schedules import SCHEDULES


def _next_run(at: str | None, schedule_type: str):
    """The next occurrence of HH:MM UTC (for daily/monthly jobs); now for the rest."""
    now = timezone.now()
    if not at:
        return now
    hour, minute = (int(part) for part in at.split(":"))
    if schedule_type == Schedule.MONTHLY:
        first = now.replace(day=1, hour=hour, minute=minute, second=0, microsecond=0)
        if first > now:
            return first
        return (first + timedelta(days=32)).replace(day=1)
    candidate = datetime.combine(now.date(), time(hour, minute), tzinfo=UTC)
    return candidate if candidate > now else candidate + timedelta(days=1)


class Command(BaseCommand):
    help = "Create or update every django-q2 schedule the product needs. Safe to run any number of times."

    @transaction.atomic
    def handle(self, *args, **options):
        for spec in SCHEDULES:
            spec = dict(spec)
            at = spec.pop("time", None)
            name = spec.pop("name")
            defaults = {
                "args": None,
                "kwargs": None,
                "minutes": None,
                "cron": None,
                "repeats": -1,
                **spec,
            }
            schedule, created = Schedule.objects.get_or_create(name=name, defaults=defaults)
            if created:
                schedule.next_run = _next_run(at, schedule.schedule_type)
                schedule.save(update_fields=["next_run"])
            else:
                # Keep next_run so re-running the command never shifts or repeats a job.
                Schedule.objects.filter(pk=schedule.pk).update(**defaults)
            self.stdout.write(f"{'created' if created else 'updated'}: {name}")
        self.stdout.write(self.style.SUCCESS(f"{len(SCHEDULES)} schedule(s) in place."))
