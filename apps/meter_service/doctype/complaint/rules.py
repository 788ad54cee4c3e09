"""Rules of complaints: topics, statuses, who may do what when, and the answer deadline.

Pure functions apart from reading settings: no queries, no writes.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from helpdesk.models import Ticket

from apps.meter_service.core import uploads
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.complaint.error_codes import ComplaintErrorCode
from apps.meter_service.doctype.notification import rules as message_rules
from apps.meter_service.doctype.rule_setting.selectors import rule_value

# The topics shipped as helpdesk queues (fixtures/0004_complaint_queues.json), by slug, with
# their names in the interface's languages. A queue added in the desk shows its own title.
TOPIC_LABELS = {
    "meter-test": _("Meter test and claim handling"),
    "billing": _("Bills and bill corrections"),
    "fees": _("Fees and payments"),
    "staff": _("Staff conduct"),
    "general": _("Other"),
}

OPEN = Ticket.OPEN_STATUS
REOPENED = Ticket.REOPENED_STATUS
RESOLVED = Ticket.RESOLVED_STATUS
CLOSED = Ticket.CLOSED_STATUS
DUPLICATE = Ticket.DUPLICATE_STATUS
AWAITING_ANSWER = frozenset({OPEN, REOPENED})

STATUS_LABELS = {
    OPEN: _("Open"),
    REOPENED: _("Reopened"),
    RESOLVED: _("Answered"),
    CLOSED: _("Closed"),
    DUPLICATE: _("Duplicate"),
}

# helpdesk's priorities: 1 critical ... 5 very low; an escalated complaint becomes "high".
DEFAULT_PRIORITY = 3
ESCALATED_PRIORITY = 2

CLOSED_MESSAGE = _("This complaint is closed; file a new one if you need to.")
NOT_RESOLVABLE_MESSAGE = _("Only an open or reopened complaint can be answered as resolved.")
NOT_CLOSABLE_MESSAGE = _("This complaint is already closed.")
EMPTY_TEXT_MESSAGE = _("Write the text of the message.")
CLAIM_NOT_SUBSCRIBERS_MESSAGE = _("Claim %(code)s is not this subscriber's.")
NO_CONTACT_MESSAGE = _("Give a mobile number or an email so we can answer.")
UNKNOWN_TOPIC_MESSAGE = _("Choose one of the topics.")
ASSIGNEE_MESSAGE = _("%(user)s is not a complaints officer or a service manager.")


def topic_label(queue) -> str:
    """Return the topic's name in the active language."""
    return str(TOPIC_LABELS.get(queue.slug, queue.title))


def status_label(status: int) -> str:
    return str(STATUS_LABELS.get(status, status))


def sla_seconds() -> int:
    """Return the working time allowed for an answer (COMPLAINT_SLA_HOURS)."""
    return int(float(rule_value("COMPLAINT_SLA_HOURS")) * 3600)


def escalation_roles() -> list[str]:
    return list(rule_value("COMPLAINT_ESCALATION_ROLES"))


def auto_close_after() -> datetime.timedelta:
    """How long a resolved complaint waits for the subscriber's reply before it closes."""
    return datetime.timedelta(days=int(rule_value("COMPLAINT_AUTO_CLOSE_DAYS")))


def attachment_max_bytes() -> int:
    return int(rule_value("COMPLAINT_ATTACHMENT_MAX_BYTES"))


def may_reply(status: int) -> bool:
    """A closed or duplicate complaint takes no more messages."""
    return status not in (CLOSED, DUPLICATE)


def reply_reopens(status: int) -> bool:
    """A subscriber's reply to an answered (resolved) complaint opens it again."""
    return status == RESOLVED


def message_values(complaint, event: str, *, language: str = "fa") -> dict[str, str]:
    """Return the values of a complaint's SMS, formatted for the language."""
    day = {
        message_rules.COMPLAINT_RESOLVED: lambda: (
            (complaint.resolved_at + auto_close_after()) if complaint.resolved_at else None
        ),
        message_rules.COMPLAINT_CLOSED: lambda: complaint.closed_at,
        message_rules.COMPLAINT_ANSWERED: lambda: complaint.first_answered_at,
    }.get(event, lambda: complaint.filed_at)()
    with translation.override(language):
        values = {
            "complaint_code": message_rules.format_tracking_code(
                complaint.tracking_code, language=language
            ),
            "topic": topic_label(complaint.ticket.queue),
            "date": message_rules.format_day(day, language=language),
            "due": format_datetime(complaint.due_at),
        }
    return values


DAILY_LIMIT_MESSAGE = _(
    "You have filed %(count)s complaints today, the most one day takes; file again tomorrow, "
    "or call the service desk."
)


