"""The form decoder must invert the stripe client's own encoder."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stripe._encode import _api_encode

from stripe_simulator.errors import StripeError
from stripe_simulator.params import check_params, decode_form, params_class


def encode(params: dict) -> str:
    return urlencode(list(_api_encode(params)))


def test_decodes_nested_keys_lists_and_expand():
    body = "a=1&metadata[k]=v&expand[]=x&expand[]=y&line_items[0][quantity]=2&line_items[0][price_data][currency]=usd"
    assert decode_form(body) == {
        "a": "1",
        "metadata": {"k": "v"},
        "expand": ["x", "y"],
        "line_items": [{"quantity": "2", "price_data": {"currency": "usd"}}],
    }


def test_empty_value_is_kept_for_unsetting_metadata():
    assert decode_form("metadata[k]=") == {"metadata": {"k": ""}}


_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)
_scalars = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=10)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3), st.dictionaries(_keys, inner, min_size=1, max_size=3)
    ),
    max_leaves=12,
)


@given(st.dictionaries(_keys, _values, min_size=1, max_size=5))
def test_round_trip_with_stripe_encoder(params):
    assert decode_form(encode(params)) == params


def test_nested_unknown_parameter_is_named_with_brackets():
    cls = params_class("checkout.SessionCreateParams")
    with pytest.raises(StripeError) as exc:
        check_params(cls, {"line_items": [{"price_data": {"currency": "usd", "bogus": "1"}}]})
    assert exc.value.param == "line_items[0][price_data][bogus]"
    assert exc.value.code == "parameter_unknown"


def test_client_request_options_are_not_accepted_as_params():
    with pytest.raises(StripeError) as exc:
        check_params(params_class("CustomerCreateParams"), {"idempotency_key": "x"})
    assert exc.value.code == "parameter_unknown"
