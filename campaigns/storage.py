"""Private storage for submitted work files: never under a public URL, served by a view that checks access."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """FileSystemStorage rooted at `settings.PRIVATE_MEDIA_ROOT`, read on every use.

    Reading the setting lazily (instead of at import) lets tests point it at a temporary
    directory with the `settings` fixture, while the test suite's "default" storage stays in memory.
    """

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Private files have no URL; serve them through campaigns:work_file.")


_storage = PrivateStorage()


def private_storage():
    return _storage
