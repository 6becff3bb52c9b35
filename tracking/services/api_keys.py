"""Advertisers' API keys for reporting sales."""

from datetime import timedelta

from django.utils import timezone

from tracking.models import (
    ApiKey,
    api_key_hash,
)


def api_key_create(*, advertiser, name: str) -> tuple[ApiKey, str]:
    """A new key for `advertiser`. The raw key is returned once and never stored (only its sha256)."""
    name = (name or "").strip()[:100] or "API key"
    raw = ApiKey.generate()
    key = ApiKey.objects.create(advertiser=advertiser, name=name, prefix=raw[:12], key_hash=api_key_hash(raw))
    return key, raw


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db()
    return api_key


def api_key_touch(*, api_key: ApiKey):
    """Note that the key was used (at most once a minute: no write per request under load)."""
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)


def api_key_authenticate(raw: str) -> ApiKey | None:
    if not raw or len(raw) > 200:
        return None
    return (
        ApiKey.objects.select_related("advertiser").filter(key_hash=api_key_hash(raw), revoked_at__isnull=True).first()
    )
