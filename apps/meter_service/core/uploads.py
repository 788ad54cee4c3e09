"""Uploaded files: their type read from the content, names of our own, and no image bombs.

Scans, photos and attachments are stored under a random name whose extension comes from
the file's first bytes (an `.html` or `.svg` file starting with `%PDF` is kept as `.pdf`,
never under its own name), and an image's size in pixels is read from its header and
refused above `IMAGE_MAX_PIXELS` before anything decodes it (a 437 KB PNG can declare
60,000 x 60,000 pixels: 14 GB once decoded for a PDF). Files are served by files.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import local_digits
from apps.meter_service.core.error_codes import SiteErrorCode

SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
}
EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
IMAGES = ("image/jpeg", "image/png")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TOO_MANY_PIXELS = _(
    "%(name)s is %(width)s x %(height)s pixels; an image may have at most %(limit)s million."
)


def sniff(head: bytes, allowed: Iterable[str] = EXTENSIONS) -> str | None:
    """The content type the first bytes show, if it is one of `allowed`."""
    allowed = set(allowed)
    for signature, content_type in SIGNATURES.items():
        if head.startswith(signature) and content_type in allowed:
            return content_type
    return None


def stored_name(content_type: str) -> str:
    """A name of our own: random, with the extension of the type read from the content."""
    return f"{uuid.uuid4().hex}.{EXTENSIONS.get(content_type, 'bin')}"


def max_pixels() -> int:
    return int(settings.METER_SERVICE["IMAGE_MAX_PIXELS"])


def check_image(uploaded, content_type: str, *, name: str = "") -> None:
    """Refuse an image whose header declares more pixels than allowed, before decoding."""
    if content_type not in IMAGES:
        return
    from PIL import Image

    limit = max_pixels()
    position = uploaded.tell()
    try:
        with Image.open(uploaded) as image:  # reads the header only
            width, height = image.size
    except Image.DecompressionBombError:
        width = height = 0
        too_large = True
    except Exception:
        # A header PIL cannot read declares no size to decode; its signature was checked.
        too_large = False
    else:
        too_large = width * height > limit
    finally:
        uploaded.seek(position)
    if too_large:
        raise ValidationError(
            TOO_MANY_PIXELS,
            code=SiteErrorCode.IMAGE_TOO_MANY_PIXELS,
            params={
                "name": name or uploaded.name,
                "width": local_digits(width),
                "height": local_digits(height),
                "limit": local_digits(f"{limit / 1_000_000:g}"),
            },
        )


def rename(uploaded, content_type: str):
    """Give an upload our own name before it is stored; returns it."""
    uploaded.name = stored_name(content_type)
    return uploaded
