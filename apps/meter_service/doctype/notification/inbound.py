"""Texts subscribers send to the service's short code, and the answers they get by SMS.

A subscriber texts a tracking code and gets the claim's status; texts "help" (or «راهنما»,
«کمک») and gets the service's steps; anything else gets a short note on what to send. The
provider hands each text to the webhook (views.sms_inbound) or to the poll of its receive
API (inbound_poll); both end in `inbound_sms_receive`.

- Every text is logged as an InboundSms row, with its answer's SmsMessage.
- The provider's message id is unique: a repeated delivery finds the row and is not answered
  again, so the provider's retries never text twice.
- A sender over INBOUND_SMS_PER_SENDER_PER_HOUR is logged and not answered: nobody can make
  the service text a mobile without end, nor try codes by the thousand.
- A status is given as the web status lookup gives it (claim_public_status): the code and
  the mobile's last four digits, here the sender's own. The answer says the status and the
  last step in words and the step's Jalali day; nothing about the subscriber.
- A doctype above may read a text first (register_reader): a complaint's rating, a lone
  digit 1-5 from a mobile asked to rate, is recorded there; it never looks like a tracking
  code or "help", so those still read as before.
- The answer goes through sms_send, in the same transaction as the log row (the outbox).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from apps.meter_service.core import identifiers
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.claim.selectors import claim_public_status
from apps.meter_service.doctype.claim.timeline import timeline_entries
from apps.meter_service.doctype.notification import rules, services
from apps.meter_service.doctype.notification.models import InboundKind, InboundSms
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.integrations.sms import adapter

logger = logging.getLogger("meter_service.notifications")

ANSWERS: dict[str, str] = {
    InboundKind.STATUS: rules.INBOUND_STATUS,
    InboundKind.UNKNOWN_CODE: rules.INBOUND_UNKNOWN_CODE,
    InboundKind.HELP: rules.INBOUND_HELP,
    InboundKind.MALFORMED: rules.INBOUND_MALFORMED,
    InboundKind.RATING: rules.INBOUND_RATING,
}
FIELD_SIZES = {"provider_message_id": 64, "sender": 20, "receptor": 20}


# Readers the doctypes above this one register when the app is ready (apps.py): each gets
# (the sender's mobile, the text) and returns the answer's values once it took the text
# (InboundKind.RATING), or None to leave it to the claim status lookup.
InboundReader = Callable[[str, str], dict[str, str] | None]
_READERS: list[InboundReader] = []


def register_reader(reader: InboundReader) -> None:
    if reader not in _READERS:
        _READERS.append(reader)


@dataclass(frozen=True)
class Received:
    """The outcome of one delivery: the logged row, and whether it was seen before."""

    inbound: InboundSms
    repeated: bool


def _short_code() -> str:
    return str(adapter.sms_config().get("SENDER") or "")


def _over_limit(sender: str) -> bool:
    limit = int(rule_value("INBOUND_SMS_PER_SENDER_PER_HOUR"))
    since = timezone.now() - datetime.timedelta(hours=1)
    answered = InboundSms.objects.filter(sender=sender, received_at__gte=since).exclude(
        kind=InboundKind.LIMITED
    )
    return answered.count() >= limit


def _status_values(claim: Claim, *, language: str = "fa") -> dict[str, str]:
    """The status answer's values: the status and the last step in words, and its day."""

    with translation.override(language):
        entries = timeline_entries(claim=claim)
        last = entries[-1] if entries else None
        return {
            "tracking_code": rules.format_tracking_code(claim.tracking_code, language=language),
            "status": str(claim.get_status_display()),
            "step": str(last.label) if last else "—",
            "date": rules.format_day(last.at if last else claim.filed_at, language=language),
        }


def _read(text: str, sender: str) -> tuple[InboundKind, Claim | None, dict[str, str]]:
    """What the text asks and the answer's values: (kind, claim, values)."""
    for reader in _READERS:
        taken = reader(sender, text)
        if taken is not None:
            return InboundKind.RATING, None, taken
    short = {"short_code": rules.format_number(_short_code(), language="fa")}
    intent, code = rules.inbound_intent(text)
    if intent == "help":
        return InboundKind.HELP, None, short
    if intent == "malformed":
        return InboundKind.MALFORMED, None, short
    claim = claim_public_status(code=code, mobile_last4=sender[-4:])
    if claim is None:
        values = {**short, "tracking_code": rules.format_tracking_code(code, language="fa")}
        return InboundKind.UNKNOWN_CODE, None, values
    return InboundKind.STATUS, claim, _status_values(claim)


def inbound_sms_receive(*, message_id: str, sender: str, text: str, receptor: str = "") -> Received:
    """Log one text from a subscriber and queue its answer; once per provider message id."""
    message_id = str(message_id).strip()[: FIELD_SIZES["provider_message_id"]]
    try:
        mobile = identifiers.normalize_mobile(sender)
    except identifiers.IdentifierError:
        mobile = ""
    who = (mobile or identifiers.clean_digits(sender or ""))[: FIELD_SIZES["sender"]]
    earlier = InboundSms.objects.filter(provider_message_id=message_id).first()
    if earlier is not None:
        return Received(earlier, repeated=True)
    try:
        with transaction.atomic():
            row = InboundSms(
                provider_message_id=message_id,
                sender=who,
                receptor=identifiers.clean_digits(receptor or "")[: FIELD_SIZES["receptor"]],
                text=text or "",
            )
            if not mobile:
                row.kind = InboundKind.NO_REPLY  # a landline or a service number: no answer
            elif _over_limit(who):
                row.kind = InboundKind.LIMITED
            else:
                row.kind, row.claim, values = _read(row.text, mobile)
            row.save()
            if row.kind in ANSWERS:
                key = ANSWERS[row.kind]
                body = services.message_render(key=key, values=values)
                if body is not None:
                    row.answer = services.sms_send(
                        to=mobile, body=body, template_key=key, claim=row.claim
                    )
                    row.save(update_fields=["answer"])
    except IntegrityError:
        # The same message delivered twice at once: the other delivery logged and answered it.
        earlier = InboundSms.objects.filter(provider_message_id=message_id).first()
        if earlier is None:
            raise
        return Received(earlier, repeated=True)
    log = logger.warning if row.kind == InboundKind.LIMITED else logger.info
    log("inbound sms %s", row.kind, extra={"inbound_sms": row.pk})
    return Received(row, repeated=False)


def inbound_poll() -> int:
    """Fetch the unread texts from the provider's receive API and answer each; return how
    many were new. For a site whose provider cannot reach its webhook."""
    config = adapter.sms_config()
    if not adapter.sms_configured(config) or not config.get("SENDER"):
        return 0
    new = 0
    for message in adapter.KavenegarSms.from_settings().receive(line_number=config["SENDER"]):
        received = inbound_sms_receive(
            message_id=message.message_id,
            sender=message.sender,
            text=message.text,
            receptor=message.receptor,
        )
        new += not received.repeated
    return new
