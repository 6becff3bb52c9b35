"""Many single-leg postings in one go, for the monthly close and the payout run.

`ledger_post` costs about ten queries a posting; the close posts one release and one payout per
promoter, so 100,000 promoters would mean a million queries. `ledger_post_many` does the same work
for a batch of movements in a bounded number of queries, with ledger_post's rules: accounts locked
in primary-key order, fresh balances read under the locks, a non-negative account is never
overdrawn, every movement has its own idempotency key (leg 0) and a key already posted is skipped,
and the balance listeners (the wallets projection) run with the changed accounts.
"""

from collections import defaultdict
from dataclasses import dataclass, replace

from django.db import connection

from billing.ledger import InsufficientFunds, _balance_listeners
from billing.models import MAY_GO_NEGATIVE, LedgerAccount, Transaction
from campaignplatform.bulk import AnyOf, array_cursor, bulk_insert, bulk_set


@dataclass(frozen=True)
class Move:
    """One movement. `destination_id` None: the destination is the `new_destination_kind`
    account of `destination_user_id`, which does not exist yet (see ledger_post_many)."""

    idempotency_key: str
    source_id: int
    destination_id: int | None
    amount: int
    memo: str = ""
    destination_user_id: int | None = None


def accounts_for_users(kind: str, user_ids, currency: str = "usd") -> dict:
    """{user_id: ledger account id} of `kind`, creating the missing ones with one insert."""
    user_ids = set(user_ids)
    accounts = LedgerAccount.objects.filter(kind=kind, currency=currency, campaign__isnull=True)
    found = dict(accounts.filter(AnyOf("user_id", user_ids)).values_list("user_id", "pk"))
    missing = user_ids - found.keys()
    if missing:
        rows = [{"kind": kind, "user_id": user_id, "currency": currency} for user_id in missing]
        # ignore_conflicts: a concurrent posting may create the same account (unique constraint).
        found.update(bulk_insert(LedgerAccount, rows, ignore_conflicts=True, returning=["user_id", "id"]))
        missing -= found.keys()
        if missing:
            found.update(accounts.filter(AnyOf("user_id", missing)).values_list("user_id", "pk"))
    return found


@dataclass(slots=True)
class LockedAccount:
    """What a balance listener reads of an account (pk, kind, owner, currency, new balance and
    what this posting changed it by), without a model instance per row. `extra`: figures the
    caller asks the projection to add in the same write (e.g. a wallet's paid_out_total)."""

    pk: int
    kind: str
    currency: str
    user_id: int | None
    campaign_id: int | None
    balance: int
    delta: int = 0
    extra: dict | None = None

    def __str__(self):
        return f"{self.kind} account {self.pk}"


def _lock(account_ids) -> dict:
    """Lock the accounts in primary-key order; {pk: LockedAccount} with their balances."""
    with array_cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, currency, user_id, campaign_id, balance FROM ledger_accounts "
            "WHERE id = ANY(%b::bigint[]) ORDER BY id FOR UPDATE",
            [sorted(account_ids)],
        )
        rows = cursor.fetchall()
    return {row[0]: LockedAccount(*row) for row in rows}


def _posted(keys: list[str]) -> set:
    """The idempotency keys among `keys` already posted (leg 0)."""
    with array_cursor() as cursor:
        cursor.execute(
            "SELECT idempotency_key FROM transactions WHERE leg = 0 AND idempotency_key = ANY(%b::varchar(200)[])",
            [keys],
        )
        return {key for (key,) in cursor.fetchall()}


