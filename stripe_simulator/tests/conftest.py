"""Contract tests drive the simulator only through the real `stripe` client (and plain HTTP for pages)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytest_plugins = ["stripe_simulator.pytest_plugin"]


class WebhookReceiver:
    """A tiny endpoint that records what the simulator POSTs to it."""

    def __init__(self):
        self.received: list[dict] = []  # {"headers": ..., "body": str, "event": dict}
        self.fail_statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                with receiver.lock:
                    status = receiver.fail_statuses.pop(0) if receiver.fail_statuses else 200
                    if status == 200:
                        receiver.received.append(
                            {"headers": dict(self.headers), "body": body, "event": json.loads(body)}
                        )
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhook/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def event_ids(self) -> list[str]:
        return [r["event"]["id"] for r in self.received]

    def types(self) -> list[str]:
        return [r["event"]["type"] for r in self.received]


@pytest.fixture(scope="session")
def _receiver():
    r = WebhookReceiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def webhook_receiver(_receiver, stripe_sim):
    _receiver.received.clear()
    _receiver.fail_statuses.clear()
    stripe_sim.configure(webhook_url=_receiver.url, webhook_secret="whsec_contract")
    return _receiver


@pytest.fixture
def customer_with_card(stripe_client):
    cus = stripe_client.v1.customers.create(params={"email": "payer@example.com"})
    pm = stripe_client.v1.payment_methods.attach("pm_card_visa", params={"customer": cus.id})
    return cus, pm
