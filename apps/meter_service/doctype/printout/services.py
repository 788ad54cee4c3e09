"""PDFs of a claim's documents, made once and served again while the document is unchanged.

The doors call `printout_pdf` for a download: it reads the document and renders its print
HTML (a few milliseconds), and serves the stored file when its content version still
matches; otherwise it prints the PDF now (a download never waits on a job) and stores it for
the next one. `printout_prepare` is the job that prints them ahead, after the claim events
that make or change a document (jobs.claim_notify), so the download the subscriber or the
office makes next serves a file.

The stored file shows the time it was printed; everything else on it is the document as it
is now, or it is not served.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from apps.meter_service.core import pdf, uploads
from apps.meter_service.doctype.claim import receipt
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.correction import statement
from apps.meter_service.doctype.correction.models import BillCorrection
from apps.meter_service.doctype.correction.services import statement_ready
from apps.meter_service.doctype.inspection import report
from apps.meter_service.doctype.inspection.selectors import claim_report_inspection
from apps.meter_service.doctype.printout.models import PrintoutKind, StoredPrintout

logger = logging.getLogger("meter_service.printout")

# What the content version is computed with in place of the printing time.
_VERSION_TIME = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Printable:
    template: str
    context: Callable[[Any], dict[str, Any]]
    claim_id: Callable[[Any], int]


PRINTABLES: dict[str, Printable] = {
    PrintoutKind.RECEIPT: Printable(receipt.TEMPLATE, receipt.receipt_context, lambda c: c.pk),
    PrintoutKind.TEST_REPORT: Printable(
        report.TEMPLATE, report.report_context, lambda i: i.claim_id
    ),
    PrintoutKind.CORRECTION_STATEMENT: Printable(
        statement.TEMPLATE, statement.statement_context, lambda c: c.claim_id
    ),
}


def content_version(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def _print_html(kind: str, document: Any, language: str) -> tuple[str, str]:
    """The document's print HTML (printed now) and its content version (without the time)."""
    printable = PRINTABLES[kind]
    with translation.override(language):
        context = printable.context(document)
        version = content_version(
            render_to_string(printable.template, {**context, "printed_at": _VERSION_TIME})
        )
        html = render_to_string(printable.template, context)
    return html, version


def _stored_bytes(stored: StoredPrintout | None, version: str) -> bytes | None:
    if stored is None or stored.version != version:
        return None
    try:
        with stored.file.open("rb") as file:
            content = file.read()
    except OSError:  # the file went (a restored backup, a cleaned folder): print it again
        logger.warning("stored printout %s is missing its file %s", stored.pk, stored.file.name)
        return None
    return bytes(content) if content.startswith(b"%PDF") else None


def _store(
    kind: str,
    document: Any,
    language: str,
    version: str,
    content: bytes,
    stored: StoredPrintout | None,
) -> None:
    """Keep `content` as the document's printout, replacing `stored` (the row read before
    printing, if any) and, after the commit, its file."""
    # A random name of its own: the file is found through its row, never guessed.
    name = default_storage.save(
        f"printouts/{timezone.now():%Y/%m}/{uploads.stored_name('application/pdf')}",
        ContentFile(content),
    )
    fields = {
        "claim_id": PRINTABLES[kind].claim_id(document),
        "version": version,
        "made_at": timezone.now(),
        "file": name,
    }
    if stored is None:
        try:
            with transaction.atomic():
                StoredPrintout.objects.create(
                    kind=kind, object_id=document.pk, language=language, **fields
                )
        except IntegrityError:
            # Another process stored it at the same moment: theirs stands, ours is dropped.
            default_storage.delete(name)
        return
    # Only over the row as it was read: if another process replaced it meanwhile, theirs
    # stands (its file is the one the row names) and ours is dropped.
    old_name = stored.file.name
    if not StoredPrintout.objects.filter(pk=stored.pk, file=old_name).update(**fields):
        default_storage.delete(name)
        return
    transaction.on_commit(lambda: default_storage.delete(old_name))


def printout_pdf(*, kind: str, document: Any, language: str = "fa") -> bytes:
    """The document's PDF: the stored one while it shows the document as it is, else
    printed now and stored. The caller has checked who may see the document."""
    html, version = _print_html(kind, document, language)
    stored = StoredPrintout.objects.filter(
        kind=kind, object_id=document.pk, language=language
    ).first()
    content = _stored_bytes(stored, version)
    if content is None:
        content = pdf.html_to_pdf(html)
        _store(kind, document, language, version, content, stored)
    return content


def printable_documents(claim: Claim, kind: str) -> list[Any]:
    """The documents of `kind` the claim's downloads print now (none when not ready)."""
    if kind == PrintoutKind.RECEIPT:
        return [claim]
    if kind == PrintoutKind.TEST_REPORT:
        inspection = claim_report_inspection(claim=claim)
        return [inspection] if inspection is not None else []
    correction = BillCorrection.objects.filter(claim=claim).first()
    return [correction] if correction is not None and statement_ready(correction) else []


def printout_prepare(*, claim_id: int, kind: str, language: str = "fa") -> int:
    """Print the claim's documents of `kind` ahead (the job); returns how many were printed
    or found current. A claim gone since is nothing to print."""
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None:
        return 0
    documents = printable_documents(claim, kind)
    for document in documents:
        printout_pdf(kind=kind, document=document, language=language)
    return len(documents)