def ledger_post_many(
    *,
    kind: str,
    moves: list[Move],
    currency: str = "usd",
    cap_to_source: bool = False,
    new_destination_kind: str | None = None,
    extra_by_key: dict | None = None,
) -> list[Move]:
    """Post each move (source -> destination) once; return the moves posted by this call.

    Runs inside the caller's transaction.atomic(). Raises InsufficientFunds, posting nothing,
    when any non-negative account would be overdrawn. With `cap_to_source`, each move is first
    lowered to what its source holds under the locks (moves of nothing are dropped).

    Moves without a destination_id go to a new `new_destination_kind` account of their
    destination_user_id, inserted with its balance already set (an insert, then an update of
    the same row, would write it twice; the close creates 100,000 of them the first time). One
    created meanwhile by another posting (the insert conflicts) is locked and added to.
    `extra_by_key`: {idempotency key: {figure: cents}}, summed per source account over the moves
    this call posts and handed to the balance listeners with that account (LockedAccount.extra),
    for running totals that move with the posting (a replayed move adds nothing).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_post_many must run inside transaction.atomic().")
    moves = _moves_checked(moves, new_destination_kind)
    if not moves:
        return []
    account_ids = {move.source_id for move in moves} | {move.destination_id for move in moves}
    account_ids.discard(None)
    locked = _lock(account_ids)
    # Checked under the locks: a concurrent poster of the same keys locks the same sources, so
    # its rows are committed and visible by now.
    posted = _posted([move.idempotency_key for move in moves])
    moves = [move for move in moves if move.idempotency_key not in posted]
    if cap_to_source:
        moves = _capped_to_sources(moves, locked)
    if not moves:
        return []
    created = {}
    if any(move.destination_id is None for move in moves):
        moves, created = _destinations_create(moves, new_destination_kind, currency, locked)
    deltas = _deltas_checked(moves, locked, currency)
    _transactions_insert(moves, kind=kind, currency=currency)
    changed = _balances_apply(deltas, locked, created)
    if extra_by_key:
        _extra_add(moves, locked, extra_by_key)
    for listener in _balance_listeners:
        listener(changed)
    return moves


def _moves_checked(moves: list[Move], new_destination_kind: str | None) -> list[Move]:
    """The moves of something, each a positive integer with somewhere to go (ValueError if not)."""
    moves = [move for move in moves if move.amount]
    for move in moves:
        if move.amount < 0 or not isinstance(move.amount, int):
            raise ValueError(f"Ledger amounts are positive integer cents, not {move.amount!r}.")
        if move.destination_id is None and (new_destination_kind is None or move.destination_user_id is None):
            raise ValueError("A move to a new account needs new_destination_kind and destination_user_id.")
    return moves


def _capped_to_sources(moves: list[Move], locked: dict) -> list[Move]:
    """Each move lowered to what its source still holds (in order); moves of nothing dropped."""
    left = {pk: account.balance for pk, account in locked.items()}
    capped = []
    for move in moves:
        amount = min(move.amount, max(left[move.source_id], 0))
        if amount > 0:
            left[move.source_id] -= amount
            capped.append(move if amount == move.amount else replace(move, amount=amount))
    return capped


def _deltas_checked(moves: list[Move], locked: dict, currency: str) -> dict:
    """{account pk: net change}; InsufficientFunds if a non-negative account would go below zero."""
    deltas = defaultdict(int)
    for move in moves:
        deltas[move.source_id] -= move.amount
        deltas[move.destination_id] += move.amount
    for pk, delta in deltas.items():
        held = locked[pk]
        if held.currency != currency:
            raise ValueError("A ledger movement cannot change currency.")
        if held.kind not in MAY_GO_NEGATIVE and held.balance + delta < 0:
            raise InsufficientFunds(held, -delta, held.balance)
    return deltas


def _transactions_insert(moves: list[Move], *, kind: str, currency: str) -> None:
    rows = [
        {
            "idempotency_key": move.idempotency_key,
            "leg": 0,
            "kind": kind,
            "source_id": move.source_id,
            "destination_id": move.destination_id,
            "amount": move.amount,
            "currency": currency,
            "memo": move.memo[:300],
        }
        for move in moves
    ]
    # A batch id per movement, drawn by the database: uuid4() in Python costs seconds here.
    bulk_insert(Transaction, rows, expressions={"batch": "gen_random_uuid()"})


def _balances_apply(deltas: dict, locked: dict, created) -> list:
    """New balances on the locked accounts (the created ones were inserted with theirs)."""
    changed = []
    for pk, delta in deltas.items():
        if delta:
            account = locked[pk]
            account.balance += delta
            account.delta = delta
            changed.append(account)
    bulk_set(LedgerAccount, "balance", {a.pk: a.balance for a in changed if a.pk not in created})
    return changed


def _extra_add(moves: list[Move], locked: dict, extra_by_key: dict) -> None:
    """Running totals for the balance listeners, summed per source account."""
    for move in moves:
        for figure, cents in extra_by_key.get(move.idempotency_key, {}).items():
            source = locked[move.source_id]
            source.extra = source.extra or {}
            source.extra[figure] = source.extra.get(figure, 0) + cents


def _destinations_create(moves: list[Move], kind: str, currency: str, locked: dict) -> tuple[list[Move], set]:
    """Insert the new destination accounts with their final balances; returns the moves with
    their destination ids and the ids of the accounts inserted (whose balance is already set).
    `locked` gains every destination, balanced as before these moves (0 for the new ones)."""
    amounts = defaultdict(int)
    for move in moves:
        if move.destination_id is None:
            amounts[move.destination_user_id] += move.amount
    rows = [
        {"kind": kind, "user_id": user_id, "currency": currency, "balance": amounts[user_id]} for user_id in amounts
    ]
    inserted = dict(bulk_insert(LedgerAccount, rows, ignore_conflicts=True, returning=["user_id", "id"]))
    for user_id, pk in inserted.items():
        locked[pk] = LockedAccount(pk, kind, currency, user_id, None, 0)
    # Created meanwhile by another posting: lock it (after the other locks: rare, and a
    # deadlock this could cause is broken by the database and retried by the caller's rerun).
    raced = (
        dict(
            LedgerAccount.objects.filter(
                AnyOf("user_id", amounts.keys() - inserted.keys()), kind=kind, currency=currency
            ).values_list("user_id", "pk")
        )
        if len(inserted) < len(amounts)
        else {}
    )
    locked.update(_lock(raced.values()))
    ids = {**inserted, **raced}
    moves = [
        move if move.destination_id is not None else replace(move, destination_id=ids[move.destination_user_id])
        for move in moves
    ]
    return moves, set(inserted.values())
