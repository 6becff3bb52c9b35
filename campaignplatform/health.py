"""Health: whether this web process reaches the database, and whether the background worker
has run recently (its heartbeat), for load balancers and monitoring.

`GET /healthz`: 200 while the database answers, whatever the worker does (a stale worker is no
reason to take web processes out of a load balancer); 503 when the database does not answer.
`GET /healthz?require=worker`: 503 also when the worker's last heartbeat is older than
HEALTH_WORKER_STALE_SECONDS, for monitoring that pages someone. One primary-key read either way.
"""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from campaignplatform.models import Heartbeat

logger = logging.getLogger(__name__)
WORKER = "worker"


def heartbeat(name: str = WORKER) -> None:
    """Record that `name` is alive now (the worker's schedule runs it every minute)."""
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": timezone.now()})


def _worker_state() -> dict:
    """The worker's last heartbeat and whether it is recent. Raises DatabaseError."""
    beat_at = Heartbeat.objects.filter(name=WORKER).values_list("beat_at", flat=True).first()
    if beat_at is None:
        return {"last_heartbeat": None, "age_seconds": None, "fresh": False}
    age = max((timezone.now() - beat_at).total_seconds(), 0)
    return {
        "last_heartbeat": beat_at.isoformat(),
        "age_seconds": round(age),
        "fresh": age <= settings.HEALTH_WORKER_STALE_SECONDS,
    }


@login_not_required
@never_cache
@require_GET
def healthz(request):
    try:
        worker = _worker_state()
    except DatabaseError:
        logger.exception("health check: the database did not answer")
        return JsonResponse({"status": "down", "database": "unreachable"}, status=503)
    status = "ok" if worker["fresh"] else "degraded"
    code = 503 if request.GET.get("require") == WORKER and not worker["fresh"] else 200
    return JsonResponse({"status": status, "database": "ok", "worker": worker}, status=code)
