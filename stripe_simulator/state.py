"""In-memory state: stored objects, balances, idempotency records.

Objects are plain dicts shaped like Stripe's (built from the official fixtures,
see `fixtures.py`). Each object has an owner: `None` for the platform, or the
connected account id when it was created with a `Stripe-Account` header, so
objects on a connected account are invisible to the platform, as on Stripe.
Simulator-only facts (a card's test behaviour, how much of a charge was
already transferred, ...) live in `meta`, never in the returned object.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import string
import tempfile
import threading
import time
from pathlib import Path

_ALPHABET = string.ascii_letters + string.digits

# Bumped when the snapshot's shape changes; an older file is refused, never half-loaded.
SNAPSHOT_VERSION = 1

# Id prefix -> stored object type; used for lookups and `expand[]`.
PREFIXES = {
    "cus": "customer",
    "we": "webhook_endpoint",
    "pm": "payment_method",
    "seti": "setup_intent",
    "pi": "payment_intent",
    "ch": "charge",
    "txn": "balance_transaction",
    "re": "refund",
    "cs": "checkout.session",
    "acct": "account",
    "tr": "transfer",
    "trr": "transfer_reversal",
    "po": "payout",
    "evt": "event",
}


def new_id(prefix: str, length: int = 24) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(length))}"


def now() -> int:
    return int(time.time())


class State:
    """All mutable simulator state. Callers hold `lock` while mutating."""

    def __init__(self):
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.objects: dict[str, dict[str, dict]] = {}
            self.owner: dict[str, str | None] = {}
            self.meta: dict[str, dict] = {}
            # Insertion order breaks ties between objects created in the same second.
            self.seq: dict[str, int] = {}
            self._counter = itertools.count()
            # account (None = platform) -> {"available": {cur: amt}, "pending": {cur: amt}}
            self.balances: dict[str | None, dict[str, dict[str, int]]] = {}
            # (api_key, account, idempotency key) -> record
            self.idempotency: dict[tuple, dict] = {}

    # ------------------------------------------------------------------ objects
    def put(self, obj: dict, owner: str | None = None) -> dict:
        kind = obj["object"]
        self.objects.setdefault(kind, {})[obj["id"]] = obj
        self.owner.setdefault(obj["id"], owner)
        self.seq.setdefault(obj["id"], next(self._counter))
        return obj

    def get(self, kind: str, obj_id: str, owner: str | None = None, *, any_owner: bool = False) -> dict | None:
        obj = self.objects.get(kind, {}).get(obj_id)
        if obj is None:
            return None
        if not any_owner and self.owner.get(obj_id) != owner:
            return None
        return obj

    def find(self, obj_id: str) -> dict | None:
        """Look an object up by id alone (for expansion)."""
        kind = PREFIXES.get(obj_id.split("_", 1)[0])
        if kind is None:
            return None
        return self.objects.get(kind, {}).get(obj_id)

    def all(self, kind: str, owner: str | None = None, *, any_owner: bool = False) -> list[dict]:
        items = [o for o in self.objects.get(kind, {}).values() if any_owner or self.owner.get(o["id"]) == owner]
        # Stripe lists newest first.
        items.sort(key=lambda o: (o.get("created", 0), self.seq[o["id"]]), reverse=True)
        return items

    def meta_of(self, obj_id: str) -> dict:
        return self.meta.setdefault(obj_id, {})

    # ------------------------------------------------------------------ money
    def balance_of(self, account: str | None) -> dict[str, dict[str, int]]:
        return self.balances.setdefault(account, {"available": {}, "pending": {}})

    def credit(self, account: str | None, currency: str, amount: int, bucket: str = "available") -> None:
        b = self.balance_of(account)[bucket]
        b[currency] = b.get(currency, 0) + amount

    def available(self, account: str | None, currency: str) -> int:
        return self.balance_of(account)["available"].get(currency, 0)

    # ------------------------------------------------------------------ snapshot
    def dump_json(self, response_to_dict) -> str:
        """Everything `reset()` creates, as JSON. Idempotency records still in flight (no response
        yet) are left out: after a restart their request is gone, as on Stripe after a timeout.
        `response_to_dict` turns a stored response into a plain dict."""
        with self.lock:
            data = {
                "version": SNAPSHOT_VERSION,
                "objects": self.objects,
                "owner": self.owner,
                "meta": self.meta,
                "seq": self.seq,
                # JSON keys are strings: the platform's key (None) and tuple keys become lists.
                "balances": [[account, buckets] for account, buckets in self.balances.items()],
                "idempotency": [
                    {
                        "key": list(key),
                        "fingerprint": record["fingerprint"],
                        "response": response_to_dict(record["response"]),
                    }
                    for key, record in self.idempotency.items()
                    if record["response"] is not None
                ],
            }
            return json.dumps(data, separators=(",", ":"))

    def load_json(self, text: str, response_from_dict) -> None:
        """Replace the whole state with a `dump_json` snapshot. Raises ValueError on a bad one
        (and then changes nothing)."""
        try:
            data = json.loads(text)
            if data.get("version") != SNAPSHOT_VERSION:
                raise ValueError(f"snapshot version {data.get('version')!r}, expected {SNAPSHOT_VERSION}")
            objects, owner, meta, seq = data["objects"], data["owner"], data["meta"], data["seq"]
            balances = dict(data["balances"])
            idempotency = {
                tuple(record["key"]): {
                    "fingerprint": record["fingerprint"],
                    "response": response_from_dict(record["response"]),
                }
                for record in data["idempotency"]
            }
        except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as error:
            raise ValueError(f"not a simulator state snapshot: {error!r}") from error
        with self.lock:
            self.objects, self.owner, self.meta, self.seq = objects, owner, meta, seq
            self.balances, self.idempotency = balances, idempotency
            self._counter = itertools.count(max(seq.values(), default=-1) + 1)


def write_atomically(path: str | os.PathLike, text: str) -> None:
    """Write to a temporary file beside `path`, then rename it over `path`: a reader (or a crash)
    never sees half a snapshot."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
