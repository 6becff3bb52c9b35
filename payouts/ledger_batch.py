"""Many single-leg ledger postings in one go, for the monthly close and the payout run.

`billing.ledger.ledger_post` costs about ten queries a posting; the close posts one release and
one payout per promoter, so 100,000 promoters would mean a million queries. This does the same
work for a batch of movements in a bounded number of queries, with ledger_post's rules:
accounts locked in primary-key order, fresh balances read under the locks, a non-negative account
is never overdrawn, every movement has its own idempotency key (leg 0) and a key already posted is
skipped, and the balance listeners (the wallets projection) run with the changed accounts.
"""

from collections import defaultdict
from dataclasses import dataclass, replace

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Field, ForeignObject, Lookup
from django.utils import timezone

from billing import ledger
from billing.ledger import InsufficientFunds
from billing.models import MAY_GO_NEGATIVE, LedgerAccount, Transaction


class AnyOf(Lookup):
    """`field__any=[...]`: `field = ANY(%s)` with the list as one array parameter on PostgreSQL.

    `__in` with thousands of values costs a placeholder per value to build, send and parse, and
    a different statement text for every batch size; one typed array costs one. Elsewhere (SQLite)
    it is a plain IN list."""

    lookup_name = "any"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return ("%s", [list(value)])

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            db_type = self.lhs.output_field.rel_db_type(connection) if self.lhs.output_field.is_relation else None
            db_type = db_type or self.lhs.output_field.db_type(connection)
            return f"{lhs} = ANY(%s::{db_type}[])", [*lhs_params, values]
        if not values:
            raise EmptyResultSet
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


Field.register_lookup(AnyOf)
ForeignObject.register_lookup(AnyOf)  # related fields look up only their own class's lookups


def array_cursor():
    """PostgreSQL: a cursor that binds parameters on the server, arrays in binary where the SQL
    says `%b`. Django's psycopg cursor binds on the client: it renders every element of an array
    into the SQL text (a regex search and an escape per element, seconds of CPU per close) and
    the server parses it back; a binary array goes as it is. Wrapped by Django like its own
    cursors, so execute wrappers and query logging still see every statement."""
    connection.ensure_connection()
    return connection._prepare_cursor(_UnpreparedCursor(connection.connection))


def _unprepared_cursor_class():
    import psycopg

    class UnpreparedCursor(psycopg.Cursor):
        """Never a named prepared statement (psycopg prepares a query run five times): they do
        not survive a transaction-pooling proxy, and each batch's plan is made for its own data."""

        def execute(self, query, params=None, *, prepare=None, binary=None):
            return super().execute(query, params, prepare=False, binary=binary)

    return UnpreparedCursor


try:
    _UnpreparedCursor = _unprepared_cursor_class()
except ImportError:  # SQLite-only installs: array_cursor is PostgreSQL's
    _UnpreparedCursor = None


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


def bulk_set(model, field_name: str, values: dict, *, key: str = "id", add: bool = False, also=None) -> None:
    """Set (or, with `add`, increase) one column of many rows, each to its own value, in one
    statement: {key value: new value}. Django's bulk_update builds a CASE expression per row,
    which costs seconds of Python per thousand rows; this costs one query. `also`: {field:
    value} set to the same value on every row (e.g. updated_at)."""
    bulk_set_columns(
        model, [field_name], {k: (v,) for k, v in values.items()}, key=key, add=[field_name] if add else (), also=also
    )


