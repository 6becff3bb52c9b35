"""The production configuration as an operator starts it: DEBUG off, the release step's static
files, gunicorn from gunicorn.conf.py on a free port, behind a proxy that terminates TLS."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"

pytestmark = pytest.mark.django_db(transaction=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production(tmp_path, database_url_for_subprocess):
    """gunicorn serving the test database with production settings; yields its base URL."""
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "ENV_FILE": "/dev/null",
        "DJANGO_SETTINGS_MODULE": "campaignplatform.settings",
        "DEBUG": "false",
        "SECRET_KEY": "production-test-" + "k" * 50,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url_for_subprocess,
        "STATIC_ROOT": str(tmp_path / "static"),
        "STRIPE_SECRET_KEY": "sk_test_production_check",
        "STRIPE_WEBHOOK_SECRET": "whsec_production_check",
        "FIREBASE_PROJECT_ID": "campaign-prod",
        "FIREBASE_API_KEY": "AIza-example",
        "FIREBASE_CHECK_REVOKED": "false",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_ACCESS_LOG": "false",
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    server = subprocess.Popen(
        [str(GUNICORN), "campaignplatform.wsgi", "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail("gunicorn did not start")
            time.sleep(0.2)
    yield base, tmp_path / "static"
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _get(url):
    """GET as the load balancer forwards it: TLS ended at the proxy."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_production_serves_pages_static_files_errors_and_health_over_https(production):
    base, static_root = production

    status, headers, body = _get(f"{base}/healthz")
    assert status == 200
    assert json.loads(body)["database"] == "ok"
    with urllib.request.urlopen(f"{base}/healthz", timeout=10) as plain:
        assert plain.status == 200  # answered over plain HTTP, not redirected

    status, headers, body = _get(f"{base}/")
    assert status == 200
    assert b"Campaign Platform" in body
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")

    manifest = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    hashed = next(name for original, name in manifest.items() if original.endswith(".css"))
    status, headers, _ = _get(f"{base}/static/{hashed}")
    assert status == 200
    assert "max-age=315360000" in headers["Cache-Control"] and "immutable" in headers["Cache-Control"]

    status, headers, body = _get(f"{base}/no-such-page/")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    assert b"Traceback" not in body and b"DEBUG" not in body

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as plain_http:
        urllib.request.build_opener(NoRedirect).open(f"{base}/", timeout=10)
    assert plain_http.value.code == 301
    assert plain_http.value.headers["Location"].startswith("https://127.0.0.1")
