"""The simulator object: API request handling, test switches, server lifecycle.
Kept whole on purpose: the simulator's state, dispatch and event delivery share one lock.

`handle_api()` is transport-independent: the HTTP server (`server.py`) and the
in-process HTTP client (`inprocess.py`) both go through it, so both behave the
same (auth, idempotency, validation, injected failures, events).
"""

from __future__ import annotations

import base64
import copy
import json
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field

from . import params as P
from .errors import StripeError
from .pace import RATE_LIMIT_MESSAGE, Pace
from .resources import balance, checkout, connect, customers, disputes, events, payments, refunds, webhook_endpoints
from .resources.base import Ctx, Route, expand
from .state import State, new_id, write_atomically
from .webhooks import WebhookDispatcher

ROUTES: list[Route] = [
    *customers.ROUTES,
    *payments.ROUTES,
    *refunds.ROUTES,
    *balance.ROUTES,
    *checkout.ROUTES,
    *connect.ROUTES,
    *disputes.ROUTES,
    *events.ROUTES,
    *webhook_endpoints.ROUTES,
]

API_VERSION = "2026-10-28.endive"


@dataclass
class ApiResponse:
    status: int
    body: dict
    headers: dict = field(default_factory=dict)

    def json(self) -> str:
        return json.dumps(self.body, indent=2)


