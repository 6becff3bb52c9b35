"""What every tracking service shares: reasons, errors and billing's money contract."""

VIEW_CAP_REACHED_REASON = "view cap reached"
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


def _billing():
    """billing's money contract; imported late so tracking loads before billing's services exist."""
    from billing import services

    return services
