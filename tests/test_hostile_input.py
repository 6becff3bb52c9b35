"""Hostile input against every URL pattern of the site: no request may cause a server error, write
anything unless its sender owns what it writes, or get past CSRF.

The patterns are walked from the URL resolver (tests/hostile_world.routes), so a new view is
covered without touching this file; one whose path parameters the world cannot fill fails
`test_every_url_pattern_can_be_filled` with its name. For each pattern, as each kind of user
(anonymous, the owning advertiser and promoter, another advertiser, another promoter, staff
without permissions):

- GET, GET with HTMX headers, POST without a CSRF token (must be 403 unless the view is
  CSRF-exempt), POST with a token; then
- hypothesis examples mixing real and malformed path parameters, query strings, form bodies,
  JSON and raw bodies, methods and headers (few examples per pattern: the whole file runs in
  well under a minute).

After each request by someone who does not own the objects in the path, no row of any table of
the site (so no ledger posting and no balance either) may have been inserted, updated or
deleted: PostgreSQL's per-transaction counters say so, in one query. The ledger is audited at
the end of each sweep.
"""

import itertools
import json
import os
from functools import partial
from urllib.parse import quote

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.audit import ledger_audit
from tests.hostile_world import ANYONE_WRITES, KINDS, OWNERS, param_values, routes, world_build

pytestmark = pytest.mark.django_db

ROUTES = routes()
SITE_ROUTES = [r for r in ROUTES if not r.name.startswith("admin") or r.name == "admin:index"]
ADMIN_ROUTES = [r for r in ROUTES if r not in SITE_ROUTES]
# Examples per pattern; HOSTILE_EXAMPLES=200 for a long hunt.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "5"))
CSRF_TOKEN = "hostileHarnessCsrfToken000000000"  # 32 characters: a valid CSRF secret
# Tables that change on reads or are bookkeeping of the framework, not anyone's data.
IGNORED_TABLES = {"django_session", "django_admin_log", "abuse_counters"}
IGNORED_TABLE_PREFIXES = ("django_q_",)

QUERY_KEYS = ["intent", "cancelled", "session_id", "page", "q", "period", "day", "status", "type", "campaign", "sort"]
FORM_KEYS = [
    "reason",
    "title",
    "description",
    "amount",
    "budget_dollars",
    "views",
    "method",
    "text",
    "link",
    "action",
    "sale",
    "name",
    "participation",
    "order_id",
    "occurred_on",
    "body",
    "role",
    "id_token",
    "pitch",
    "due_date",
    "campaign_type",
    "cpv",
    "max_views",
]
HEADER_KEYS = [
    "HTTP_HX_REQUEST",
    "HTTP_HX_TARGET",
    "HTTP_HX_CURRENT_URL",
    "HTTP_AUTHORIZATION",
    "HTTP_STRIPE_SIGNATURE",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_USER_AGENT",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_REFERER",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_RANGE",
    "CONTENT_LENGTH",
]

nasty_text = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "0", "-1", "1e309", "99999999999999999999999", "NaN", "' OR 1=1 --", "../../etc/passwd", "\x00", "%00"]
    ),
    st.uuids().map(str),
    st.integers().map(str),
)
header_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | nasty_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(nasty_text, children, max_size=3),
    max_leaves=8,
)


# --- What may change --------------------------------------------------------------------------


def _tables():
    names = []
    for model in apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        ignored = table in IGNORED_TABLES or table.startswith(IGNORED_TABLE_PREFIXES)
        if model._meta.managed and not model._meta.proxy and not ignored:
            names.append(table)
    return sorted(set(names))


TABLES = _tables()