class StripeSimulator:
    """A local Stripe. All switches are plain methods; `server.py` exposes them under `/_sim/`."""

    api_key = "sk_test_simulator"
    api_version = API_VERSION

    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_simulator",  # noqa: S107 - the documented simulator default
        connect_webhook_url: str | None = None,
        connect_webhook_secret: str | None = None,
        synchronous_webhooks: bool = False,
        timeout_seconds: float = 2.0,
        public_url: str | None = None,
        state_file: str | None = None,
        latency_ms: float = 0,
        latency_jitter_ms: float = 0,
        rate_limit: float = 0,
        endpoint_rate_limit: float = 0,
        endpoint_rate_limits: dict | None = None,
        bank_debit_settle_seconds: float = 0,
    ):
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.connect_webhook_url = connect_webhook_url
        self.connect_webhook_secret = connect_webhook_secret
        self.synchronous_webhooks = synchronous_webhooks
        # How long `fail_next(mode="timeout")` stalls a request.
        self.timeout_seconds = timeout_seconds
        self.public_url = public_url
        self.enabled_events: list[str] = ["*"]
        self.webhook_retry_delays: list[float] = [0.05, 0.2, 0.5]
        self.webhook_timeout = 5.0
        # Stripe's pace (stripe_simulator/pace.py): off unless set.
        self.latency_ms = latency_ms
        self.latency_jitter_ms = latency_jitter_ms
        self.rate_limit = rate_limit
        self.endpoint_rate_limit = endpoint_rate_limit
        self.endpoint_rate_limits = dict(endpoint_rate_limits or {})
        # Bank payments (resources/bank_debits.py) settle by themselves after this long; 0: when told.
        self.bank_debit_settle_seconds = bank_debit_settle_seconds
        self.pace = self._pace()
        self.state = State()
        self.webhooks = WebhookDispatcher(self)
        self._failures: list[str] = []
        self._fail_lock = threading.Lock()
        self.server = None
        self.base_url: str | None = None
        self._defaults = self._config_snapshot()
        # With a state file, every change is saved to it (see `save_state`); None: memory only.
        self.state_file = state_file
        self._save_lock = threading.Lock()

    # ================================================================== config & switches
    _CONFIG_KEYS = (
        "webhook_url",
        "webhook_secret",
        "connect_webhook_url",
        "connect_webhook_secret",
        "synchronous_webhooks",
        "timeout_seconds",
        "public_url",
        "enabled_events",
        "webhook_retry_delays",
        "webhook_timeout",
        "latency_ms",
        "latency_jitter_ms",
        "bank_debit_settle_seconds",
        "rate_limit",
        "endpoint_rate_limit",
        "endpoint_rate_limits",
    )

    def _config_snapshot(self) -> dict:
        return {k: copy.copy(getattr(self, k)) for k in self._CONFIG_KEYS}

    def configure(self, **options) -> dict:
        unknown = set(options) - set(self._CONFIG_KEYS)
        if unknown:
            raise ValueError(f"unknown simulator option(s): {', '.join(sorted(unknown))}")
        for key, value in options.items():
            setattr(self, key, value)
        self.pace = self._pace()
        return self.config()

    def _pace(self) -> Pace:
        return Pace(
            latency_ms=self.latency_ms,
            latency_jitter_ms=self.latency_jitter_ms,
            rate_limit=self.rate_limit,
            endpoint_rate_limit=self.endpoint_rate_limit,
            endpoint_rate_limits=self.endpoint_rate_limits,
        )

    def config(self) -> dict:
        return {**self._config_snapshot(), "base_url": self.base_url, "api_key": self.api_key}

    def reset(self, *, keep_config: bool = True) -> None:
        """Forget every object, event and switch. Fast: safe to call before each test."""
        self.webhooks.reset()
        self.state.reset()
        with self._fail_lock:
            self._failures.clear()
        if not keep_config:
            self.configure(**copy.deepcopy(self._defaults))
        self.pace = self._pace()
        self.autosave()

    # ================================================================== state file
    def save_state(self, path: str | None = None) -> None:
        """Write every object, balance and idempotency record to `path` (default: `state_file`)
        as JSON, atomically. Config, switches and queued webhooks are not state: they come from
        the command line and the moment."""
        path = path or self.state_file
        if not path:
            raise ValueError("no state file: pass a path or start the simulator with state_file=...")
        # One save at a time, each taking its snapshot inside: the last file written is the newest.
        with self._save_lock:
            write_atomically(path, self.state.dump_json(_response_to_dict))

    def load_state(self, path: str | None = None) -> int:
        """Replace the state with a `save_state` file; returns how many objects it holds.
        Raises ValueError (naming the file) when it is not a snapshot this version can read."""
        path = path or self.state_file
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        try:
            self.state.load_json(text, _response_from_dict)
        except ValueError as error:
            raise ValueError(f"{path}: {error}. Delete the file to start with an empty simulator.") from error
        with self.state.lock:
            return sum(len(objects) for objects in self.state.objects.values())

    def autosave(self) -> None:
        """Save after a change when running with a state file (a few ms for a demo's worth).
        A failed write is reported, not raised: the request itself went through."""
        if not self.state_file:
            return
        try:
            self.save_state()
        except OSError as error:
            print(f"stripe-simulator: could not save state to {self.state_file}: {error}", file=sys.stderr)

    def fail_next(self, count: int = 1, mode: str = "500") -> None:
        """The next `count` API requests fail: "500" (not processed) or "timeout" (stall, then processed)."""
        if mode not in ("500", "timeout"):
            raise ValueError("mode must be '500' or 'timeout'")
        with self._fail_lock:
            self._failures.extend([mode] * int(count))

    def hold_events(self) -> None:
        self.webhooks.hold()

    def release_events(self, reverse: bool = False) -> int:
        return self.webhooks.release(reverse=reverse)

    def duplicate_next_events(self, count: int = 1) -> None:
        self.webhooks.duplicate_next(count)

    def wait_for_webhooks(self, timeout: float = 5.0) -> bool:
        return self.webhooks.wait_idle(timeout)

    @property
    def events(self) -> list[dict]:
        """Every event created so far, oldest first."""
        with self.state.lock:
            return list(reversed(self.state.all("event", any_owner=True)))

    @property
    def deliveries(self) -> list[dict]:
        with self.webhooks.cond:
            return list(self.webhooks.deliveries)

    def event_types(self) -> list[str]:
        return [e["type"] for e in self.events]

    # ================================================================== test helpers (act like a person)
    def complete_onboarding(self, account_id: str) -> dict:
        return self.run_action(connect.complete_onboarding, account_id)

    def set_capability(self, account_id: str, name: str, status: str) -> dict:
        return self.run_action(connect.set_capability, account_id, name, status)

    def fail_payout(
        self,
        account: str,
        payout_id: str | None = None,
        amount: int | None = None,
        failure_code: str = "account_closed",
    ) -> dict:
        return self.run_action(connect.fail_payout, account, payout_id, amount, failure_code)

    def run_payouts(self) -> list[dict]:
        """Stripe's automatic payouts of connected accounts' balances (`payout.created`)."""
        return self.run_action(connect.pay_out_balances)

    def settle_payouts(self, fail_accounts=()) -> list[dict]:
        """Pending connected payouts arrive (`payout.paid`), or fail for `fail_accounts`."""
        return self.run_action(connect.settle_payouts, set(fail_accounts))

    def open_dispute(self, charge_id: str, reason: str = "fraudulent") -> dict:
        """Open a dispute on a succeeded charge (`charge.dispute.created` and `funds_withdrawn`)."""
        return self.run_action(disputes.open_dispute, charge_id, reason)

    def close_dispute(self, dispute_id: str, won: bool) -> dict:
        """Close a dispute won (`funds_reinstated`) or lost; then `charge.dispute.closed`."""
        return self.run_action(disputes.close_dispute, dispute_id, won)

    def complete_authentication(self, intent_id: str, success: bool = True) -> dict:
        return self.run_action(payments.complete_authentication, intent_id, success)

    def pay_checkout_session(
        self,
        session_id: str,
        card_number: str = "4242424242424242",
        email: str | None = None,
        *,
        account_number: str | None = None,
        routing_number: str | None = None,
    ) -> str:
        """Pay on the hosted page, by card or (`account_number`) by US bank account; returns the
        success_url redirect (raises StripeError on decline)."""
        return self.run_action(
            checkout.pay_session, session_id, card_number, email, None, account_number, routing_number
        )

    def settle_bank_debits(self, fail=(), only=None) -> list[dict]:
        """Every processing bank payment (or the one `only` names) lands: succeeds, or fails for
        Stripe's failing test account numbers and for the payment intent ids in `fail`."""
        return self.run_action(payments.settle_bank_debits, tuple(fail), only)

    def schedule_bank_debit(self, payment_intent_id: str) -> None:
        """With `bank_debit_settle_seconds`, land this bank payment that long from now."""
        if self.bank_debit_settle_seconds > 0:
            timer = threading.Timer(
                self.bank_debit_settle_seconds, self.settle_bank_debits, kwargs={"only": payment_intent_id}
            )
            timer.daemon = True
            timer.start()

    def add_balance(self, amount: int, currency: str = "usd", account: str | None = None) -> None:
        """Top up available balance directly (Stripe's 4000000000000077 card does this)."""
        with self.state.lock:
            self.state.credit(account, currency, amount)
        self.autosave()

    def run_action(self, fn, *args, base_url: str | None = None):
        """Run a state-changing helper like a request: under the lock, then deliver its events."""
        ctx = Ctx(
            sim=self,
            params={},
            base_url=base_url or self.public_url or self.base_url or "",
            request_id=new_id("req", 14),
        )
        try:
            with self.state.lock:
                result = fn(ctx, *args)
                return copy.deepcopy(result)
        finally:
            self.autosave()
            self.webhooks.submit(ctx.pending_events)

    # ================================================================== the API
    def handle_api(self, method: str, path: str, params: dict, headers: dict, base_url: str = "") -> ApiResponse:
        """Handle one `/v1/...` request. `headers` keys are lower-case."""
        request_id = new_id("req", 14)
        resp = self._handle_api(method.upper(), path, params, headers, base_url, request_id)
        if method.upper() != "GET":
            self.autosave()
        resp.headers.setdefault("Request-Id", request_id)
        resp.headers.setdefault("Stripe-Version", headers.get("stripe-version") or self.api_version)
        if headers.get("idempotency-key"):
            resp.headers.setdefault("Idempotency-Key", headers["idempotency-key"])
        return resp

    def _handle_api(self, method, path, params, headers, base_url, request_id) -> ApiResponse:
        # Long on purpose: the simulator's one request dispatcher, in the order Stripe applies auth,
        # pace and idempotency.
        self.pace.wait()
        if reason := self.pace.refused(None):
            return _rate_limited(reason)
        api_key, auth_error = self._authenticate(headers.get("authorization"))
        if auth_error:
            return auth_error
        with self._fail_lock:
            failure = self._failures.pop(0) if self._failures else None
        if failure == "500":
            # Fails before doing anything, so a retry is safe even without an idempotency key.
            return _error(
                StripeError("An unknown error occurred (injected by the simulator).", status=500, type="api_error")
            )
        route, path_args = self._route(method, path)
        if route is None:
            return _error(
                StripeError(
                    f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help "
                    "at https://support.stripe.com/.",
                    status=404,
                )
            )
        if reason := self.pace.refused(f"{method} {route.pattern}"):
            return _rate_limited(reason)
        account = headers.get("stripe-account") or None
        idem_key = headers.get("idempotency-key") if method == "POST" else None
        record_key = (api_key, account, idem_key)
        fingerprint = json.dumps([method, path, params], sort_keys=True)
        with self.state.lock:
            if account and self.state.get("account", account, None) is None:
                return _error(
                    StripeError(
                        f"The provided key '{_mask(api_key)}' does not have access to account '{account}' (or that "
                        "account does not exist). Application access may have been revoked.",
                        status=403,
                        code="account_invalid",
                    )
                )
            if idem_key:
                early = self._replay(record_key, fingerprint, idem_key)
                if early is not None:
                    return early
                self.state.idempotency[record_key] = {"fingerprint": fingerprint, "response": None}
        try:
            if failure == "timeout":
                # Stall past the client's timeout, then carry on: the request still takes effect,
                # which is what makes retrying with the same idempotency key matter.
                time.sleep(self.timeout_seconds)
            with self.state.lock:
                ctx = Ctx(
                    sim=self,
                    params=params,
                    account=account,
                    base_url=self.public_url or base_url,
                    request_id=request_id,
                    idempotency_key=idem_key,
                )
                resp, cacheable = self._execute(route, ctx, path_args)
                resp.headers["Request-Id"] = request_id  # replays repeat the original request's id
                if idem_key:
                    if cacheable:
                        self.state.idempotency[record_key] = {
                            "fingerprint": fingerprint,
                            "response": copy.deepcopy(resp),
                        }
                    else:
                        self.state.idempotency.pop(record_key, None)
        except BaseException:
            with self.state.lock:
                if idem_key and self.state.idempotency.get(record_key, {}).get("response") is None:
                    self.state.idempotency.pop(record_key, None)
            raise
        self.webhooks.submit(ctx.pending_events)
        return resp

    def _authenticate(self, header: str | None):
        key = None
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "bearer":
                key = value.strip()
            elif scheme.lower() == "basic":
                try:
                    key = base64.b64decode(value).decode().split(":", 1)[0]
                except Exception:
                    key = None
        if not key:
            return None, _error(
                StripeError(
                    "You did not provide an API key. You need to provide your API key in the Authorization header, "
                    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api"
                    "#authentication for details, or we can help at https://support.stripe.com/.",
                    status=401,
                )
            )
        if not key.startswith("sk_test_"):
            return None, _error(
                StripeError(
                    f"Invalid API Key provided: {_mask(key)}",
                    status=401,
                    code="api_key_invalid" if key.startswith("sk_live_") else None,
                )
            )
        return key, None

    @staticmethod
    def _route(method: str, path: str):
        for route in ROUTES:
            m = route.regex.match(path)
            if m and route.method == method:
                return route, m.groupdict()
        return None, None

    def _replay(self, record_key, fingerprint, idem_key) -> ApiResponse | None:
        record = self.state.idempotency.get(record_key)
        if record is None:
            return None
        if record["response"] is None:
            return _error(
                StripeError(
                    "There is currently another in-progress request using this Stripe-Account and Idempotency-Key. "
                    "Try again later.",
                    status=409,
                    type="idempotency_error",
                )
            )
        if record["fingerprint"] != fingerprint:
            return _error(
                StripeError(
                    "Keys for idempotent requests can only be used with the same parameters they were first used with. "
                    f"Try using a key other than '{idem_key}' if you meant to execute a different request.",
                    type="idempotency_error",
                )
            )
        resp = copy.deepcopy(record["response"])
        resp.headers["Idempotent-Replayed"] = "true"
        return resp

    def _execute(self, route: Route, ctx: Ctx, path_args: dict) -> tuple[ApiResponse, bool]:
        try:
            if route.params:
                P.check_params(P.params_class(route.params), ctx.params, extra_required=route.required)
            result = route.handler(ctx, **path_args)
            if ctx.params.get("expand"):
                result = expand(self.state, result, ctx.params["expand"])
            return ApiResponse(200, copy.deepcopy(result)), True
        except StripeError as exc:
            return _error(exc), exc.cacheable
        except Exception as exc:  # a simulator bug: say so the way Stripe would say "api_error"
            traceback.print_exc(file=sys.stderr)
            return _error(StripeError(f"Simulator internal error: {exc!r}", status=500, type="api_error")), False

    # ================================================================== server lifecycle
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve HTTP on a daemon thread; returns the base URL."""
        from .server import make_server

        self.server = make_server(self, host, port)
        bound_host, bound_port = self.server.server_address[:2]
        self.base_url = f"http://{bound_host}:{bound_port}"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, name="stripe-sim-http", daemon=True
        ).start()
        return self.base_url

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def client(self, **kwargs):
        """A `stripe.StripeClient` pointed at this simulator (no retries unless asked)."""
        import stripe

        base = self.base_url
        kwargs.setdefault("max_network_retries", 0)
        kwargs.setdefault("base_addresses", {"api": base, "connect": base, "files": base})
        return stripe.StripeClient(kwargs.pop("api_key", self.api_key), **kwargs)


def _response_to_dict(resp: ApiResponse) -> dict:
    return {"status": resp.status, "body": resp.body, "headers": resp.headers}


def _response_from_dict(data: dict) -> ApiResponse:
    return ApiResponse(int(data["status"]), data["body"], dict(data["headers"]))


def _error(exc: StripeError) -> ApiResponse:
    return ApiResponse(exc.status, exc.body())


def _rate_limited(reason: str) -> ApiResponse:
    response = _error(StripeError(RATE_LIMIT_MESSAGE, status=429, code="rate_limit"))
    response.headers["Stripe-Rate-Limited-Reason"] = reason
    return response


def _mask(key: str | None) -> str:
    if not key:
        return ""
    return key[:8] + "*" * 12 + key[-4:] if len(key) > 12 else key[:3] + "****"
