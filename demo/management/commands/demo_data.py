"""Idempotent demo data: the demo users (and, with the emulator, their Firebase accounts), and
the first time, two months of marketplace history made through the real services
(the `demo` package)."""

import os
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from accounts import firebase
from demo.history import History
from demo.people import DAYS, DEMO_ADVERTISER, DEMO_PROMOTER, DEMO_STAFF, DemoError, history_exists, users_ensure
from demo.stripe import stripe_simulator
from demo.summary import seconds_since, summary


class Command(BaseCommand):
    help = (
        "Create the demo users and, on a database without them, two months of demo history: campaigns of "
        "each type in each status, applications, work, views, sales, refunds, closed months and payouts "
        "(safe to run again)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait", type=int, default=90, help="Seconds to wait for the Firebase Auth emulator (when configured)."
        )
        parser.add_argument(
            "--stripe-state",
            default=os.environ.get("STRIPE_SIM_STATE_FILE") or None,
            metavar="PATH",
            help=(
                "Save the Stripe simulator's state here after building the history, for "
                "`python -m stripe_simulator --state-file PATH` to load (make run does). "
                "Default: $STRIPE_SIM_STATE_FILE; without it the Stripe side of the history is not kept."
            ),
        )
        parser.add_argument("--users-only", action="store_true", help="Only the demo users, no history.")

    def handle(self, *args, **options):
        started = time.monotonic()
        if options["users_only"]:
            users_ensure()
        elif history_exists():
            users_ensure()
            self.stdout.write("Demo history is already there (Acme Outdoor Gear has campaigns): left as it is.")
        elif not settings.STRIPE_API_BASE:
            users_ensure()
            self.stdout.write(
                "No demo history: this site talks to the real Stripe (STRIPE_API_BASE is empty), and the "
                "history pays through the local Stripe simulator."
            )
        else:
            self._build(state_file=options["stripe_state"])
            self.stdout.write(self.style.SUCCESS(f"Demo history built in {seconds_since(started)}:"))
        if not options["users_only"]:
            for line in summary():
                self.stdout.write(f"  {line}")
        self._sync_emulator(wait_seconds=options["wait"])
        self.stdout.write(self.style.SUCCESS("Demo users (sign in at http://127.0.0.1:8000/accounts/sign-in/):"))
        for label, spec in [("advertiser", DEMO_ADVERTISER), ("promoter", DEMO_PROMOTER)]:
            self.stdout.write(f"  {label:<11} {spec['email']} / {spec['password']}")
        self.stdout.write(
            f"  {'staff':<11} {DEMO_STAFF['email']} / {DEMO_STAFF['password']}  (http://127.0.0.1:8000/admin/)"
        )

    def _build(self, *, state_file):
        try:
            import time_machine  # noqa: F401 - the history is lived with the clock moved back
        except ImportError:
            raise CommandError(
                "Building the demo history needs time-machine, a development dependency: "
                "pip install -r requirements-dev.txt (make run does), or pass --users-only."
            ) from None
        self.stdout.write(f"Building {DAYS} days of demo history through the services and Stripe simulator...")
        try:
            with stripe_simulator(state_file=state_file) as sim:
                History(sim=sim).build()
        except DemoError as error:
            raise CommandError(
                f"The demo history could not be built: {error}\nThe database holds part of it now: start from an "
                "empty database (stop make run, delete the .pgdata folder, run make run again)."
            ) from error
        if state_file:
            self.stdout.write(f"Stripe simulator state saved to {state_file} (the Procfile's simulator loads it).")
        else:
            self.stdout.write(
                self.style.WARNING(
                    "Stripe simulator state not saved (no --stripe-state): refunds, top-ups and payouts of the "
                    "demo campaigns will not find their Stripe objects in a freshly started simulator."
                )
            )
        # The books must balance: the command fails here rather than hand over a broken demo.
        call_command("audit_ledger", stdout=self.stdout, stderr=self.stderr)

    def _sync_emulator(self, *, wait_seconds):
        host = os.environ.get("FIREBASE_AUTH_EMULATOR_HOST")
        if not host:
            self.stdout.write("FIREBASE_AUTH_EMULATOR_HOST is not set: demo users were not added to Firebase.")
            return
        _wait_for(f"http://{host}/", seconds=wait_seconds)
        for spec in (DEMO_ADVERTISER, DEMO_PROMOTER):
            firebase.create_or_update_emulator_user(
                uid=spec["uid"], email=spec["email"], password=spec["password"], display_name=spec["name"]
            )
        self.stdout.write(f"Demo users are in the Firebase Auth emulator at {host}.")


def _wait_for(url, *, seconds):
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # It answered: it is up.
        except OSError:
            if time.monotonic() > deadline:
                raise CommandError(f"The Firebase Auth emulator at {url} did not start within {seconds}s.") from None
            time.sleep(0.5)
