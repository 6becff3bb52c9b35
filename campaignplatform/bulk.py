"""Set-based reads and writes of many rows, for the few jobs that touch thousands at once (the
monthly close, the payout run, the ledger's batched posting).

Each function works on the calling app's own models: a module here never decides whose table it
writes. Arrays travel as one binary parameter each (see `array_cursor`).
"""

import psycopg
from django.db import connection
from django.db.models import BooleanField, Expression, F
from django.utils import timezone


class _UnpreparedCursor(psycopg.Cursor):
    """Never a named prepared statement (psycopg prepares a query run five times): they do not
    survive a transaction-pooling proxy, and each batch's plan is made for its own data."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=False, binary=binary)


def array_cursor():
    """A cursor that binds parameters on the server, arrays in binary where the SQL says `%b`.

    Django's psycopg cursor binds on the client: it renders every element of an array into the
    SQL text (a regex search and an escape per element, seconds of CPU per close) and the server
    parses it back; a binary array goes as it is. Wrapped by Django's public cursor wrappers, so
    execute wrappers and query logging still see every statement."""
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = _UnpreparedCursor(connection.connection)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


class AnyOf(Expression):
    """`.filter(AnyOf("field", values))`: `field = ANY(%s)` with the values as one array parameter.

    `__in` with thousands of values costs a placeholder per value to build, send and parse, and
    a different statement text for every batch size; one typed array costs one. An expression
    used where it is needed, not a lookup registered on every field."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, field: str, values):
        super().__init__()
        self.lhs = F(field)
        self.values = list(values)

    def get_source_expressions(self):
        return [self.lhs]

    def set_source_expressions(self, expressions):
        (self.lhs,) = expressions

    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.lhs)
        db_type = self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{db_type}[])", [*params, self.values]


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
    kept). `returning`: SQL expressions over the table to return for each updated row."""
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
            return f"{table}.{column} + {value_sql}"
        if field.name in keep_null:
            return f"COALESCE({value_sql}, {table}.{column})"
        return value_sql

    sets = [f"{quote(f.column)} = {target(f, f'v.c{i}')}" for i, f in enumerate(fields)]
    sets += [f"{name} = %s" for name, _ in constants]
    types = [key_field.db_type(connection), *(f.db_type(connection) for f in fields)]
    unnest = ", ".join(f"%b::{db_type}[]" for db_type in types)
    names = ", ".join(["key", *(f"c{i}" for i in range(len(fields)))])
    arrays = [keys, *([row[i] for row in rows.values()] for i in range(len(fields)))]
    with array_cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {', '.join(sets)} "  # noqa: S608 - names from model meta
            f"FROM unnest({unnest}) AS v({names}) WHERE {table}.{key_column} = v.key"
            + (f" RETURNING {', '.join(returning)}" if returning else ""),
            [*extra_params, *arrays],
        )
        return cursor.fetchall() if returning else None


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
    of its time there when a batch has thousands of rows. `expressions` gives a
    field an SQL expression evaluated per row (e.g. {"batch": "gen_random_uuid()"}: a callable
    default would otherwise be evaluated once for the whole batch), and `returning` lists SQL
    expressions to return for each inserted row."""
    if not rows:
        return []
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
