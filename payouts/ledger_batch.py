"""Many single-leg ledger postings in one go, for the monthly close and the payout run.

`billing.ledger.ledger_post` costs about ten queries a posting; the close posts one release and
one payout per promoter, so 100,000 promoters would mean a million queries. This does the same
work for a batch of movements in a bounded number of queries, with ledger_post's rules:
accounts locked in primary-key order, fresh balances read under the locks, a non-negative account
is never overdrawn, every movement has its own idempotency key (leg 0) and a key already posted is
skipped, and the balance listeners (the wallets projection) run with the changed accounts.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection, transaction

from billing import ledger
from billing.ledger import InsufficientFunds
from billing.models import MAY_GO_NEGATIVE, LedgerAccount, Transaction


@dataclass(frozen=True)
class Move:
    idempotency_key: str
    source_id: int
    destination_id: int
    amount: int
    memo: str = ""


def bulk_set(model, field_name: str, values: dict, *, key: str = "id", add: bool = False) -> None:
    """Set (or, with `add`, increase) one column of many rows, each to its own value, in one
    statement: {key value: new value}. Django's bulk_update builds a CASE expression per row,
    which costs seconds of Python per thousand rows; this costs one query."""
    if not values:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table, column = quote(meta.db_table), quote(meta.get_field(field_name).column)
    key_column = quote(meta.pk.column if key == "id" else meta.get_field(key).column)
    keys, news = list(values.keys()), list(values.values())
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            value_type = "bigint" if isinstance(news[0], int) else "text"
            target = f"{table}.{column} + v.new" if add else "v.new"
            cursor.execute(
                f"UPDATE {table} SET {column} = {target} "  # noqa: S608 - names from model meta, values bound
                f"FROM unnest(%s::bigint[], %s::{value_type}[]) AS v(key, new) WHERE {table}.{key_column} = v.key",
                [keys, news],
            )
        else:
            target = f"{column} + %s" if add else "%s"
            cursor.executemany(
                f"UPDATE {table} SET {column} = {target} WHERE {key_column} = %s",  # noqa: S608
                [(new, k) for k, new in zip(keys, news, strict=True)],
            )


def accounts_for_users(kind: str, user_ids, currency: str = "usd") -> dict:
    """{user_id: LedgerAccount} of `kind`, creating the missing ones with one insert."""
    user_ids = set(user_ids)
    found = {
        account.user_id: account
        for account in LedgerAccount.objects.filter(kind=kind, currency=currency, user_id__in=user_ids)
    }
    missing = user_ids - found.keys()
    if missing:
        # ignore_conflicts: a concurrent posting may create the same account (unique constraint).
        LedgerAccount.objects.bulk_create(
            [LedgerAccount(kind=kind, user_id=user_id, currency=currency) for user_id in missing],
            ignore_conflicts=True,
        )
        for account in LedgerAccount.objects.filter(kind=kind, currency=currency, user_id__in=missing):
            found[account.user_id] = account
    return found


def ledger_post_many(*, kind: str, moves: list[Move], currency: str = "usd") -> list[Move]:
    """Post each move (source -> destination) once; return the moves posted by this call.

    Runs inside the caller's transaction.atomic(). Raises InsufficientFunds, posting nothing,
    when any non-negative account would be overdrawn.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("ledger_post_many must run inside transaction.atomic().")
    moves = [move for move in moves if move.amount]
    for move in moves:
        if move.amount < 0 or not isinstance(move.amount, int):
            raise ValueError(f"Ledger amounts are positive integer cents, not {move.amount!r}.")
    if not moves:
        return []
    account_ids = sorted({move.source_id for move in moves} | {move.destination_id for move in moves})
    locked = {
        account.pk: account
        for account in LedgerAccount.objects.select_for_update().filter(pk__in=account_ids).order_by("pk")
    }
    # Checked under the locks: a concurrent poster of the same keys locks the same accounts, so
    # its rows are committed and visible by now.
    posted = set(
        Transaction.objects.filter(idempotency_key__in=[move.idempotency_key for move in moves], leg=0).values_list(
            "idempotency_key", flat=True
        )
    )
    moves = [move for move in moves if move.idempotency_key not in posted]
    if not moves:
        return []
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
    with transaction.atomic():
        Transaction.objects.bulk_create(
            [
                Transaction(
                    idempotency_key=move.idempotency_key,
                    leg=0,
                    kind=kind,
                    source_id=move.source_id,
                    destination_id=move.destination_id,
                    amount=move.amount,
                    currency=currency,
                    memo=move.memo[:300],
                )
                for move in moves
            ],
            batch_size=1000,
        )
    changed = []
    for pk, delta in deltas.items():
        if delta:
            locked[pk].balance += delta
            changed.append(locked[pk])
    bulk_set(LedgerAccount, "balance", {account.pk: account.balance for account in changed})
    for listener in ledger._balance_listeners:
        listener(changed)
    return moves