def check_attachment(*, head: bytes, size: int) -> str:
    """Return an attachment's content type read from its first bytes, or refuse it."""
    limit = attachment_max_bytes()
    if size > limit:
        raise ValidationError(
            {
                "attachment": ValidationError(
                    _("The attachment is too large; at most %(mb)s MB is allowed."),
                    code=ComplaintErrorCode.ATTACHMENT_TOO_LARGE,
                    params={"mb": limit // (1024 * 1024)},
                )
            }
        )
    content_type = uploads.sniff(head)
    if content_type:
        return content_type
    raise ValidationError(
        {
            "attachment": ValidationError(
                _("An attachment must be a PDF, JPEG or PNG file."),
                code=ComplaintErrorCode.ATTACHMENT_WRONG_TYPE,
            )
        }
    )


# --- canned responses ---------------------------------------------------------------------

# The values a canned response's text may name; services.canned_response_render fills them.
CANNED_PLACEHOLDERS = frozenset(
    {
        "complaint_number",
        "complainant_name",
        "claim_tracking_code",
        "topic",
        "due_date",
        "officer_name",
    }
)
CANNED_TITLE_MESSAGE = _("Write the canned response's title.")
CANNED_BODY_MESSAGE = _("Write the Persian text of the canned response.")


def check_canned_response(*, title: str, body_fa: str, body_en: str) -> None:
    """Refuse a canned response without a title or Persian text, or whose texts name a
    placeholder it is not given (or write one malformed)."""
    errors: dict[str, list[ValidationError]] = {}
    if not title.strip():
        errors["title"] = [ValidationError(CANNED_TITLE_MESSAGE, code=CommonErrorCode.EMPTY)]
    if not body_fa.strip():
        errors["body_fa"] = [ValidationError(CANNED_BODY_MESSAGE, code=CommonErrorCode.EMPTY)]
    for field, text in (("body_fa", body_fa), ("body_en", body_en)):
        found = message_rules.placeholder_errors(text, CANNED_PLACEHOLDERS)
        if found:
            errors.setdefault(field, []).extend(found)
    if errors:
        raise ValidationError(errors)


# --- ratings (CSAT) -----------------------------------------------------------------------

RATING_SCORES = (1, 2, 3, 4, 5)
RATING_LABELS = {
    1: _("Very dissatisfied"),
    2: _("Dissatisfied"),
    3: _("Neither"),
    4: _("Satisfied"),
    5: _("Very satisfied"),
}
RATING_SCORE_MESSAGE = _("Choose a rating from 1 to 5.")
RATING_NOT_ASKED_MESSAGE = _("This complaint is not waiting for a rating.")
RATING_DONE_MESSAGE = _("This complaint is already rated; thank you.")
RATING_EXPIRED_MESSAGE = _("The time to rate this complaint has passed.")
RATING_COMMENT_MAX = 1000


def rating_days() -> datetime.timedelta:
    """How long a closed complaint's rating request stays open (COMPLAINT_RATING_DAYS)."""
    return datetime.timedelta(days=int(rule_value("COMPLAINT_RATING_DAYS")))


def read_score(text: object) -> int | None:
    """A rating as typed: one digit 1-5, Persian, Arabic-Indic or Latin, spaces around it
    allowed; None for anything else."""
    digits = normalize_digits(str(text if text is not None else "")).strip()
    if len(digits) == 1 and digits.isascii() and digits.isdigit() and int(digits) in RATING_SCORES:
        return int(digits)
    return None


def rating_label(score: int) -> str:
    return str(RATING_LABELS.get(score, score))


def canned_values(complaint, *, officer_name: str, language: str = "fa") -> dict[str, str]:
    """The values a canned response is filled with, formatted for the language: codes
    grouped in local digits, the answer's due day in the Jalali calendar in Persian."""
    claim = complaint.claim
    with translation.override(language):
        return {
            "complaint_number": message_rules.format_tracking_code(
                complaint.tracking_code, language=language
            ),
            "complainant_name": complaint.complainant_name,
            "claim_tracking_code": (
                message_rules.format_tracking_code(claim.tracking_code, language=language)
                if claim is not None
                else "—"
            ),
            "topic": topic_label(complaint.ticket.queue),
            "due_date": message_rules.format_day(complaint.due_at, language=language),
            "officer_name": officer_name,
        }


RATING_TOKEN_SALT = "meter_service.complaint-rating"


def rating_token(rating_id: int, asked_at: datetime.datetime) -> str:
    """The rating link's token: the rating's id and an HMAC of it and when it was asked
    (signed with the site's secret key), short enough for an SMS. It expires with the
    request (rating_days after asked_at), which the service checks."""
    mac = salted_hmac(RATING_TOKEN_SALT, f"{rating_id}:{asked_at.isoformat()}", algorithm="sha256")
    return f"{_base36(rating_id)}-{mac.hexdigest()[:16]}"


def rating_token_id(token: str) -> int | None:
    """The rating id a token names (not yet checked against its signature)."""
    head, _sep, mac = (token or "").partition("-")
    if not head or len(mac) != 16 or len(head) > 12:
        return None
    try:
        return int(head, 36)
    except ValueError:
        return None


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out
