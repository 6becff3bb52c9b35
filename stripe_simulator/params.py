"""Form decoding and parameter validation.

Stripe's v1 API takes `application/x-www-form-urlencoded` bodies with nested
keys (`metadata[order]=1`, `line_items[0][quantity]=2`, `expand[]=x`). The
decoder turns them back into dicts and lists.

Validation uses the `stripe` package's own TypedDict declarations
(`stripe.params.TransferCreateParams`, ...) so the simulator accepts exactly
the parameters the real API accepts, and refuses the rest the way Stripe does.
"""

from __future__ import annotations

import functools
import re
import sys
import types
import typing
from urllib.parse import parse_qsl

import stripe.params
import typing_extensions
from stripe._request_options import RequestOptions

from .errors import StripeError

_KEY_PART = re.compile(r"\[([^\]]*)\]")

# Client-side options declared on every params TypedDict; never sent as params.
_REQUEST_OPTION_KEYS = frozenset(RequestOptions.__annotations__)


# --------------------------------------------------------------------------- decode
def split_key(key: str) -> list[str]:
    """`a[b][0][]` -> ["a", "b", "0", ""]"""
    head, _, rest = key.partition("[")
    parts = [head]
    if rest:
        parts += _KEY_PART.findall("[" + rest)
    return parts


def _assign(container: dict, parts: list[str], value: str) -> None:
    node = container
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "":
            # `expand[]=x`: append; represented as a dict keyed by position so
            # indexed (`a[0]`) and appended forms decode the same way.
            part = str(len(node))
        if last:
            node[part] = value
        else:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):  # `a=1&a[b]=2`: the nested form wins
                node = {}


def _listify(value):
    if isinstance(value, dict):
        converted = {k: _listify(v) for k, v in value.items()}
        if converted and all(k.isdigit() for k in converted):
            return [converted[k] for k in sorted(converted, key=int)]
        return converted
    return value


def decode_form(body: str) -> dict:
    out: dict = {}
    for key, value in parse_qsl(body, keep_blank_values=True):
        _assign(out, split_key(key), value)
    return _listify(out)


# --------------------------------------------------------------------------- coercion
def to_int(params: dict, name: str, *, required: bool = False, default=None):
    if name not in params or params[name] in ("", None):
        if required:
            raise missing_param(name)
        return default
    try:
        return int(params[name])
    except (TypeError, ValueError):
        raise StripeError(
            f"Invalid integer: {params[name]}", code="parameter_invalid_integer", param=name, cacheable=False
        ) from None


def to_bool(value, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() == "true"


def missing_param(name: str) -> StripeError:
    return StripeError(f"Missing required param: {name}.", code="parameter_missing", param=name, cacheable=False)


def merge_metadata(current: dict | None, update) -> dict:
    """Stripe merges metadata; an empty value unsets a key, `metadata=""` clears all."""
    if update == "":
        return {}
    merged = dict(current or {})
    for k, v in (update or {}).items():
        if v == "":
            merged.pop(k, None)
        else:
            merged[k] = str(v)
    return merged


# --------------------------------------------------------------------------- validate
_WRAPPERS = (typing.NotRequired, typing.Required, typing_extensions.NotRequired, typing_extensions.Required)


def params_class(name: str):
    """`"TransferCreateParams"` or `"checkout.SessionCreateParams"` -> the TypedDict."""
    module = stripe.params
    *pkg, cls = name.split(".")
    for p in pkg:
        module = getattr(module, p)
    return getattr(module, cls)


def _resolve(ann, globalns):
    """Reduce an annotation to a TypedDict class, ("list", shape) or None."""
    if isinstance(ann, typing.ForwardRef):
        ann = ann.__forward_arg__
    if isinstance(ann, str):
        try:
            ann = eval(ann, globalns)  # noqa: S307 - strings come from the stripe package itself
        except Exception:
            return None
    if typing_extensions.is_typeddict(ann):
        return ann
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin in (typing.Union, types.UnionType):
        shapes = [s for s in (_resolve(a, globalns) for a in args) if s is not None]
        return shapes[0] if shapes else None
    if origin in (list, list):
        inner = _resolve(args[0], globalns) if args else None
        return ("list", inner) if inner is not None else None
    if origin in _WRAPPERS and args:
        return _resolve(args[0], globalns)
    return None


@functools.cache
def _fields(cls) -> tuple[frozenset, frozenset, dict]:
    globalns = vars(sys.modules[cls.__module__])
    allowed = frozenset(cls.__annotations__) - _REQUEST_OPTION_KEYS
    required = frozenset(cls.__required_keys__) - _REQUEST_OPTION_KEYS
    nested = {}
    for key in allowed:
        shape = _resolve(cls.__annotations__[key], globalns)
        if shape is not None:
            nested[key] = shape
    return allowed, required, nested


def _label(prefix: str, key) -> str:
    return f"{prefix}[{key}]" if prefix else str(key)


def check_params(cls, params: dict, prefix: str = "", extra_required=()) -> None:
    """Raise Stripe's `parameter_unknown` / `parameter_missing` errors."""
    allowed, required, nested = _fields(cls)
    for key in params:
        if key not in allowed:
            name = _label(prefix, key)
            raise StripeError(
                f"Received unknown parameter: {name}", code="parameter_unknown", param=name, cacheable=False
            )
    for key in sorted(required | set(extra_required)):
        if key not in params or params[key] == "":
            raise missing_param(_label(prefix, key))
    for key, shape in nested.items():
        if key in params:
            _check_nested(shape, params[key], _label(prefix, key))


def _check_nested(shape, value, prefix: str) -> None:
    if isinstance(shape, tuple):  # ("list", inner)
        if isinstance(value, list):
            for i, item in enumerate(value):
                _check_nested(shape[1], item, f"{prefix}[{i}]")
        return
    if isinstance(value, dict):
        check_params(shape, value, prefix)