def bulk_set_columns(
    model, field_names: list[str], rows: dict, *, key: str = "id", add=(), keep_null=(), also=None, returning=None
) -> list | None:
    """Like bulk_set for several columns at once: {key value: (value of each field)}. Fields in
    `add` are increased by the value; a None value of a field in `keep_null` leaves the row's
    own value (COALESCE, read under the row lock, so a figure another posting just wrote is
    kept). `returning`: SQL expressions over the table to return for each updated row
    (PostgreSQL only)."""
    if not rows:
        return [] if returning else None
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    key_field = meta.pk if key == "id" else meta.get_field(key)
    key_column = quote(key_field.column)
    fields = [meta.get_field(name) for name in field_names]
    constants = [
        (quote(meta.get_field(name).column), meta.get_field(name).get_db_prep_save(value, connection))
        for name, value in (also or {}).items()
    ]
    extra_params = [value for _, value in constants]
    keys = list(rows)

    def target(field, value_sql):
        column = quote(field.column)
        if field.name in add:
            return f"{table}.{column} + {value_sql}" if connection.vendor == "postgresql" else f"{column} + {value_sql}"
        if field.name in keep_null:
            own = f"{table}.{column}" if connection.vendor == "postgresql" else column
            return f"COALESCE({value_sql}, {own})"
        return value_sql

    with array_cursor() if connection.vendor == "postgresql" else connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sets = [f"{quote(f.column)} = {target(f, f'v.c{i}')}" for i, f in enumerate(fields)]
            sets += [f"{name} = %s" for name, _ in constants]
            types = [key_field.rel_db_type(connection) if key_field.is_relation else key_field.db_type(connection)]
            types += [f.db_type(connection) for f in fields]
            unnest = ", ".join(f"%b::{db_type}[]" for db_type in types)
            names = ", ".join(["key", *(f"c{i}" for i in range(len(fields)))])
            arrays = [keys, *([row[i] for row in rows.values()] for i in range(len(fields)))]
            cursor.execute(
                f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608 - names from model meta
                f"FROM unnest({unnest}) AS v({names}) WHERE {table}.{key_column} = v.key"
                + (f" RETURNING {', '.join(returning)}" if returning else ""),
                [*extra_params, *arrays],
            )
            return cursor.fetchall() if returning else None
        if returning:
            raise NotImplementedError("RETURNING from bulk_set_columns is PostgreSQL-only.")
        sets = [f"{quote(f.column)} = {target(f, '%s')}" for f in fields] + [f"{name} = %s" for name, _ in constants]
        cursor.executemany(
            f"UPDATE {table} SET {', '.join(sets)} WHERE {key_column} = %s",  # noqa: S608
            [(*row, *extra_params, k) for k, row in rows.items()],
        )
    return None


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
    # date/datetime objects (aware, UTC) as psycopg takes them; Django's preparation only checks
    # naive values, which the close never writes.
    "DateField",
    "DateTimeField",
}


