"""What every tracking service shares: reasons, errors and billing's money contract."""

BUDGET_USED_UP_REASON = "budget used up"
COUPON_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
COUPON_LENGTH = 8


class TrackingError(Exception):
    """A domain error whose message the user (or API client) can act on."""

    status = 422


class SaleInvalid(TrackingError):
    status = 422


class SaleConflict(TrackingError):
    status = 409


class SaleNotFound(TrackingError):
    status = 404
