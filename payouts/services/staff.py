"""Staff actions on payouts."""

from __future__ import annotations

import logging

from payouts.models import (
    Wallet,
)
from payouts.services.base import PayoutError

logger = logging.getLogger(__name__)


def wallet_hold_set(*, wallet: Wallet, hold: bool, reason: str, actor) -> Wallet:
    """Hold (or release) a wallet's payouts. Writes only the hold fields, never money figures."""
    reason = (reason or "").strip()[:300]
    if hold and not reason:
        raise PayoutError("Say why the payouts are held; the promoter and the run's summary show it.")
    Wallet.objects.filter(pk=wallet.pk).update(payout_hold=hold, payout_hold_reason=reason if hold else "")
    logger.info("wallet %s payout_hold=%s by %s: %s", wallet.pk, hold, getattr(actor, "pk", None), reason)
    wallet.payout_hold, wallet.payout_hold_reason = hold, reason if hold else ""
    return wallet
