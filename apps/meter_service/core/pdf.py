"""Printing HTML to PDF with WeasyPrint, with the fonts kept per process.

A profile of one receipt (one page, two Vazirmatn weights, an inline QR) showed where the
time went: a fresh `FontConfiguration` a document cost about 120 ms of a 300 ms receipt
(fontconfig set up again, each @font-face font loaded and registered again), and the first
PDF of a process another second (WeasyPrint's import, Pango and fontconfig loading). So each
distinct set of @font-face rules gets one FontConfiguration for the life of the process
(WeasyPrint registers a face once per configuration), and `warm()` pays the first-PDF cost
when a web worker starts.

A document keeps exactly the fonts its own stylesheet names (the office statement names the
same family with other files in English), as it did with a fresh configuration each time.
The stylesheet stays in the document: handed to WeasyPrint as a parsed `CSS` it would be a
user stylesheet, a lower origin in the cascade, and the receipt's QR box laid out otherwise.
Pango's font map is not safe to share between threads (the embedded site runs jobs in
threads of the web process), so printing holds a lock; a web worker prints one at a time
anyway.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import re
import threading
from typing import Any

from django.conf import settings

logger = logging.getLogger("meter_service.printout")

# The <style> element of a print template, whose @font-face rules name the fonts.
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)
_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_SPACE = re.compile(r"\s+")
# Distinct sets of fonts are few (two today); past this many the kept ones are dropped, so
# an unexpected variety cannot grow a worker's memory for ever.
MAX_KEPT = 32

_lock = threading.RLock()
_font_configs: dict[str, Any] = {}
# How many were made (read by the tests: kept ones are not made again).
built = {"font_configs": 0}


def forget() -> None:
    """Drop the kept fonts (at exit: while the libraries they free are still loaded)."""
    with _lock:
        _font_configs.clear()


atexit.register(forget)


def _base_url() -> str:
    return str(settings.BASE_DIR)


def _font_config(html: str) -> Any:
    """The FontConfiguration kept for the @font-face rules of `html`'s stylesheet."""
    from weasyprint.text.fonts import FontConfiguration

    match = _STYLE.search(html)
    style = match.group(1) if match else ""
    faces = "".join(_SPACE.sub("", face) for face in _FONT_FACE.findall(style))
    key = hashlib.sha256(faces.encode()).hexdigest()
    config = _font_configs.get(key)
    if config is None:
        if len(_font_configs) >= MAX_KEPT:
            _font_configs.clear()
        config = _font_configs[key] = FontConfiguration()
        built["font_configs"] += 1
    return config


def render_document(html: str) -> Any:
    """Lay out `html` (a weasyprint Document, one entry a page)."""
    from weasyprint import HTML

    with _lock:
        return HTML(string=html, base_url=_base_url()).render(font_config=_font_config(html))


def write_pdf(document: Any) -> bytes:
    """The PDF bytes of a laid-out document (its fonts subset under the same lock)."""
    with _lock:
        return bytes(document.write_pdf())


def html_to_pdf(html: str) -> bytes:
    """Return `html` printed as PDF bytes."""
    with _lock:
        return write_pdf(render_document(html))


def preload() -> None:
    """Import WeasyPrint (and the Pango, HarfBuzz and fontconfig libraries it opens) without
    making a font map: safe before a fork, so the children RQ forks a job each inherit it
    instead of spending most of a second importing it for every PDF they print."""
    try:
        import weasyprint.text.fonts  # noqa: F401
    except Exception:  # the system libraries missing: the first PDF will say so
        logger.exception("could not import WeasyPrint ahead")


def warm(font_urls: dict[int, str], family: str) -> None:
    """Load WeasyPrint, Pango and the given fonts now, so that a worker's first PDF costs
    what the others do (about a second less)."""
    faces = " ".join(
        f'@font-face {{ font-family: "{family}"; font-weight: {weight}; src: url("{url}"); }}'
        for weight, url in font_urls.items()
    )
    html_to_pdf(
        f"<html><head><style>{faces} html {{ font-family: {family!r}; }}</style></head>"
        f"<body><p>۱ <b>۲</b></p></body></html>"
    )
