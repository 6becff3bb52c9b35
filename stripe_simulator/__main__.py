"""Run the simulator as a process.

    python -m stripe_simulator --host 127.0.0.1 --port 12111 \
        --webhook-url http://127.0.0.1:8000/billing/stripe/webhook/ --webhook-secret whsec_simulator

Every option can also come from the environment: STRIPE_SIM_HOST, STRIPE_SIM_PORT,
STRIPE_SIM_WEBHOOK_URL, STRIPE_SIM_WEBHOOK_SECRET, STRIPE_SIM_CONNECT_WEBHOOK_URL,
STRIPE_SIM_CONNECT_WEBHOOK_SECRET, STRIPE_SIM_PUBLIC_URL, STRIPE_SIM_TIMEOUT_SECONDS,
STRIPE_SIM_SYNCHRONOUS_WEBHOOKS (1/true), STRIPE_SIM_STATE_FILE, and Stripe's pace (stripe_simulator/pace.py,
all off by default): STRIPE_SIM_LATENCY_MS, STRIPE_SIM_LATENCY_JITTER_MS, STRIPE_SIM_RATE_LIMIT (requests a
second, all endpoints), STRIPE_SIM_ENDPOINT_RATE_LIMIT (requests a second on each endpoint) and
STRIPE_SIM_ENDPOINT_RATE_LIMITS ("POST /v1/transfers=25,GET /v1/balance=50").

With --state-file the simulator starts from that file when it exists (e.g. the one
`manage.py demo_data --stripe-state` writes) and saves every change back to it, so a restart
keeps customers, charges and Connect accounts the database refers to.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading

from .pace import parse_endpoint_limits
from .simulator import StripeSimulator


def _env(name: str, default=None):
    return os.environ.get(f"STRIPE_SIM_{name}", default)


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m stripe_simulator", description="Local Stripe API simulator")
    p.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(_env("PORT", "12111")))
    p.add_argument("--webhook-url", default=_env("WEBHOOK_URL"))
    p.add_argument("--webhook-secret", default=_env("WEBHOOK_SECRET", "whsec_simulator"))
    p.add_argument("--connect-webhook-url", default=_env("CONNECT_WEBHOOK_URL"))
    p.add_argument("--connect-webhook-secret", default=_env("CONNECT_WEBHOOK_SECRET"))
    p.add_argument("--public-url", default=_env("PUBLIC_URL"), help="base URL for hosted pages (default: Host header)")
    p.add_argument("--timeout-seconds", type=float, default=float(_env("TIMEOUT_SECONDS", "2.0")))
    p.add_argument(
        "--state-file",
        default=_env("STATE_FILE"),
        help="JSON file to load on start (if present) and save after every change (default: memory only)",
    )
    p.add_argument("--latency-ms", type=float, default=float(_env("LATENCY_MS", "0")))
    p.add_argument("--latency-jitter-ms", type=float, default=float(_env("LATENCY_JITTER_MS", "0")))
    p.add_argument("--rate-limit", type=float, default=float(_env("RATE_LIMIT", "0")), help="requests/s, 0: none")
    p.add_argument("--endpoint-rate-limit", type=float, default=float(_env("ENDPOINT_RATE_LIMIT", "0")))
    p.add_argument(
        "--endpoint-rate-limits",
        default=_env("ENDPOINT_RATE_LIMITS", ""),
        help='per endpoint, e.g. "POST /v1/transfers=25"',
    )
    p.add_argument(
        "--bank-debit-settle-seconds",
        type=float,
        default=float(_env("BANK_DEBIT_SETTLE_SECONDS", "0")),
        help="bank payments settle by themselves after this long (0: only when told, /_sim/bank_debits/settle)",
    )
    p.add_argument(
        "--synchronous-webhooks",
        action="store_true",
        default=_env("SYNCHRONOUS_WEBHOOKS", "").lower() in ("1", "true", "yes"),
    )
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    sim = StripeSimulator(
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        connect_webhook_url=args.connect_webhook_url,
        connect_webhook_secret=args.connect_webhook_secret,
        synchronous_webhooks=args.synchronous_webhooks,
        timeout_seconds=args.timeout_seconds,
        public_url=args.public_url,
        state_file=args.state_file,
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        rate_limit=args.rate_limit,
        endpoint_rate_limit=args.endpoint_rate_limit,
        endpoint_rate_limits=parse_endpoint_limits(args.endpoint_rate_limits),
        bank_debit_settle_seconds=args.bank_debit_settle_seconds,
    )
    if args.state_file and os.path.exists(args.state_file):
        try:
            count = sim.load_state()
        except ValueError as error:
            print(f"stripe-simulator: {error}", file=sys.stderr, flush=True)
            return 2
        print(f"stripe-simulator: loaded {count} objects from {args.state_file}", flush=True)
    base = sim.start(args.host, args.port)
    print(f"stripe-simulator listening on {base} (webhooks -> {args.webhook_url or 'none'})", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    sim.stop()
    if args.state_file:
        sim.autosave()  # saved after each change already; once more for anything still in flight
    return 0


if __name__ == "__main__":
    sys.exit(main())
