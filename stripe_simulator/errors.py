"""Stripe-shaped API errors.

Handlers raise `StripeError`; the server turns it into the JSON body and HTTP
status that real Stripe sends, so the real `stripe` client maps it to the same
exception class (`InvalidRequestError`, `CardError`, ...).
"""

from __future__ import annotations


class StripeError(Exception):
    def __init__(
        self,
        message: str,
        *,
        status: int = 400,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        cacheable: bool = True,
        **extra,
    ):
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        # Stripe does not save an idempotent result for requests that failed
        # validation, so a corrected retry with the same key is allowed.
        self.cacheable = cacheable
        self.extra = extra

    def body(self) -> dict:
        err = {"type": self.type, "message": self.message}
        if self.code is not None:
            err["code"] = self.code
            err["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param is not None:
            err["param"] = self.param
        err.update(self.extra)
        return {"error": err}


def missing(kind: str, obj_id: str, param: str = "id") -> StripeError:
    return StripeError(
        f"No such {kind}: '{obj_id}'",
        status=404,
        code="resource_missing",
        param=param,
    )


def unexpected_state(message: str, **kw) -> StripeError:
    return StripeError(message, code=kw.pop("code", "payment_intent_unexpected_state"), **kw)
