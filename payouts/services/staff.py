"""Staff actions on payouts."""

from __future__ import annotations

import logging

from campaignplatform.reasons import ReasonInvalid, reason_checked
from payouts.models import (
    PayoutHoldReason,
    Wallet,
)
from payouts.services.base import PayoutError

logger = logging.getLogger(__name__)


def wallet_hold_set(*, wallet: Wallet, hold: bool, code: str = "", note: str = "", actor) -> Wallet:
    """Hold (with `code`, a PayoutHoldReason, and staff's note, which the promoter reads) or
    release a wallet's payouts. Writes only the hold fields, never money figures."""
    code, note = (code, note) if hold else ("", "")
    if hold:
        try:
            code, note = reason_checked(code=code, note=note, allowed=PayoutHoldReason.values, max_length=300)
        except ReasonInvalid as invalid:
            raise PayoutError(f"{invalid.message} The promoter and the run's summary show it.") from None
    Wallet.objects.filter(pk=wallet.pk).update(payout_hold=hold, payout_hold_reason_code=code, payout_hold_reason=note)
    logger.info("wallet %s payout_hold=%s by %s: %s %s", wallet.pk, hold, getattr(actor, "pk", None), code, note)
    wallet.payout_hold, wallet.payout_hold_reason_code, wallet.payout_hold_reason = hold, code, note
    return wallet
