"""Signed webhook delivery on a background thread, with test switches.

Stripe delivers events asynchronously, sometimes twice and out of order, and
retries failures. The dispatcher reproduces that on purpose-controlled terms:
`hold()` keeps events back, `release(reverse=True)` sends them in the wrong
order, `duplicate_next(n)` sends the next n events twice.

The signature is made by the `stripe` package's own
`WebhookSignature.generate_signature_header`, so `stripe.Webhook.construct_event`
verifies it exactly as it verifies Stripe's.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request

from stripe import WebhookSignature

logger = logging.getLogger(__name__)

USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"


class WebhookDispatcher:
    def __init__(self, config):
        # `config` is the simulator; read at delivery time so changes apply at once.
        self.config = config
        self.cond = threading.Condition()
        self.queue: queue.Queue = queue.Queue()
        self.epoch = 0
        self.reset()
        self._thread = threading.Thread(target=self._worker, name="stripe-sim-webhooks", daemon=True)
        self._thread.start()

    def reset(self) -> None:
        with self.cond:
            self.epoch += 1  # deliveries still in flight from before are not recorded
            while True:
                try:
                    self.queue.get_nowait()
                except queue.Empty:
                    break
            self.holding = False
            self.held: list[dict] = []
            self.duplicate_next_count = 0
            self.deliveries: list[dict] = []
            self.pending = 0
            self.cond.notify_all()

    # ------------------------------------------------------------------ switches
    def hold(self) -> None:
        with self.cond:
            self.holding = True

    def release(self, reverse: bool = False) -> int:
        with self.cond:
            events, self.held, self.holding = self.held, [], False
        if reverse:
            events.reverse()
        for event in events:
            self._enqueue(event)
        return len(events)

    def duplicate_next(self, count: int = 1) -> None:
        with self.cond:
            self.duplicate_next_count += count

    # ------------------------------------------------------------------ submit
    def submit(self, events: list[dict]) -> None:
        for event in events:
            if not self._wanted(event):
                continue
            with self.cond:
                if self.holding:
                    self.held.append(event)
                    continue
            self._enqueue(event)

    def _wanted(self, event: dict) -> bool:
        if not self._target(event)[0]:
            return False
        patterns = self.config.enabled_events or ["*"]
        return any(fnmatch.fnmatchcase(event["type"], p) for p in patterns)

    def _enqueue(self, event: dict) -> None:
        with self.cond:
            copies = 1
            if self.duplicate_next_count > 0:
                self.duplicate_next_count -= 1
                copies = 2
            self.pending += copies
            epoch = self.epoch
        for _ in range(copies):
            if self.config.synchronous_webhooks:
                self._deliver_with_retries(event, epoch)
            else:
                self.queue.put((event, epoch))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued delivery finished (retries included)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True

    # ------------------------------------------------------------------ delivery
    def _worker(self) -> None:
        while True:
            event, epoch = self.queue.get()
            try:
                self._deliver_with_retries(event, epoch)
            except Exception:  # never let one bad delivery kill the thread
                logger.exception("webhook delivery of %s failed", event.get("id"))

    def _target(self, event: dict) -> tuple[str | None, str | None]:
        cfg = self.config
        if event.get("account") and cfg.connect_webhook_url:
            return cfg.connect_webhook_url, cfg.connect_webhook_secret or cfg.webhook_secret
        return cfg.webhook_url, cfg.webhook_secret

    def _deliver_with_retries(self, event: dict, epoch: int) -> None:
        url, secret = self._target(event)
        record = {"event_id": event["id"], "type": event["type"], "url": url, "attempts": 0, "status": None}
        delays = list(self.config.webhook_retry_delays)
        try:
            while True:
                if epoch != self.epoch:
                    break  # the simulator was reset: don't leak an old event into the next test
                record["attempts"] += 1
                record["status"], record["error"] = self._post(url, secret, event)
                if record["status"] and 200 <= record["status"] < 300:
                    record["delivered"] = True
                    break
                if not delays:
                    record["delivered"] = False
                    break
                time.sleep(delays.pop(0))
        finally:
            with self.cond:
                if epoch == self.epoch:
                    self.deliveries.append(record)
                    self.pending = max(0, self.pending - 1)
                self.cond.notify_all()

    def _post(self, url: str, secret: str, event: dict) -> tuple[int | None, str | None]:
        if not url.startswith(("http://", "https://")):
            return None, f"unsupported webhook URL: {url}"
        payload = json.dumps(event, indent=2)
        header = WebhookSignature.generate_signature_header(payload, secret)
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=payload.encode("utf-8"),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": USER_AGENT,
                "Stripe-Signature": header,
                "Cache-Control": "no-cache",
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.config.webhook_timeout) as resp:  # noqa: S310
                return resp.status, None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.reason
        except Exception as exc:  # connection refused, timeout, ...
            return None, repr(exc)
