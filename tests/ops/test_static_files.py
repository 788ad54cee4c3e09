"""Static files: every file a page or PDF names is served, and nothing else of the packages.

`collectstatic` used to copy and recompress 2,909 files (110 MB, whole npm packages and
django-helpdesk's vendored scripts) on every `scripts/serve`; see apps/meter_service/staticfiles.py.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from apps.meter_service.staticfiles import IncrementalCompressedStaticFilesStorage

APP = Path(settings.BASE_DIR) / "apps" / "meter_service"
STATIC_TAG = re.compile(r"""\{%\s*static\s+['"]([^'"]+)['"]""")
CSS_URL = re.compile(r"""url\(["']?(\.\./[^)"'?#]+)""")
VENDOR_PATH = re.compile(r"""["'](vendor/[\w@./-]+\.\w+)["']""")


def _served() -> set[str]:
    return {
        posixpath.join(getattr(storage, "prefix", None) or "", path)
        for finder in finders.get_finders()
        for path, storage in finder.list(["CVS"])
    }


def _named_paths() -> set[str]:
    """The static paths the templates, style sheets and Python code name."""
    named = set()
    for template in (APP / "templates").rglob("*.html"):
        named.update(STATIC_TAG.findall(template.read_text(encoding="utf-8")))
    static_root = APP / "static"
    for sheet in static_root.rglob("*.css"):
        folder = sheet.parent.relative_to(static_root).as_posix()
        for url in CSS_URL.findall(sheet.read_text(encoding="utf-8")):
            named.add(posixpath.normpath(posixpath.join(folder, url)))
    for module in APP.rglob("*.py"):
        named.update(VENDOR_PATH.findall(module.read_text(encoding="utf-8")))
    return named


def test_every_file_the_pages_name_is_served():
    named = _named_paths()
    assert any(path.startswith("vendor/vazirmatn/") for path in named)
    missing = sorted(path for path in named if not finders.find(path))
    assert missing == []


def test_only_the_used_files_of_the_packages_are_collected():
    served = _served()
    fonts = {p for p in served if p.startswith("vendor/vazirmatn/") and p.endswith(".ttf")}
    assert len(fonts) == 4  # the PDFs' regular and bold, with Latin and Persian digits
    assert not [p for p in served if p.endswith(".map")]
    assert not [p for p in served if p.startswith("helpdesk/")]
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in served
    assert "admin/css/base.css" in served and "unfold/css/styles.css" in served
    assert len(served) < 400


def test_a_file_outside_the_list_is_not_found():
    assert not finders.find("vendor/vazirmatn/fonts/ttf/Vazirmatn-Thin.ttf")
    assert not finders.find("vendor/bpmn-js/bpmn-modeler.development.js")


@pytest.fixture
def storage(tmp_path, settings):
    settings.STATIC_ROOT = str(tmp_path)
    return IncrementalCompressedStaticFilesStorage(location=str(tmp_path))


def _compress(storage, name: str) -> None:
    list(storage.post_process({name: (storage, name)}))


def test_compressed_copies_of_an_unchanged_file_are_kept(storage, tmp_path):
    source = tmp_path / "app.css"
    source.write_text("body { color: #123456; }\n" * 200)
    _compress(storage, "app.css")
    gz = tmp_path / "app.css.gz"
    assert gzip.decompress(gz.read_bytes()).startswith(b"body")
    kept = os.stat(gz).st_mtime_ns
    gz.write_bytes(b"marker")  # a copy that was not redone keeps this
    os.utime(gz, ns=(kept, kept))
    _compress(storage, "app.css")
    assert gz.read_bytes() == b"marker"

    source.write_text("body { color: #654321; }\n" * 200)
    later = kept + 10**9
    os.utime(source, ns=(later, later))
    _compress(storage, "app.css")
    assert b"#654321" in gzip.decompress(gz.read_bytes())
