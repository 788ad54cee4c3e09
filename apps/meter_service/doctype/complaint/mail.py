"""Complaints by email: the answers sent to a complainant carry a Message-ID, the complaint's
number in the subject and Reply-To the support mailbox; a reply threads into the complaint.

Two doors hand the raw message over (the IMAP poller, jobs.complaint_mail_poll, and the
endpoint a mail provider pushes to, views.complaint_mail_inbound); both end in
`complaint_mail_receive`:

- A message threads only as a reply to an email we sent: its In-Reply-To/References name
  one of our Message-IDs, which are random and go only to the complainant's address. A From
  header and a complaint number are easy to forge; a message with no more than that (a
  fresh email naming the number in its subject) is logged against the complaint with its
  text, for an officer to read, and changes nothing.
- It is taken only from the complaint's contact email; anyone else's is logged, not threaded.
- Mail whose Authentication-Results (from the site's mail server, `AUTHSERV_ID`) show a
  failed DMARC, or SPF/DKIM failing with neither passing, is logged and not threaded; with
  `REQUIRE_AUTHENTICATED` a pass is required.
- The text kept is the new text (core/inbound_mail: quotes and signature cut, HTML made
  text); it goes through complaint_subscriber_reply, which reopens an answered complaint and
  restarts its SLA as a reply on the portal does.
- Attachments pass the complaint's upload checks (size and type) or are left out with a note.
- Every message is logged once (ComplaintMail, Message-ID unique): fetched or pushed again,
  it is found and not threaded twice.
"""

from __future__ import annotations

import datetime
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.meter_service.core import identifiers, inbound_mail, uploads
from apps.meter_service.doctype.complaint import rules, services
from apps.meter_service.doctype.complaint.models import (
    Complaint,
    ComplaintMail,
    ComplaintMailDirection,
    ComplaintMailOutcome,
)
from apps.meter_service.integrations.mail import imap

logger = logging.getLogger("meter_service.complaints")

# A complaint number as the subjects print it (123-456-7890), in any digits.
SUBJECT_CODE = re.compile(r"(?<!\d)(\d{3})[-\s\u200c]?(\d{3})[-\s\u200c]?(\d{4})(?!\d)")
SUBJECT_MAX = 255
NOTE_MAX = 10_000


@dataclass(frozen=True)
class MailReceived:
    """What became of one message: its log row, and whether it was seen before."""

    mail: ComplaintMail
    repeated: bool


def _complaint_of(mail: inbound_mail.InboundMail) -> tuple[Complaint | None, bool]:
    """The complaint a message is about, and whether it replies to an email we sent it (only
    then may it thread); else the complaint a number in its subject names, if any."""
    if mail.references:
        sent = (
            ComplaintMail.objects.filter(
                message_id__in=mail.references[:50],
                direction=ComplaintMailDirection.OUTGOING,
                complaint__isnull=False,
            )
            .select_related("complaint")
            .order_by("-created_at")
            .first()
        )
        if sent is not None:
            return sent.complaint, True
    subject = identifiers.normalize_digits(mail.subject)
    for match in SUBJECT_CODE.finditer(subject):
        code = "".join(match.groups())
        if identifiers.is_valid_tracking_code(code):
            found = Complaint.objects.filter(tracking_code=code).first()
            if found is not None:
                return found, False
    return None, False


def _authentication_failure(mail: inbound_mail.InboundMail) -> str:
    config = imap.mail_in_config()
    return inbound_mail.authentication_failure(
        mail.authentication,
        authserv_id=str(config.get("AUTHSERV_ID") or ""),
        require_pass=bool(config.get("REQUIRE_AUTHENTICATED")),
    )


def _checked_files(files: list[inbound_mail.MailFile]) -> tuple[list[UploadedFile], list[str]]:
    """The attachments that pass the complaint's upload checks, and a line for each one left
    out (the same checks as an upload on the portal: size, type read from the bytes)."""
    kept: list[UploadedFile] = []
    notes: list[str] = []
    for file in files:
        name = Path(file.name).name[:200] or "attachment"
        uploaded = SimpleUploadedFile(name, file.content, content_type=file.content_type)
        try:
            content_type = rules.check_attachment(head=file.content[:16], size=len(file.content))
            uploads.check_image(uploaded, content_type)
        except ValidationError as error:
            notes.append(
                _("Attachment “%(name)s” was left out: %(reason)s")
                % {"name": name, "reason": " ".join(error.messages)}
            )
            continue
        uploaded.seek(0)
        kept.append(uploaded)
    return kept, notes


