"""In-process transport: the real `stripe` client calls the simulator without a socket.

    sim = StripeSimulator()
    client = stripe.StripeClient("sk_test_x", http_client=InProcessHTTPClient(sim), max_network_retries=0)

Everything the client does (encoding, headers, idempotency keys, error mapping)
is real; only the HTTP hop is skipped. Hosted pages need the HTTP server
(`sim.start()`), because a browser has to reach them. Webhooks are still POSTed
over HTTP to the configured URL.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from stripe import HTTPClient

from .params import decode_form


class InProcessHTTPClient(HTTPClient):
    name = "stripe-simulator-inprocess"

    def __init__(self, sim, base_url: str = "http://stripe-simulator.invalid"):
        super().__init__()
        self.sim = sim
        self.base_url = base_url

    def request(self, method, url, headers, post_data=None):
        parts = urlsplit(url)
        if isinstance(post_data, bytes):
            post_data = post_data.decode("utf-8")
        raw = post_data if method.lower() == "post" else parts.query
        lowered = {k.lower(): v for k, v in (headers or {}).items()}
        resp = self.sim.handle_api(
            method, parts.path, decode_form(raw or ""), lowered, base_url=self.sim.base_url or self.base_url
        )
        out_headers = {k.lower(): v for k, v in resp.headers.items()}
        return json.dumps(resp.body), resp.status, out_headers

    def request_stream(self, method, url, headers, post_data=None):
        raise NotImplementedError("streaming is not used by the v1 API")

    def close(self):
        pass
