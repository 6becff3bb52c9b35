"""The conversion API: keys, idempotency per order, conflicts, refunds, and no 500 on any input."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.models import Transaction
from tests.support.tracking import join, salesman_campaign
from tracking import services
from tracking.models import ApiKey, SaleRecord, SaleStatus, SaleStatusChange

pytestmark = pytest.mark.django_db

URL = "/api/v1/sales"


@pytest.fixture
def setup():
    campaign = salesman_campaign(tracking_method="both")
    participation = join(campaign)
    coupon = services.coupon_ensure(participation=participation)
    _key, raw = services.api_key_create(advertiser=campaign.advertiser, name="shop")
    return campaign, participation, coupon, raw


def post(client, raw, body, url=URL):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw is not None else {}
    return client.post(url, data=data, content_type="application/json", **headers)


def sale_body(campaign_, participation, **overrides):
    body = {
        "campaign": str(campaign_.public_id),
        "ref_code": participation.tracking_code,
        "order_id": "order-1",
        "amount_cents": 10_000,
        "currency": "usd",
        "occurred_at": "2026-01-31T12:00:00Z",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}


def test_key_is_shown_once_and_stored_hashed(setup):
    campaign, _participation, _coupon, raw = setup
    key = ApiKey.objects.get(advertiser=campaign.advertiser)

    assert raw.startswith("cpk_") and len(raw) > 40
    assert key.prefix == raw[:12]
    assert raw not in key.key_hash and len(key.key_hash) == 64


def test_new_sale_is_201_and_pending(client, setup):
    campaign, participation, _coupon, raw = setup

    response = post(client, raw, sale_body(campaign, participation))

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "pending" and data["commission_cents"] == 1250  # 12.5% of $100
    sale = SaleRecord.objects.get()
    assert (sale.participation_id, sale.order_id, sale.source) == (participation.pk, "order-1", "api")
    assert not Transaction.objects.filter(idempotency_key__contains="sale-").exists()


def test_coupon_code_attributes_the_sale(client, setup):
    campaign, participation, coupon, raw = setup

    response = post(client, raw, sale_body(campaign, participation, ref_code=..., coupon_code=coupon.code.lower()))

    assert response.status_code == 201, response.content
    assert SaleRecord.objects.get().participation_id == participation.pk


def test_same_replay_is_200_and_records_once(client, setup):
    campaign, participation, _coupon, raw = setup
    body = sale_body(campaign, participation)

    first = post(client, raw, body)
    second = post(client, raw, body)

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert SaleRecord.objects.count() == 1


def test_same_order_id_with_different_data_is_409(client, setup):
    campaign, participation, _coupon, raw = setup
    post(client, raw, sale_body(campaign, participation))

    response = post(client, raw, sale_body(campaign, participation, amount_cents=10_001))

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert SaleRecord.objects.get().amount_cents == 10_000


@pytest.mark.parametrize(
    ("header", "status"),
    [(None, 401), ("", 401), ("Bearer", 401), ("Bearer nope", 401), ("Basic abc", 401), ("Token cpk_x", 401)],
)
def test_missing_or_wrong_key_is_401(client, setup, header, status):
    campaign, participation, _coupon, _raw = setup
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}

    response = client.post(
        URL, data=json.dumps(sale_body(campaign, participation)), content_type="application/json", **extra
    )

    assert response.status_code == status
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not SaleRecord.objects.exists()


def test_revoked_key_is_401(client, setup):
    campaign, participation, _coupon, raw = setup
    services.api_key_revoke(api_key=ApiKey.objects.get())

    assert post(client, raw, sale_body(campaign, participation)).status_code == 401


def test_another_advertisers_campaign_is_404(client, setup):
    campaign, participation, _coupon, _raw = setup
    from accounts.tests.factories import AdvertiserFactory

    _key, other = services.api_key_create(advertiser=AdvertiserFactory(), name="other")

    response = post(client, other, sale_body(campaign, participation))

    assert response.status_code == 404
    assert not SaleRecord.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"order_id": ...}, "order_id"),
        ({"order_id": ""}, "order_id"),
        ({"order_id": "x" * 101}, "order_id"),
        ({"order_id": "a\x00b"}, "order_id"),
        ({"amount_cents": "100"}, "amount_cents"),
        ({"amount_cents": 10.5}, "amount_cents"),
        ({"amount_cents": True}, "amount_cents"),
        ({"amount_cents": 0}, None),
        ({"amount_cents": -5}, None),
        ({"amount_cents": 10**12}, None),
        ({"currency": "eur"}, None),
        ({"currency": ...}, "currency"),
        ({"ref_code": "NOPE"}, None),
        ({"ref_code": ...}, "ref_code"),
        ({"ref_code": 12}, "ref_code"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": "2026-01-31T12:00:00"}, "occurred_at"),
        ({"occurred_at": "2999-01-01T00:00:00Z"}, None),
        ({"occurred_at": "0001-01-01T00:00:00+05:00"}, "occurred_at"),
        ({"campaign": "not-a-uuid"}, "campaign"),
    ],
)
def test_invalid_fields_are_422_and_write_nothing(client, setup, overrides, field):
    campaign, participation, _coupon, raw = setup

    response = post(client, raw, sale_body(campaign, participation, **overrides))

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["message"]
    if field:
        assert error["field"] == field
    assert not SaleRecord.objects.exists()


@pytest.mark.parametrize("body", ["", "{", "[1, 2]", '"text"', "null", "[" * 5000, b"\xff\xfe"])
def test_malformed_json_is_400(client, setup, body):
    _campaign, _participation, _coupon, raw = setup

    response = post(client, raw, body)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_json"


def test_body_too_large_is_400(client, setup):
    campaign, participation, _coupon, raw = setup

    response = post(client, raw, sale_body(campaign, participation, padding="x" * 20_000))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "body_too_large"


def test_unknown_campaign_is_404(client, setup):
    campaign, participation, _coupon, raw = setup

    response = post(client, raw, sale_body(campaign, participation, campaign="00000000-0000-0000-0000-000000000000"))

    assert response.status_code == 404


def test_get_is_405(client, setup):
    assert client.get(URL).status_code == 405


def test_refund_of_a_pending_sale(client, setup):
    campaign, participation, _coupon, raw = setup
    post(client, raw, sale_body(campaign, participation))

    response = post(client, raw, {"campaign": str(campaign.public_id)}, url=f"{URL}/order-1/refund")
    again = post(client, raw, {"campaign": str(campaign.public_id)}, url=f"{URL}/order-1/refund")

    assert (response.status_code, again.status_code) == (200, 200)
    assert response.json()["status"] == "refunded"
    assert SaleStatusChange.objects.filter(to_status=SaleStatus.REFUNDED).count() == 1


def test_refund_of_unknown_order_is_404(client, setup):
    campaign, _participation, _coupon, raw = setup

    response = post(client, raw, {"campaign": str(campaign.public_id)}, url=f"{URL}/nope/refund")

    assert response.status_code == 404


def test_refund_of_rejected_sale_is_409(client, setup):
    campaign, participation, _coupon, raw = setup
    post(client, raw, sale_body(campaign, participation))
    services.sale_reject(sale=SaleRecord.objects.get(), actor=campaign.advertiser, code="fraud")

    response = post(client, raw, {"campaign": str(campaign.public_id)}, url=f"{URL}/order-1/refund")

    assert response.status_code == 409


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.one_of(
        st.binary(max_size=200),
        json_values.map(json.dumps),
        st.fixed_dictionaries(
            {},
            optional={
                "campaign": st.just("__CAMPAIGN__") | json_values | st.uuids().map(str),
                "ref_code": st.just("__REF__") | json_values | st.sampled_from(["", "ABCDEFGHJK", "x" * 17]),
                "coupon_code": st.just("__COUPON__") | json_values,
                "order_id": json_values | st.text(min_size=0, max_size=120),
                "amount_cents": json_values | st.integers(min_value=-(10**20), max_value=10**20),
                "currency": json_values | st.sampled_from(["usd", "USD", "eur", ""]),
                "occurred_at": json_values | st.datetimes().map(lambda d: d.isoformat()),
            },
        ).map(json.dumps),
    ),
    order_path=st.text(min_size=1, max_size=40).filter(lambda s: "/" not in s and "?" not in s and "#" not in s),
)
def test_fuzzed_payloads_never_500_and_write_nothing_on_error(client, setup, payload, order_path):
    campaign, participation, coupon, raw = setup
    if isinstance(payload, str):
        payload = (
            payload.replace("__CAMPAIGN__", str(campaign.public_id))
            .replace("__REF__", participation.tracking_code)
            .replace("__COUPON__", coupon.code)
        )
    before = (SaleRecord.objects.count(), Transaction.objects.count(), SaleStatusChange.objects.count())

    from urllib.parse import quote

    for url in (URL, f"{URL}/{quote(order_path)}/refund"):
        response = post(client, raw, payload, url=url)
        assert response.status_code in (200, 201, 400, 404, 409, 422), (url, payload, response.content)
        assert response["Content-Type"] == "application/json"
        after = (SaleRecord.objects.count(), Transaction.objects.count(), SaleStatusChange.objects.count())
        if response.status_code >= 400:
            assert response.json()["error"]["message"]
            assert after == before
        before = after
