"""Uploads: images that declare too many pixels are refused before decoding, stored files
get names of our own with the extension of their content, and files are served only to
those who may see their record (apps/meter_service/core/uploads.py, files.py)."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.meter_service.core import uploads
from apps.meter_service.permissions import Role


def png(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height (the pixels themselves are not there)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def small_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 3), "white").save(out, format="PNG")
    return out.getvalue()


def test_a_png_declaring_sixty_thousand_squared_pixels_is_refused():
    bomb = SimpleUploadedFile("bomb.png", png(60000, 60000))
    assert len(bomb.read()) < 1000
    bomb.seek(0)
    with pytest.raises(ValidationError) as refused:
        uploads.check_image(bomb, "image/png")
    assert refused.value.code == "image_too_many_pixels"
    assert bomb.tell() == 0


def test_the_pixel_limit_is_a_setting(settings):
    image = SimpleUploadedFile("a.png", png(2000, 1000))
    uploads.check_image(image, "image/png")
    settings.METER_SERVICE = {**settings.METER_SERVICE, "IMAGE_MAX_PIXELS": 1_000_000}
    with pytest.raises(ValidationError):
        uploads.check_image(image, "image/png")


def test_the_stored_name_is_random_with_the_extension_of_the_content():
    head = b"%PDF-1.7\n<svg onload=alert(1)>"
    assert uploads.sniff(head) == "application/pdf"
    first, second = uploads.stored_name("application/pdf"), uploads.stored_name("application/pdf")
    assert first.endswith(".pdf") and first != second and len(first) == 36


@pytest.mark.django_db
def test_a_claim_scan_named_html_is_stored_as_pdf(make_claim, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = SimpleUploadedFile("bill.html", b"%PDF-1.4\n<script>alert(1)</script>")
    claim = make_claim(last_bill_scan=scan)
    assert claim.last_bill_scan.name.endswith(".pdf")
    assert "bill." not in claim.last_bill_scan.name.rsplit("/", 1)[-1]


@pytest.mark.django_db
def test_a_claim_scan_declaring_too_many_pixels_is_refused(make_claim, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    bomb = SimpleUploadedFile("bill.png", png(60000, 60000))
    with pytest.raises(ValidationError) as refused:
        make_claim(last_bill_scan=bomb)
    assert refused.value.error_dict["last_bill_scan"][0].code == "image_too_many_pixels"


# --- serving ---------------------------------------------------------------------------------
@pytest.fixture
def scanned(make_claim, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_claim(last_bill_scan=SimpleUploadedFile("bill.png", small_png()))


@pytest.mark.django_db
def test_the_scan_is_served_only_to_those_who_may_see_the_claim(
    client, scanned, make_user, make_subscriber
):
    assert_served_only_to_readers(client, scanned, make_user, make_subscriber)


def assert_served_only_to_readers(client, scanned, make_user, make_subscriber) -> None:
    """The claim's scan goes to staff who may see claims and to its subscriber, else 404."""
    url = scanned.last_bill_scan.url
    assert url.startswith("/files/claims/bills/")
    assert client.get(url).status_code == 404  # anonymous: as if missing

    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == small_png()

    # The subscriber who filed it sees it; another subscriber does not.
    owner = scanned.subscriber
    if owner.user is None:
        owner.user = make_user(Role.SUBSCRIBER)
        owner.save(update_fields=["user"])
    client.force_login(owner.user)
    assert client.get(url).status_code == 200
    stranger = make_user(Role.SUBSCRIBER)
    other = make_subscriber()
    other.user = stranger
    other.save(update_fields=["user"])
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(make_user(Role.COUNTER_OFFICE_OPERATOR))
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_file_no_record_holds_and_paths_outside_are_not_served(client, scanned, make_user):
    client.force_login(make_user(Role.SYSTEM_ADMIN, is_superuser=True))
    folder = scanned.last_bill_scan.name.rsplit("/", 1)[0]
    assert client.get(f"/files/{folder}/other.png").status_code == 404
    assert client.get("/files/../sites/settings/base.py").status_code == 404
    assert client.get("/files/claims/bills/%2e%2e/%2e%2e/x").status_code == 404


@pytest.mark.django_db
def test_behind_nginx_the_proxy_sends_the_file(client, scanned, make_user, settings):
    settings.METER_FILES_SENDFILE = "x-accel-redirect"
    client.force_login(make_user(Role.SERVICE_MANAGER))
    response = client.get(scanned.last_bill_scan.url)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected_files/" + scanned.last_bill_scan.name
    assert response.content == b""