def _log(
    mail: inbound_mail.InboundMail,
    *,
    door: str,
    outcome: str,
    complaint: Complaint | None,
    note: str,
    now: datetime.datetime,
) -> ComplaintMail:
    return ComplaintMail.objects.create(
        message_id=mail.message_id,
        direction=ComplaintMailDirection.INCOMING,
        complaint=complaint,
        address=mail.sender[:254],
        subject=mail.subject[:SUBJECT_MAX],
        outcome=outcome,
        note=note,
        door=door[:10],
        created_at=now,
    )


def complaint_mail_receive(
    *, raw: bytes, door: str, now: datetime.datetime | None = None
) -> MailReceived:
    """Take one email sent to the support mailbox (raw RFC 822 bytes); see the module."""
    now = now or timezone.now()
    mail = inbound_mail.parse(raw)
    earlier = ComplaintMail.objects.filter(message_id=mail.message_id).first()
    if earlier is not None:
        return MailReceived(mail=earlier, repeated=True)
    try:
        with transaction.atomic():
            logged = _thread(mail, door=door, now=now)
    except IntegrityError:
        # The same message taken by the other door at the same moment: theirs stands.
        earlier = ComplaintMail.objects.filter(message_id=mail.message_id).first()
        if earlier is None:
            raise
        return MailReceived(mail=earlier, repeated=True)
    return MailReceived(mail=logged, repeated=False)


def _held(
    mail: inbound_mail.InboundMail, complaint: Complaint, *, replies_to_us: bool
) -> tuple[str, str] | None:
    """Why a message naming the complaint is kept out of it, as (outcome, note for the
    officer), or None when it may thread."""
    if not complaint.contact_email or not inbound_mail.same_address(
        mail.sender, complaint.contact_email
    ):
        return ComplaintMailOutcome.WRONG_SENDER, mail.text[:NOTE_MAX]
    failure = _authentication_failure(mail)
    if failure:
        return ComplaintMailOutcome.FAILED_AUTHENTICATION, failure
    if not replies_to_us:
        return ComplaintMailOutcome.NOT_A_REPLY, mail.text[:NOTE_MAX]
    return None


def _thread(mail: inbound_mail.InboundMail, *, door: str, now: datetime.datetime) -> ComplaintMail:
    complaint, replies_to_us = _complaint_of(mail)
    if complaint is None:
        logger.info("complaint email matched no complaint", extra={"door": door})
        return _log(
            mail,
            door=door,
            outcome=ComplaintMailOutcome.NO_COMPLAINT,
            complaint=None,
            note="",
            now=now,
        )
    held = _held(mail, complaint, replies_to_us=replies_to_us)
    if held is not None:
        outcome, note = held
        logger.warning(
            "complaint email kept out of the complaint",
            extra={"complaint": complaint.pk, "door": door, "outcome": outcome},
        )
        return _log(mail, door=door, outcome=outcome, complaint=complaint, note=note, now=now)
    files, notes = _checked_files(mail.files)
    with translation.override(settings.LANGUAGE_CODE):
        text = "\n\n".join(part for part in [mail.text, *notes] if part)
        if not text and files:
            text = _("(Attachments sent by email.)")
    subscriber = complaint.subscriber
    actor = subscriber.user if subscriber is not None and subscriber.user_id else None
    # Logged first: the reply's own rows come after it in the same transaction.
    logged = _log(
        mail,
        door=door,
        outcome=ComplaintMailOutcome.THREADED,
        complaint=complaint,
        note="",
        now=now,
    )
    try:
        with transaction.atomic():
            services.complaint_subscriber_reply(
                complaint=complaint, actor=actor, text=text, attachments=files, now=now
            )
    except ValidationError as error:
        logged.outcome = ComplaintMailOutcome.REFUSED
        with translation.override(settings.LANGUAGE_CODE):
            logged.note = " ".join(error.messages)
        logged.save(update_fields=["outcome", "note"])
        logger.info(
            "complaint email refused by the complaint",
            extra={"complaint": complaint.pk, "door": door},
        )
    return logged


def complaint_mail_poll(*, limit: int = 50) -> int:
    """Take the support mailbox's unseen messages (none when the site names no mailbox);
    return how many were taken."""
    if not imap.imap_configured():
        return 0
    return imap.poll_unseen(lambda raw: complaint_mail_receive(raw=raw, door="imap"), limit=limit)