def snapshot() -> tuple:
    """Rows inserted, updated and deleted so far in this test's transaction, per table of the site
    (PostgreSQL's own counters: one cheap query, and it names the table written)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables "
            "WHERE relname = ANY(%s) AND n_tup_ins + n_tup_upd + n_tup_del > 0 ORDER BY relname",
            [TABLES],
        )
        return tuple(cursor.fetchall())


def _written(before, after) -> dict:
    """{table: (inserted, updated, deleted)} between two snapshots."""
    old = {row[0]: row[1:] for row in before}
    return {
        table: tuple(n - o for n, o in zip(counts, old.get(table, (0, 0, 0)), strict=True))
        for table, *counts in after
        if tuple(counts) != old.get(table)
    }


def may_write(route, kind) -> bool:
    if route.name in ANYONE_WRITES:
        return True
    owns_path = [p for p in route.params if p not in ("period", "action")]
    if not owns_path:  # pages about the signed-in user's own data
        return kind != "anonymous"
    return kind in OWNERS


# --- Requests -----------------------------------------------------------------------------------


def client_for(world, kind) -> Client:
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="203.0.113.9")
    user = world.user(kind)
    if user is not None:
        client.force_login(user)
    return client


def send(client, method, path, *, query=None, body=None, body_kind="form", csrf=True, headers=None):
    extra = dict(headers or {})
    if csrf:
        client.cookies["csrftoken"] = CSRF_TOKEN
        extra["HTTP_X_CSRFTOKEN"] = CSRF_TOKEN
    if query:
        path = path + "?" + "&".join(f"{_q(k)}={_q(v)}" for k, v in query.items())
    call = getattr(client, method.lower())
    if method in ("GET", "HEAD", "OPTIONS"):
        return call(path, **extra)
    if body_kind == "json":
        return call(path, data=json.dumps(body), content_type="application/json", **extra)
    if body_kind == "raw":
        return call(path, data=body, content_type=extra.pop("CONTENT_TYPE", "application/octet-stream"), **extra)
    if method == "POST":
        return client.post(path, data=body or {}, **extra)
    return call(path, data="&".join(f"{_q(k)}={_q(v)}" for k, v in (body or {}).items()), **extra)


def _q(value):
    return quote(str(value), safe="")


class Books:
    """The write counters, read before a request by someone who may not write and compared after
    it (reused while nothing may have changed)."""

    def __init__(self):
        self.state = None

    def request(self, route, kind, label, send_request):
        guarded = not may_write(route, kind)
        if guarded and self.state is None:
            self.state = snapshot()
        response = send_request()
        where = f"{route} as {kind} ({label})"
        assert response.status_code < 500, f"{where}: {response.status_code}"
        if guarded:
            after = snapshot()
            assert after == self.state, f"{where}: wrote to the database: {_written(self.state, after)}"
        else:
            self.state = None
        return response


def real_values(world, route) -> list[dict]:
    choices = [[(p, v) for v in param_values(world, route.name, p)] for p in route.params]
    return [dict(combo) for combo in itertools.islice(itertools.product(*choices), 12)]


# --- The tests ----------------------------------------------------------------------------------


def test_every_url_pattern_can_be_filled(world):
    unfilled = []
    for route in ROUTES:
        try:
            real_values(world, route)
        except LookupError as error:
            unfilled.append(str(error))
    assert not unfilled, "\n".join(unfilled)


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker):
    """One world for the whole module, in a transaction rolled back at its end; each test runs in
    a savepoint inside it (pytest-django's), so a test's writes do not reach the next test."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        # Like Django's TestCase atomics: money services' durable blocks may run inside it.
        connection.atomic_blocks[-1]._from_testcase = True
        try:
            yield world_build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def world(shared_world, db, settings, stripe_sim):
    settings.STRIPE_API_BASE = stripe_sim.base_url
    settings.STRIPE_SECRET_KEY = stripe_sim.api_key
    settings.STRIPE_WEBHOOK_SECRET = stripe_sim.webhook_secret
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    settings.TRACKING_COUNT_AFTER_RESPONSE = False
    settings.TRACKING_LINK_CACHE_SECONDS = 0
    return shared_world


@pytest.mark.parametrize("route", SITE_ROUTES, ids=str)
def test_site_pattern_resists_every_kind_of_user(world, route):
    combos = real_values(world, route)
    exempt = getattr(route.callback, "csrf_exempt", False)
    clients = {kind: client_for(world, kind) for kind in KINDS}  # signing in writes last_login
    books = Books()
    path = route.path(combos[0])
    for kind, client in clients.items():
        auth = {"HTTP_AUTHORIZATION": f"Bearer {world.raw_api_key}"} if kind == "owner_advertiser" else {}
        for label, headers in (("GET", auth), ("GET HTMX", {"HTTP_HX_REQUEST": "true", **auth})):
            books.request(route, kind, label, partial(send, client, "GET", path, headers=headers))
        post = partial(send, client, "POST", path, csrf=False, headers=auth)
        response = books.request(route, kind, "POST without CSRF token", post)
        if not exempt:
            assert response.status_code == 403, f"{route} as {kind}: POST without a CSRF token was not refused"
        for values in combos:
            post = partial(send, client, "POST", route.path(values), headers=auth)
            books.request(route, kind, f"POST {values}", post)
    assert ledger_audit().clean


@pytest.mark.parametrize("route", SITE_ROUTES, ids=str)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(data=st.data())
def test_site_pattern_resists_malformed_input(world, route, data):
    kind = data.draw(st.sampled_from(KINDS), label="kind")
    values = {}
    for param in route.params:
        real = param_values(world, route.name, param)
        values[param] = data.draw(st.one_of(st.sampled_from(real), nasty_text), label=param)
    method = data.draw(st.sampled_from(["GET", "POST", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]))
    query = data.draw(st.dictionaries(st.sampled_from(QUERY_KEYS) | nasty_text, nasty_text, max_size=4))
    body_kind = data.draw(st.sampled_from(["form", "json", "raw"]))
    if body_kind == "form":
        body = data.draw(st.dictionaries(st.sampled_from(FORM_KEYS), nasty_text, max_size=6))
    elif body_kind == "json":
        body = data.draw(json_values)
    else:
        body = data.draw(st.binary(max_size=200))
    headers = data.draw(st.dictionaries(st.sampled_from(HEADER_KEYS), header_text, max_size=4))
    if kind == "owner_advertiser" and data.draw(st.booleans()):
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.raw_api_key}"
    client = client_for(world, kind)
    label = f"{method} {values} {query} {body_kind} {body!r} {headers}"
    Books().request(
        route,
        kind,
        label,
        partial(send, client, method, route.path(values), query=query, body=body, body_kind=body_kind, headers=headers),
    )


