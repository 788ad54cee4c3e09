"""Static files: only the front-end packages' files the pages use, compressed once.

The npm packages under node_modules hold far more than the pages load (the vazirmatn package
alone has 156 TTF files, of which the PDFs use four). Serving whole package folders made
every `collectstatic` copy and recompress some 110 MB; `VendorFilesFinder` exposes only the
files named in `METER_VENDOR_FILES`, and `IncrementalCompressedStaticFilesStorage` leaves the
compressed copies of files that did not change.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles.finders import AppDirectoriesFinder, BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage
from whitenoise.compress import Compressor
from whitenoise.storage import CompressedStaticFilesStorage


class AppFilesFinder(AppDirectoriesFinder):
    """The installed apps' static files, less what no page loads.

    `METER_STATIC_SKIP_APPS` names apps whose pages are not served (django-helpdesk's own
    pages: the desk and portal show complaints instead; 49 MB of vendored scripts), and
    `METER_STATIC_SKIP_PATHS` the patterns of files no page loads (source maps, ReDoc).
    """

    def __init__(self, app_names=None, *args, **kwargs) -> None:
        skipped = set(settings.METER_STATIC_SKIP_APPS)
        app_names = [
            config.name for config in apps.get_app_configs() if config.label not in skipped
        ]
        super().__init__(app_names, *args, **kwargs)

    def list(self, ignore_patterns):
        skipped = list(ignore_patterns or []) + list(settings.METER_STATIC_SKIP_PATHS)
        yield from super().list(skipped)

    def find_in_app(self, app: str, path: str) -> str | None:
        if any(fnmatch.fnmatchcase(path, p) for p in settings.METER_STATIC_SKIP_PATHS):
            return None
        return super().find_in_app(app, path)


class VendorFilesFinder(BaseFinder):
    """Files of front-end packages, by pattern: {prefix: (folder, [glob, ...])}.

    A pattern is matched against the path inside the folder (`*` also crosses `/`).
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.packages: dict[str, tuple[Path, tuple[str, ...]]] = {
            prefix: (Path(folder), tuple(patterns))
            for prefix, (folder, patterns) in settings.METER_VENDOR_FILES.items()
        }

    def _allowed(self, patterns: tuple[str, ...], relative: str) -> bool:
        return any(fnmatch.fnmatchcase(relative, pattern) for pattern in patterns)

    def check(self, **kwargs) -> list[CheckMessage]:
        errors: list[CheckMessage] = []
        for prefix, (folder, patterns) in self.packages.items():
            for pattern in patterns:
                if not any(self._allowed((pattern,), path) for path in _files(folder)):
                    errors.append(
                        Error(
                            f"METER_VENDOR_FILES[{prefix!r}]: nothing in {folder} matches "
                            f"{pattern!r} (is node_modules installed?)",
                            id="meter_service.E101",
                        )
                    )
        return errors

    # Not found is [] whether or not find_all, as with Django's own finders (the stubs say
    # None, which django.contrib.staticfiles.finders.find would take for a match).
    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False, **kwargs: Any
    ) -> str | list[str]:
        matches = []
        for prefix, (folder, patterns) in self.packages.items():
            if not path.startswith(prefix + "/"):
                continue
            relative = path[len(prefix) + 1 :]
            candidate = folder / relative
            if self._allowed(patterns, relative) and candidate.is_file():
                if not find_all:
                    return str(candidate)
                matches.append(str(candidate))
        return matches  # every match, or (not find_all) none: the first returned above

    def list(self, ignore_patterns) -> Iterator[tuple[str, FileSystemStorage]]:
        for prefix, (folder, patterns) in self.packages.items():
            storage = FileSystemStorage(location=folder)
            # What collectstatic reads, as Django's FileSystemFinder sets it (not in the stubs).
            storage.prefix = prefix  # type: ignore[attr-defined]
            for relative in _files(folder):
                if self._allowed(patterns, relative):
                    yield relative, storage


def _files(folder: Path) -> Iterator[str]:
    for root, _dirs, names in os.walk(folder):
        for name in names:
            yield os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/")


class _IncrementalCompressor(Compressor):
    """Keeps the .gz/.br copies that are newer than their file instead of redoing them."""

    def compress(self, path: str) -> list[str]:
        suffixes = [".br"] * self.use_brotli + [".gz"] * self.use_gzip
        kept = [path + suffix for suffix in suffixes if self._up_to_date(path, suffix)]
        if suffixes and len(kept) == len(suffixes):
            return kept
        return super().compress(path)

    @staticmethod
    def _up_to_date(path: str, suffix: str) -> bool:
        try:
            return os.stat(path + suffix).st_mtime >= os.stat(path).st_mtime
        except FileNotFoundError:
            return False


class IncrementalCompressedStaticFilesStorage(CompressedStaticFilesStorage):
    def create_compressor(self, **kwargs) -> Compressor:
        return _IncrementalCompressor(**kwargs)
