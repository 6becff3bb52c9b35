"""Many single-leg ledger postings in one go, for the monthly close and the payout run.

`billing.ledger.ledger_post` costs about ten queries a posting; the close posts one release and
one payout per promoter, so 100,000 promoters would mean a million queries. This does the same
work for a batch of movements in a bounded number of queries, with ledger_post's rules:
accounts locked in primary-key order, fresh balances read under the locks, a non-negative account
is never overdrawn, every movement has its own idempotency key (leg 0) and a key already posted is
skipped, and the balance listeners (the wallets projection) run with the changed accounts.
"""

import uuid
from collections import defaultdict
from dataclasses import dataclass, replace

from django.db import connection
from django.utils import timezone

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


def bulk_set(model, field_name: str, values: dict, *, key: str = "id", add: bool = False, also=None) -> None:
    """Set (or, with `add`, increase) one column of many rows, each to its own value, in one
    statement: {key value: new value}. Django's bulk_update builds a CASE expression per row,
    which costs seconds of Python per thousand rows; this costs one query. `also`: {field:
    value} set to the same value on every row (e.g. updated_at)."""
    if not values:
        return
    meta = model._meta
    quote = connection.ops.quote_name
    table, column = quote(meta.db_table), quote(meta.get_field(field_name).column)
    key_column = quote(meta.pk.column if key == "id" else meta.get_field(key).column)
    keys, news = list(values.keys()), list(values.values())
    constants = [
        (quote(meta.get_field(name).column), meta.get_field(name).get_db_prep_save(value, connection))
        for name, value in (also or {}).items()
    ]
    extra_sql = "".join(f", {name} = %s" for name, _ in constants)
    extra_params = [value for _, value in constants]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            value_type = "bigint" if isinstance(news[0], int) else "text"
            target = f"{table}.{column} + v.new" if add else "v.new"
            cursor.execute(
                f"UPDATE {table} SET {column} = {target}{extra_sql} "  # noqa: S608 - names from model meta
                f"FROM unnest(%s::bigint[], %s::{value_type}[]) AS v(key, new) WHERE {table}.{key_column} = v.key",
                [*extra_params, keys, news],
            )
        else:
            target = f"{column} + %s" if add else "%s"
            cursor.executemany(
                f"UPDATE {table} SET {column} = {target}{extra_sql} WHERE {key_column} = %s",  # noqa: S608
                [(new, *extra_params, k) for k, new in zip(keys, news, strict=True)],
            )


# Types psycopg adapts as they are: skipping Django's per-value preparation saves seconds per
# hundred thousand rows.
_PASS_THROUGH = {
    "BigIntegerField",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "CharField",
    "TextField",
    "ForeignKey",
    "OneToOneField",
    "BooleanField",
}


def bulk_insert(model, rows: list[dict], *, ignore_conflicts: bool = False) -> None:
    """Insert plain dicts (column values by field name; unset fields take their defaults) in
    one statement, without building a model instance per row: Django's bulk_create spends most
    of its time there when a batch has thousands of rows."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=ignore_conflicts)
        return
    now = timezone.now()
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns, arrays, types = [], [], []
    for field in fields:
        if field.attname in rows[0]:
            name = field.attname
        elif field.name in rows[0]:
            name = field.name
        else:
            name = None
        if name is not None:
            values = [row[name] for row in rows]
            if field.get_internal_type() not in _PASS_THROUGH:
                values = [field.get_db_prep_save(value, connection) for value in values]
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            values = [now] * len(rows)
        else:
            default = field.get_db_prep_save(field.get_default(), connection)
            values = [default] * len(rows)
        columns.append(quote(field.column))
        arrays.append(values)
        types.append(field.db_type(connection))
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    unnest = ", ".join(f"%s::{db_type}[]" for db_type in types)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from meta
            f"SELECT * FROM unnest({unnest}){conflict}",
            arrays,
        )


def accounts_for_users(kind: str, user_ids, currency: str = "usd") -> dict:
    """{user_id: ledger account id} of `kind`, creating the missing ones with one insert."""
    user_ids = set(user_ids)
    accounts = LedgerAccount.objects.filter(kind=kind, currency=currency)
    found = dict(accounts.filter(user_id__in=user_ids).values_list("user_id", "pk"))
    missing = user_ids - found.keys()
    if missing:
        # ignore_conflicts: a concurrent posting may create the same account (unique constraint).
        bulk_insert(
            LedgerAccount,
            [{"kind": kind, "user_id": user_id, "currency": currency} for user_id in missing],
            ignore_conflicts=True,
        )
        found.update(accounts.filter(user_id__in=missing).values_list("user_id", "pk"))
    return found


@dataclass(slots=True)
class LockedAccount:
    """What a balance listener reads of an account (pk, kind, owner, currency, new balance),
    without a model instance per row."""

    pk: int
    kind: str
    currency: str
    user_id: int | None
    campaign_id: int | None
    balance: int

    def __str__(self):
        return f"{self.kind} account {self.pk}"


def ledger_post_many(*, kind: str, moves: list[Move], currency: str = "usd", cap_to_source: bool = False) -> list[Move]:
    """Post each move (source -> destination) once; return the moves posted by this call.

    Runs inside the caller's transaction.atomic(). Raises InsufficientFunds, posting nothing,
    when any non-negative account would be overdrawn. With `cap_to_source`, each move is first
    lowered to what its source holds under the locks (moves of nothing are dropped).
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
        row[0]: LockedAccount(*row)
        for row in LedgerAccount.objects.select_for_update()
        .filter(pk__in=account_ids)
        .order_by("pk")
        .values_list("pk", "kind", "currency", "user_id", "campaign_id", "balance")
    }
    # Checked under the locks: a concurrent poster of the same keys locks the same accounts, so
    # its rows are committed and visible by now.
    posted = set(
        Transaction.objects.filter(idempotency_key__in=[move.idempotency_key for move in moves], leg=0).values_list(
            "idempotency_key", flat=True
        )
    )
    moves = [move for move in moves if move.idempotency_key not in posted]
    if cap_to_source:
        left = {pk: account.balance for pk, account in locked.items()}
        capped = []
        for move in moves:
            amount = min(move.amount, max(left[move.source_id], 0))
            if amount > 0:
                left[move.source_id] -= amount
                capped.append(replace(move, amount=amount))
        moves = capped
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
    bulk_insert(
        Transaction,
        [
            {
                "batch": uuid.uuid4(),
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
        ],
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
