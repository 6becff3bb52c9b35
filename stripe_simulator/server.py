"""HTTP front end (standard library only).

/v1/...                 the Stripe API (see simulator.handle_api)
/checkout/<id>          hosted Checkout page (pay / cancel)
/connect/onboard/<acct> Express onboarding page
/_sim/...               test switches (JSON in, JSON out)
"""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlencode, urlsplit

from . import pages
from .errors import StripeError
from .params import decode_form, to_bool
from .resources import checkout, connect, payments
from .state import now


class SimulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(sim, host: str, port: int) -> SimulatorHTTPServer:
    handler = type("BoundHandler", (Handler,), {"sim": sim})
    return SimulatorHTTPServer((host, port), handler)


class Handler(BaseHTTPRequestHandler):
    sim = None  # set by make_server
    protocol_version = "HTTP/1.1"
    server_version = "stripe-simulator"
    # One buffered write per response and no Nagle: avoids ~40 ms delayed-ACK stalls per request.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def log_message(self, format, *args):  # quiet: tests run thousands of requests
        pass

    # ------------------------------------------------------------------ plumbing
    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _body(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length).decode("utf-8") if length else ""

    def _base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{self.headers.get('Host') or f'{host}:{port}'}"

    def _send(self, status: int, body: str, content_type: str, headers: dict | None = None) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, obj, headers: dict | None = None) -> None:
        self._send(status, json.dumps(obj, indent=2), "application/json", headers)

    def _html(self, status: int, html: str) -> None:
        self._send(status, html, "text/html; charset=utf-8")

    def _redirect(self, url: str) -> None:
        if not url:
            self._html(200, pages.message("Done", "No redirect URL was configured."))
            return
        self._send(303, "", "text/plain", {"Location": url})

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        body = self._body() if method == "POST" else ""
        try:
            if path.startswith("/v1/"):
                self._api(method, path, query, body)
            elif path.startswith("/_sim/"):
                self._sim_api(method, path, query, body)
            elif path.startswith("/checkout/"):
                self._checkout(method, path, body)
            elif path.startswith("/connect/onboard/"):
                self._onboarding(method, path, query)
            else:
                self._json(404, StripeError(f"Unrecognized request URL ({method}: {path}).", status=404).body())
        except StripeError as exc:
            self._json(exc.status, exc.body())

    # ------------------------------------------------------------------ API
    def _api(self, method: str, path: str, query: str, body: str) -> None:
        raw = body if method == "POST" else query
        params = decode_form(raw)
        headers = {k.lower(): v for k, v in self.headers.items()}
        resp = self.sim.handle_api(method, path, params, headers, base_url=self._base_url())
        self._json(resp.status, resp.body, resp.headers)

    # ------------------------------------------------------------------ switches
    def _sim_api(self, method: str, path: str, query: str, body: str) -> None:
        # Long on purpose: the table of the simulator's test controls, one branch each.
        sim = self.sim
        data = _switch_data(body, self.headers.get("Content-Type", ""), query)
        routes = [
            ("POST", r"/_sim/reset", lambda: sim.reset() or {"ok": True}),
            ("GET", r"/_sim/config", sim.config),
            ("POST", r"/_sim/config", lambda: sim.configure(**data)),
            (
                "POST",
                r"/_sim/fail_next",
                lambda: sim.fail_next(int(data.get("count", 1)), str(data.get("mode", "500"))) or {"ok": True},
            ),
            ("POST", r"/_sim/hold_events", lambda: sim.hold_events() or {"ok": True}),
            (
                "POST",
                r"/_sim/release_events",
                lambda: {"released": sim.release_events(reverse=to_bool(data.get("reverse")))},
            ),
            (
                "POST",
                r"/_sim/duplicate_next_events",
                lambda: sim.duplicate_next_events(int(data.get("count", 1))) or {"ok": True},
            ),
            ("POST", r"/_sim/wait", lambda: {"idle": sim.wait_for_webhooks(float(data.get("timeout", 5)))}),
            ("GET", r"/_sim/events", lambda: {"events": sim.events, "deliveries": sim.deliveries}),
            ("POST", r"/_sim/accounts/(?P<id>[^/]+)/complete_onboarding", lambda id: sim.complete_onboarding(id)),
            (
                "POST",
                r"/_sim/accounts/(?P<id>[^/]+)/capabilities",
                lambda id: sim.set_capability(id, data["name"], data.get("status", "active")),
            ),
            ("POST", r"/_sim/payouts/run", lambda: {"payouts": sim.run_payouts()}),
            ("POST", r"/_sim/payouts/settle", lambda: {"payouts": sim.settle_payouts(data.get("fail_accounts", []))}),
            (
                "POST",
                r"/_sim/payouts/fail",
                lambda: sim.fail_payout(
                    data["account"],
                    data.get("payout"),
                    int(data["amount"]) if data.get("amount") else None,
                    data.get("failure_code", "account_closed"),
                ),
            ),
            (
                "POST",
                r"/_sim/balance",
                lambda: (
                    sim.add_balance(int(data["amount"]), data.get("currency", "usd"), data.get("account"))
                    or {"ok": True}
                ),
            ),
            (
                "POST",
                r"/_sim/checkout/(?P<id>[^/]+)/pay",
                lambda id: {
                    "redirect": sim.pay_checkout_session(
                        id,
                        data.get("card_number", "4242424242424242"),
                        account_number=data.get("account_number"),
                        routing_number=data.get("routing_number"),
                    )
                },
            ),
            (
                "POST",
                r"/_sim/bank_debits/settle",
                lambda: {"settled": [pi["id"] for pi in sim.settle_bank_debits(data.get("fail") or ())]},
            ),
            ("GET", r"/_sim/authenticate/(?P<id>[^/]+)", None),
            ("POST", r"/_sim/authenticate/(?P<id>[^/]+)", None),
            (
                "POST",
                r"/_sim/disputes",
                lambda: sim.open_dispute(data["charge"], data.get("reason", "fraudulent")),
            ),
            (
                "POST",
                r"/_sim/disputes/(?P<id>[^/]+)/close",
                lambda id: sim.close_dispute(id, to_bool(data.get("won"))),
            ),
            ("GET", r"/_sim/health", lambda: {"ok": True, "time": now()}),
        ]
        for m, pattern, fn in routes:
            match = re.fullmatch(pattern, path)
            if match and m == method:
                if "authenticate" in pattern:
                    return self._authenticate_page(method, match["id"], data)
                try:
                    result = fn(**match.groupdict())
                except (ValueError, KeyError, TypeError) as exc:
                    return self._json(400, {"error": {"type": "invalid_request_error", "message": repr(exc)}})
                return self._json(200, result)
        self._json(404, {"error": {"type": "invalid_request_error", "message": f"No switch {method} {path}"}})

    def _authenticate_page(self, method: str, intent_id: str, data: dict) -> None:
        sim = self.sim
        kind = "setup_intent" if intent_id.startswith("seti_") else "payment_intent"
        intent = sim.state.get(kind, intent_id, any_owner=True)
        if intent is None:
            return self._html(404, pages.message("Not found", f"No such intent: {intent_id}"))
        if method == "GET":
            return self._html(200, pages.authenticate(intent))
        return_url = sim.state.meta_of(intent_id).get("return_url")
        try:
            result = sim.run_action(
                payments.complete_authentication,
                intent_id,
                to_bool(data.get("success"), True),
                base_url=self._base_url(),
            )
        except StripeError as exc:
            result = {"status": intent["status"], "error": exc.message}
        if return_url and "json" not in self.headers.get("Accept", ""):
            # The query Stripe.js appends when it sends the customer back.
            query = urlencode(
                {
                    kind: intent_id,
                    f"{kind}_client_secret": intent["client_secret"],
                    "redirect_status": "succeeded" if intent["status"] in ("succeeded", "processing") else "failed",
                }
            )
            sep = "&" if "?" in return_url else "?"
            return self._redirect(f"{return_url}{sep}{query}")
        return self._json(200, result)

    # ------------------------------------------------------------------ hosted pages
    def _checkout(self, method: str, path: str, body: str = "") -> None:
        m = re.fullmatch(r"/checkout/([^/]+)(?:/(pay|cancel))?", path)
        if not m:
            return self._html(404, pages.message("Not found", path))
        sid, action = m.groups()
        sim = self.sim
        session = sim.state.get("checkout.session", sid, any_owner=True)
        if session is None:
            return self._html(404, pages.message("Not found", f"No such Checkout Session: {sid}"))
        items = sim.state.meta_of(sid).get("line_items", [])
        if action is None and method == "GET":
            return self._html(200, pages.checkout(session, items))
        if action == "cancel":
            return self._redirect(sim.run_action(checkout.cancel_url, sid))
        if action == "pay" and method == "POST":
            form = dict(parse_qsl(body, keep_blank_values=True))
            try:
                url = sim.run_action(
                    checkout.pay_session,
                    sid,
                    form.get("card_number", "4242424242424242"),
                    form.get("email") or None,
                    form.get("name") or None,
                    form.get("account_number") if form.get("method") == "us_bank_account" else None,
                    form.get("routing_number") or None,
                    base_url=self._base_url(),
                )
            except StripeError as exc:
                status = 402 if exc.type == "card_error" else 400
                return self._html(status, pages.checkout(session, items, error=exc.message))
            return self._redirect(url)
        return self._html(405, pages.message("Method not allowed", method))

    def _onboarding(self, method: str, path: str, query: str) -> None:
        sim = self.sim
        acct_id = path.rstrip("/").rsplit("/", 1)[-1]
        link = dict(parse_qsl(query)).get("link", "")
        meta = sim.state.meta.get(link)
        if not meta or meta.get("account") != acct_id:
            return self._html(404, pages.message("Link invalid", "This onboarding link is not valid."))
        if meta["expires_at"] < now() or meta.get("used"):
            # Stripe sends people whose link expired (or was used) back to refresh_url.
            return self._redirect(meta["refresh_url"])
        account = sim.state.get("account", acct_id, None)
        if account is None:
            return self._html(404, pages.message("Not found", f"No such account: {acct_id}"))
        if method == "GET":
            return self._html(200, pages.onboarding(account, link))
        meta["used"] = True
        sim.run_action(connect.complete_onboarding, acct_id)
        return self._redirect(meta["return_url"])


def _switch_data(body: str, content_type: str, query: str) -> dict:
    data = dict(parse_qsl(query))
    if not body:
        return data
    if "json" in content_type:
        data.update(json.loads(body))
    else:
        data.update(decode_form(body))
    return data
