"""Tracking tests start with an empty cache and no link-lookup caching."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clear_cache(settings):
    cache.clear()
    # Tests change campaign states between clicks; the lookup cache has its own test.
    settings.TRACKING_LINK_CACHE_SECONDS = 0
    from tracking.services import links

    links._link_cache.clear()
