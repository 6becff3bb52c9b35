import pytest


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Work files go to a temporary directory, never the project's private_media/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings.PRIVATE_MEDIA_ROOT
