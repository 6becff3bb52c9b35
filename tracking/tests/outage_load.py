"""Clicks on a tracking link from several threads of one web process while its database goes
away and comes back: run by `test_outage.py` in a process of its own, on the throwaway server.

    DATABASE_URL=... TRACKING_SPILL_DIR=... TRACKING_WRITER_MAX_QUEUED=... \\
        python -m tracking.tests.outage_load MAX_VIEWS CLICKS_PER_SECOND

Each request goes through Django's whole stack (the WSGI handler, every middleware, the view)
from a distinct visitor. Prints `ready {...}` once the link answers, sends clicks at the given
pace until a line arrives on stdin, then waits for the writer to write every queued or spilled
click and prints `done {...}`: how many redirects were answered, and the writer's losses.
"""

import io
import json
import os
import sys
import threading
import time

THREADS = 4
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"


def _fixture(max_views: int):
    import datetime
    import uuid

    from django.utils import timezone

    from accounts.models import Role, User
    from campaigns.models import Campaign, CampaignStatus, CampaignType, PromoterCampaign

    tag = uuid.uuid4().hex[:8]
    today = timezone.localdate()
    campaign = Campaign.objects.create(
        advertiser=User.objects.create(email=f"outage-adv-{tag}@example.test", role=Role.ADVERTISER),
        campaign_type=CampaignType.VISIBILITY,
        status=CampaignStatus.ACTIVE,
        title=f"Outage {tag}",
        description="outage",
        target_url="https://example.com/product",
        start_date=today,
        end_date=today + datetime.timedelta(days=30),
        cpv=300,
        max_views=max_views,
        published_at=timezone.now(),
    )
    promoter = User.objects.create(email=f"outage-pro-{tag}@example.test", role=Role.PROMOTER)
    return campaign, PromoterCampaign.objects.create(campaign=campaign, promoter=promoter)


def _environ(path: str, visitor: int) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": UA,
        "HTTP_ACCEPT": "text/html",
        "HTTP_X_FORWARDED_FOR": f"10.{(visitor >> 16) & 255}.{(visitor >> 8) & 255}.{visitor & 255}",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
    }


class Load:
    def __init__(self, app, path: str, per_second: float):
        self._app, self._path, self._interval = app, path, THREADS / per_second
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._next_visitor = 1
        self.statuses: dict[str, int] = {}

    def _request(self) -> str:
        with self._lock:
            visitor, self._next_visitor = self._next_visitor, self._next_visitor + 1
        status = []
        response = self._app(_environ(self._path, visitor), lambda line, headers, exc=None: status.append(line))
        b"".join(response)
        response.close()
        return status[0].split()[0]

    def _loop(self):
        due = time.monotonic()
        while not self._stop.is_set():
            code = self._request()
            with self._lock:
                self.statuses[code] = self.statuses.get(code, 0) + 1
            due += self._interval
            self._stop.wait(max(0.0, due - time.monotonic()))

    def run_until_stdin(self):
        threads = [threading.Thread(target=self._loop) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        sys.stdin.readline()
        self._stop.set()
        for thread in threads:
            thread.join()


def main():
    max_views, per_second = int(sys.argv[1]), float(sys.argv[2])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tracking.tests.outage_settings"
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application
    from django.db import connection

    from tracking import services
    from tracking.services import counting

    campaign, participation = _fixture(max_views)
    connection.close()
    load = Load(get_wsgi_application(), f"/v/{participation.tracking_code}", per_second)
    assert load._request() == "302"  # the link is known (and cached) before the database goes
    load.statuses["302"] = 1
    print("ready", json.dumps({"campaign": campaign.pk, "participation": participation.pk}), flush=True)
    load.run_until_stdin()
    written = services.views_flush(timeout=120)
    writer = counting._view_writer
    print(
        "done",
        json.dumps({"statuses": load.statuses, "written": written, "dropped": writer.dropped, "failed": writer.failed}),
        flush=True,
    )


if __name__ == "__main__":
    main()
