"""The claim receipt: a PDF with the tracking code, for the claim's subscriber or staff."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.doctype.claim.receipt import (
    render_receipt_document,
    render_receipt_html,
    render_receipt_pdf,
)
from apps.meter_service.permissions import Role
from tests.portal.pdf_text import pdf_texts

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    """Return the PDF's text: pdftotext when installed, else the built-in reader."""
    if shutil.which("pdftotext"):
        result = subprocess.run(
            ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
        )
        return normalize_digits(result.stdout.decode())
    return "\n".join(normalize_digits(text) for text in pdf_texts(pdf))


def test_receipt_is_a_pdf_with_the_tracking_code(portal_client, make_claim):
    claim = make_claim()

    response = portal_client.get(reverse("portal:claim_receipt", args=[claim.tracking_code]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert tracking.display(claim.tracking_code) in pdf_text(response.content)
    assert "no-store" in response["Cache-Control"]


def test_built_in_reader_finds_the_code_too(make_claim):
    claim = make_claim()
    texts = [normalize_digits(text) for text in pdf_texts(render_receipt_pdf(claim))]
    assert any(tracking.display(claim.tracking_code) in text for text in texts)


@pytest.mark.parametrize("language", ["fa", "en"])
def test_receipt_fits_one_page(make_claim, language):
    claim = make_claim(reason="other", reason_text="صدای زیاد " * 30)
    assert len(render_receipt_document(claim, language=language).pages) == 1


def test_receipt_html_holds_what_the_card_asks(make_claim):
    claim = make_claim()

    html = render_receipt_html(claim)

    assert 'dir="rtl"' in html and 'lang="fa"' in html
    assert "Vazirmatn-FD-Regular.ttf" in html and "file://" in html
    assert "<svg" in html  # the QR code, inline
    assert claim.subscriber.name in html
    assert claim.meter.serial in html
    assert "۱٬۶۵۰٬۰۰۰" in html  # the total in Rial, Persian digits and separators


def test_staff_may_download_any_receipt(client, make_user, make_claim):
    claim = make_claim()
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))

    response = client.get(reverse("portal:claim_receipt", args=[claim.tracking_code]))

    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_a_counter_office_operator_gets_no_receipt_here(client, make_user, make_claim):
    claim = make_claim()
    client.force_login(make_user(Role.COUNTER_OFFICE_OPERATOR))

    response = client.get(reverse("portal:claim_receipt", args=[claim.tracking_code]))

    assert response.status_code == 404


@pytest.mark.parametrize("code", ["1234567890", "9345578690", "0000000001"])
def test_the_qr_code_is_the_same_picture_as_the_qr_librarys(code):
    import re

    import qrcode
    import qrcode.image.svg

    from apps.meter_service.doctype.claim.receipt import tracking_qr_svg

    def dark_modules(svg: str) -> set[tuple[int, int]]:
        cells = set()
        for x0, y, x1 in re.findall(r"M(\d+),(\d+)H(\d+)V", svg):
            cells |= {(x, int(y)) for x in range(int(x0), int(x1))}
        return cells

    ours = tracking_qr_svg(code)
    theirs = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string(
        encoding="unicode"
    )

    assert dark_modules(ours) == dark_modules(theirs)
    assert ours.split("<path")[0] == theirs.split("<path")[0]  # size and view box
    assert ours.count("M") < theirs.count("M") / 2 + 10  # runs, not squares
