"""Rules of complaints: topics, statuses, who may do what when, and the answer deadline.

Pure functions apart from reading settings: no queries, no writes.
"""

from __future__ import annotations

import datetime

from django.utils import translation
from django.utils.translation import gettext_lazy as _
from helpdesk.models import Ticket

from apps.meter_service.core import uploads
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
    from django.core.exceptions import ValidationError

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