def bulk_insert(model, rows: list[dict], *, ignore_conflicts: bool = False, expressions=None, returning=None):
    """Insert plain dicts (column values by field name; unset fields take their defaults) in
    one statement, without building a model instance per row: Django's bulk_create spends most
    of its time there when a batch has thousands of rows. On PostgreSQL, `expressions` gives a
    field an SQL expression evaluated per row (e.g. {"batch": "gen_random_uuid()"}: a callable
    default would otherwise be evaluated once for the whole batch), and `returning` lists SQL
    expressions to return for each inserted row."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], ignore_conflicts=ignore_conflicts)
        if returning:
            raise NotImplementedError("RETURNING from bulk_insert is PostgreSQL-only.")
        return None
    expressions = expressions or {}
    now = timezone.now()
    quote = connection.ops.quote_name
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns, selected, scalars, arrays, types = [], [], [], [], []
    for field in fields:
        columns.append(quote(field.column))
        if field.name in expressions:
            selected.append(expressions[field.name])
            continue
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
            constant = values.count(values[0]) == len(values)
            value = values[0]
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            constant, value = True, now
        else:
            if field.has_default() and callable(field.default):
                raise ValueError(f"{field.name}: a callable default needs an SQL expression in a bulk insert.")
            constant, value = True, field.get_db_prep_save(field.get_default(), connection)
        if constant:
            # One parameter, not an array of the same value per row (the period, a default, now).
            selected.append(f"%s::{field.db_type(connection)}")
            scalars.append(value)
        else:
            selected.append(f"v.c{len(arrays)}")
            arrays.append(values)
            types.append(field.db_type(connection))
    if not arrays:  # every row alike: unnest still needs an array to give the number of rows
        arrays.append([0] * len(rows))
        types.append("bigint")
    conflict = " ON CONFLICT DO NOTHING" if ignore_conflicts else ""
    unnest = ", ".join(f"%b::{db_type}[]" for db_type in types)
    names = ", ".join(f"c{i}" for i in range(len(arrays)))
    with array_cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from meta
            f"SELECT {', '.join(selected)} FROM unnest({unnest}) AS v({names}){conflict}"
            + (f" RETURNING {', '.join(returning)}" if returning else ""),
            [*scalars, *arrays],
        )
        return cursor.fetchall() if returning else None


def accounts_for_users(kind: str, user_ids, currency: str = "usd") -> dict:
    """{user_id: ledger account id} of `kind`, creating the missing ones with one insert."""
    user_ids = set(user_ids)
    accounts = LedgerAccount.objects.filter(kind=kind, currency=currency, campaign__isnull=True)
    found = dict(accounts.filter(user_id__any=user_ids).values_list("user_id", "pk"))
    missing = user_ids - found.keys()
    if missing:
        rows = [{"kind": kind, "user_id": user_id, "currency": currency} for user_id in missing]
        # ignore_conflicts: a concurrent posting may create the same account (unique constraint).
        if connection.vendor == "postgresql":
            created = bulk_insert(LedgerAccount, rows, ignore_conflicts=True, returning=["user_id", "id"])
            found.update(created)
            missing -= found.keys()
        else:
            bulk_insert(LedgerAccount, rows, ignore_conflicts=True)
        if missing:
            found.update(accounts.filter(user_id__any=missing).values_list("user_id", "pk"))
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
    if connection.vendor == "postgresql":
        with array_cursor() as cursor:
            cursor.execute(
                "SELECT id, kind, currency, user_id, campaign_id, balance FROM ledger_accounts "
                "WHERE id = ANY(%b::bigint[]) ORDER BY id FOR UPDATE",
                [sorted(account_ids)],
            )
            rows = cursor.fetchall()
    else:
        rows = (
            LedgerAccount.objects.select_for_update()
            .filter(pk__any=sorted(account_ids))
            .order_by("pk")
            .values_list("pk", "kind", "currency", "user_id", "campaign_id", "balance")
        )
    return {row[0]: LockedAccount(*row) for row in rows}


def _posted(keys: list[str]) -> set:
    """The idempotency keys among `keys` already posted (leg 0)."""
    if connection.vendor == "postgresql":
        with array_cursor() as cursor:
            cursor.execute(
                "SELECT idempotency_key FROM transactions WHERE leg = 0 AND idempotency_key = ANY(%b::varchar(200)[])",
                [keys],
            )
            return {key for (key,) in cursor.fetchall()}
    return set(Transaction.objects.filter(idempotency_key__any=keys, leg=0).values_list("idempotency_key", flat=True))


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
    moves = [move for move in moves if move.amount]
    for move in moves:
        if move.amount < 0 or not isinstance(move.amount, int):
            raise ValueError(f"Ledger amounts are positive integer cents, not {move.amount!r}.")
        if move.destination_id is None and (new_destination_kind is None or move.destination_user_id is None):
            raise ValueError("A move to a new account needs new_destination_kind and destination_user_id.")
    if not moves:
        return []
    account_ids = {move.source_id for move in moves} | {move.destination_id for move in moves}
    account_ids.discard(None)
    locked = _lock(account_ids)
    # Checked under the locks: a concurrent poster of the same keys locks the same sources, so
    # its rows are committed and visible by now.
    posted = _posted([move.idempotency_key for move in moves])
    if posted:
        moves = [move for move in moves if move.idempotency_key not in posted]
    if cap_to_source:
        left = {pk: account.balance for pk, account in locked.items()}
        capped = []
        for move in moves:
            amount = min(move.amount, max(left[move.source_id], 0))
            if amount > 0:
                left[move.source_id] -= amount
                capped.append(move if amount == move.amount else replace(move, amount=amount))
        moves = capped
    if not moves:
        return []
    created = {}
    if any(move.destination_id is None for move in moves):
        moves, created = _destinations_create(moves, new_destination_kind, currency, locked)
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
    if connection.vendor == "postgresql":
        # A batch id per movement, drawn by the database: uuid4() in Python costs seconds here.
        bulk_insert(Transaction, rows, expressions={"batch": "gen_random_uuid()"})
    else:
        bulk_insert(Transaction, rows)
    changed = []
    for pk, delta in deltas.items():
        if delta:
            account = locked[pk]
            account.balance += delta
            account.delta = delta
            changed.append(account)
    bulk_set(LedgerAccount, "balance", {a.pk: a.balance for a in changed if a.pk not in created})
    for move in moves if extra_by_key else ():
        for figure, cents in extra_by_key.get(move.idempotency_key, {}).items():
            source = locked[move.source_id]
            source.extra = source.extra or {}
            source.extra[figure] = source.extra.get(figure, 0) + cents
    for listener in ledger._balance_listeners:
        listener(changed)
    return moves


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
    if connection.vendor == "postgresql":
        inserted = dict(bulk_insert(LedgerAccount, rows, ignore_conflicts=True, returning=["user_id", "id"]))
    else:
        existing = set(
            LedgerAccount.objects.filter(kind=kind, currency=currency, user_id__any=amounts).values_list(
                "user_id", flat=True
            )
        )
        bulk_insert(LedgerAccount, [row for row in rows if row["user_id"] not in existing])
        inserted = dict(
            LedgerAccount.objects.filter(
                kind=kind, currency=currency, user_id__any=amounts.keys() - existing
            ).values_list("user_id", "pk")
        )
    for user_id, pk in inserted.items():
        locked[pk] = LockedAccount(pk, kind, currency, user_id, None, 0)
    # Created meanwhile by another posting: lock it (after the other locks: rare, and a
    # deadlock this could cause is broken by the database and retried by the caller's rerun).
    raced = (
        dict(
            LedgerAccount.objects.filter(
                kind=kind, currency=currency, user_id__any=amounts.keys() - inserted.keys()
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
