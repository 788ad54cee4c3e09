"""PDFs kept as files: served again while the document is unchanged, printed again when it
changes, printed ahead by a job; WeasyPrint's fonts and stylesheets kept per process."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.meter_service import jobs
from apps.meter_service.core import pdf
from apps.meter_service.doctype.claim.receipt import render_receipt_html
from apps.meter_service.doctype.printout import services
from apps.meter_service.doctype.printout.models import PrintoutKind, StoredPrintout
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401

pytestmark = pytest.mark.django_db

RECEIPT = PrintoutKind.RECEIPT


@pytest.fixture
def printed(monkeypatch):
    """Counts the PDFs WeasyPrint prints (the stored ones are served without)."""
    calls: list[int] = []
    real = pdf.html_to_pdf

    def counting(html: str) -> bytes:
        calls.append(1)
        return real(html)

    monkeypatch.setattr(pdf, "html_to_pdf", counting)
    return calls


def test_fonts_are_kept_between_documents(make_claim):
    claim = make_claim()
    pdf.html_to_pdf(render_receipt_html(claim))
    built = dict(pdf.built)

    first = pdf.html_to_pdf(render_receipt_html(claim))
    second = pdf.html_to_pdf(render_receipt_html(claim))

    assert first.startswith(b"%PDF") and second.startswith(b"%PDF")
    assert pdf.built == built  # no fonts loaded again
    pdf.html_to_pdf(render_receipt_html(claim, language="en"))  # the same fonts in English
    assert pdf.built == built
    statement_fonts = {400: "file:///nowhere/Other-Regular.ttf"}
    pdf.warm(statement_fonts, "Other")  # another set of faces: a configuration of its own
    assert pdf.built == {"font_configs": built["font_configs"] + 1}


def test_a_download_stores_the_pdf_and_the_next_one_serves_it(portal_client, make_claim, printed):
    claim = make_claim()
    url = reverse("portal:claim_receipt", args=[claim.tracking_code])

    first = portal_client.get(url)
    second = portal_client.get(url)

    assert first.status_code == second.status_code == 200
    assert first.content.startswith(b"%PDF")
    assert second.content == first.content  # the stored file, printing time and all
    assert len(printed) == 1
    stored = StoredPrintout.objects.get(kind=RECEIPT, object_id=claim.pk)
    assert stored.claim_id == claim.pk and stored.language == "fa"


def test_a_changed_document_is_printed_again_never_served_stale(
    make_claim, printed, django_capture_on_commit_callbacks
):
    claim = make_claim()
    before = services.printout_pdf(kind=RECEIPT, document=claim)
    stored = StoredPrintout.objects.get(kind=RECEIPT, object_id=claim.pk)
    old_name, old_version = stored.file.name, stored.version
    storage = stored.file.storage

    claim.subscriber.name = "نام تازه مشترک"
    claim.subscriber.save(update_fields=["name"])
    claim.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        after = services.printout_pdf(kind=RECEIPT, document=claim)

    assert len(printed) == 2 and after != before
    stored.refresh_from_db()
    assert stored.version != old_version and stored.file.name != old_name
    assert not storage.exists(old_name)  # the stale file is gone
    assert services.printout_pdf(kind=RECEIPT, document=claim) == after
    assert len(printed) == 2


def test_a_stored_file_gone_missing_is_printed_again(make_claim, printed):
    claim = make_claim()
    services.printout_pdf(kind=RECEIPT, document=claim)
    stored = StoredPrintout.objects.get(kind=RECEIPT, object_id=claim.pk)
    stored.file.storage.delete(stored.file.name)

    again = services.printout_pdf(kind=RECEIPT, document=claim)

    assert again.startswith(b"%PDF") and len(printed) == 2


def test_each_language_is_kept_apart(make_claim, printed):
    claim = make_claim()
    persian = services.printout_pdf(kind=RECEIPT, document=claim)
    english = services.printout_pdf(kind=RECEIPT, document=claim, language="en")

    assert persian != english
    assert StoredPrintout.objects.filter(object_id=claim.pk).count() == 2


@pytest.mark.usefixtures("fake_sms")
def test_the_claims_events_print_the_receipt_ahead(
    make_claim,
    settings,
    printed,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        claim = make_claim()
    assert not StoredPrintout.objects.exists()  # the tests' default: nothing ahead
    settings.METER_PRINT_AHEAD = True

    with django_capture_on_commit_callbacks(execute=True):
        jobs.claim_notify(claim.pk, "claim_paid", facts={"occurrence": "o-1"})

    stored = StoredPrintout.objects.get(kind=RECEIPT, object_id=claim.pk)
    assert stored.file.storage.exists(stored.file.name) and len(printed) == 1
    # the download then serves it without printing
    content = services.printout_pdf(kind=RECEIPT, document=claim)
    assert content.startswith(b"%PDF") and len(printed) == 1


@pytest.mark.usefixtures("fake_sms")
def test_an_event_without_a_document_prints_nothing(
    make_claim,
    settings,
    printed,
    django_capture_on_commit_callbacks,
):
    claim = make_claim()
    settings.METER_PRINT_AHEAD = True

    with django_capture_on_commit_callbacks(execute=True):
        jobs.claim_notify(claim.pk, "visit_scheduled", facts={"occurrence": "o-2"})

    assert not StoredPrintout.objects.exists() and printed == []


def test_the_job_for_a_claim_gone_or_without_the_document_prints_nothing(make_claim, printed):
    claim = make_claim()
    assert jobs.printout_prepare(claim.pk, PrintoutKind.TEST_REPORT) == 0  # not tested yet
    assert jobs.printout_prepare(claim.pk, PrintoutKind.CORRECTION_STATEMENT) == 0
    assert jobs.printout_prepare(10**9, RECEIPT) == 0
    assert printed == [] and not StoredPrintout.objects.exists()


def test_a_printout_stored_meanwhile_by_another_process_stands(make_claim, monkeypatch):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    claim = make_claim()
    services.printout_pdf(kind=RECEIPT, document=claim)
    row = StoredPrintout.objects.get(kind=RECEIPT, object_id=claim.pk)
    folder = f"printouts/{timezone.now():%Y/%m}"
    files_before = set(default_storage.listdir(folder)[1])
    theirs = default_storage.save("printouts/theirs.pdf", ContentFile(b"%PDF-theirs"))
    claim.subscriber.name = "نام تازه مشترک"
    claim.subscriber.save(update_fields=["name"])
    claim.refresh_from_db()
    real = pdf.html_to_pdf

    def meanwhile(html: str) -> bytes:  # another worker stores the new version first
        StoredPrintout.objects.filter(pk=row.pk).update(file=theirs, version="theirs")
        return real(html)

    monkeypatch.setattr(pdf, "html_to_pdf", meanwhile)
    ours = services.printout_pdf(kind=RECEIPT, document=claim)

    assert ours.startswith(b"%PDF")  # the download still gets its PDF
    row.refresh_from_db()
    assert row.file.name == theirs  # theirs stands
    assert set(default_storage.listdir(folder)[1]) == files_before  # ours was not left behind
