"""A static-files finder for single files of npm packages, so a page can load one browser build from
``node_modules`` without every file of its package being served and collected.

ECharts' ``dist/`` is 46 MB of builds and source maps; the dashboard needs one 1 MB file of it.
"""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage


def _vendor_files() -> dict[str, Path]:
    """Return ``settings.VENDOR_STATIC_FILES`` (static path -> file) for the files that exist."""
    return {name: Path(path) for name, path in getattr(settings, "VENDOR_STATIC_FILES", {}).items()
            if Path(path).is_file()}


class VendorFileFinder(BaseFinder):
    """Finds each ``settings.VENDOR_STATIC_FILES`` entry at its static path; a missing file is left out,
    so Django still starts before ``npm ci``."""

    def check(self, **kwargs: Any) -> list[Any]:
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        """Return the file's path (a list of it with ``find_all``), or [] as Django's own finders do."""
        found = _vendor_files().get(path)
        if found is None:
            return []
        return [str(found)] if find_all or kwargs.get("all") else str(found)

    def list(self, ignore_patterns: list[str] | None) -> Iterator[tuple[str, FileSystemStorage]]:
        for name, path in _vendor_files().items():
            prefix, _, filename = name.rpartition("/")
            storage = FileSystemStorage(location=path.parent)
            storage.prefix = prefix  # type: ignore[attr-defined]  # read by collectstatic and WhiteNoise
            yield filename, storage