def test_admin_patterns_resist_staff_without_permissions_and_outsiders(world):
    """Every admin page and form, for staff without a role (GET, POST, POST without a CSRF token)
    and for outsiders (a signed-in advertiser, anonymous: GET, and POST without a token): never a
    server error, never a write, CSRF enforced. Outsiders never reach an admin view (the admin
    sends them to sign in), so their pass is compared once, at its end."""
    data = {"post": "yes", "action": "delete_selected", "_selected_action": "1", "reason": "x"}
    clients = {kind: client_for(world, kind) for kind in ("staff", "other_advertiser", "anonymous")}
    books = Books()
    for route in ADMIN_ROUTES:
        path = route.path(real_values(world, route)[0])
        for label, call in (
            ("GET", partial(send, clients["staff"], "GET", path)),
            ("POST", partial(send, clients["staff"], "POST", path, body=data)),
            ("POST without CSRF token", partial(send, clients["staff"], "POST", path, csrf=False, body=data)),
        ):
            response = books.request(route, "staff", label, call)
        assert response.status_code == 403, f"{route}: POST without a CSRF token was not refused"
    before = snapshot()
    for kind in ("other_advertiser", "anonymous"):
        for route in ADMIN_ROUTES:
            path = route.path(real_values(world, route)[0])
            for label, csrf in (("GET", True), ("POST without CSRF token", False)):
                method = "GET" if label == "GET" else "POST"
                response = send(clients[kind], method, path, csrf=csrf, body=data)
                assert response.status_code < 500, f"{route} as {kind} ({label}): {response.status_code}"
                assert method == "GET" or response.status_code == 403, f"{route} as {kind}: CSRF not enforced"
    assert snapshot() == before, "admin: an outsider's request wrote to the database"
    assert ledger_audit().clean
