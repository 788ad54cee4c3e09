"""The mail thread of a complaint, as the emails sent to the complainant start it: their
Message-ID is random and logged (a reply names it in In-Reply-To, and only such a reply
threads), their Reply-To is the support mailbox.
Apart from mail.py (which takes the replies and calls the services) so that the services'
notification job can use it without an import cycle."""

from __future__ import annotations

import secrets
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone

from apps.meter_service.doctype.complaint.models import (
    Complaint,
    ComplaintMail,
    ComplaintMailDirection,
    ComplaintMailOutcome,
)
from apps.meter_service.integrations.mail import imap


def support_address() -> str:
    return str(imap.mail_in_config().get("ADDRESS") or "").strip()


def complaint_mail_headers(*, complaint: Complaint, occurrence: str) -> dict[str, str]:
    """The headers of an email to the complainant: a Message-ID logged for the complaint
    (a reply names it) and Reply-To the support mailbox. One id per occurrence, so a job run
    again sends the same id and logs it once."""
    # An outgoing row's note holds the occurrence it was sent for.
    existing = ComplaintMail.objects.filter(
        complaint=complaint, direction=ComplaintMailDirection.OUTGOING, note=occurrence
    ).first()
    if existing is not None:
        message_id = existing.message_id
    else:
        address = parseaddr(support_address() or str(settings.DEFAULT_FROM_EMAIL))[1]
        domain = address.rpartition("@")[2] or "localhost"
        # Unguessable: a reply naming it is what proves it answers this email (mail.py).
        message_id = f"<complaint.{secrets.token_hex(16)}@{domain}>"
        ComplaintMail.objects.create(
            message_id=message_id,
            direction=ComplaintMailDirection.OUTGOING,
            complaint=complaint,
            address=complaint.contact_email,
            outcome=ComplaintMailOutcome.SENT,
            note=occurrence,
            created_at=timezone.now(),
        )
    headers = {"Message-ID": message_id}
    if support_address():
        headers["Reply-To"] = support_address()
    return headers
