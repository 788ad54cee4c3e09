"""Rules of message templates: which placeholders a message may use, and how values look.

Pure functions: no queries, no writes.
"""

from __future__ import annotations

import datetime
import logging
import string
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import expressions, identifiers
from apps.meter_service.core.display import code_text, format_rial, local_digits
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.claim.models import FeeOutcome
from apps.meter_service.doctype.claim.selectors import fee_refund_rial, verdict_label
from apps.meter_service.doctype.notification.error_codes import NotificationErrorCode

CLAIM_FILED = "claim_filed"
# A claim whose fee is charged to the next gas bill: no payment deadline to name.
CLAIM_FILED_NEXT_BILL = "claim_filed_next_bill"
CLAIM_PAID = "claim_paid"
CLAIM_EXPIRED = "claim_expired"
CLAIM_NO_ACCESS = "claim_no_access"
VISIT_SCHEDULED = "visit_scheduled"
# The technician could not reach the meter: the subscriber must give access by a deadline.
ACCESS_NEEDED = "access_needed"
TEST_RESULT = "test_result"
METER_REPLACED = "meter_replaced"
CORRECTION_APPROVED = "correction_approved"
CLAIM_CLOSED = "claim_closed"
# A claim's deadline is near (the process's SLA watch): for staff rules.
SLA_AT_RISK = "sla_at_risk"
OTP_CODE = "otp_code"
COMPLAINT_FILED = "complaint_filed"
COMPLAINT_ANSWERED = "complaint_answered"
COMPLAINT_RESOLVED = "complaint_resolved"
COMPLAINT_REOPENED = "complaint_reopened"
COMPLAINT_CLOSED = "complaint_closed"
# A complaint closed: its complainant is asked to rate it (CSAT), by a link or a reply.
COMPLAINT_RATING_ASKED = "complaint_rating_asked"
# A clerk changed a subscription's mobile: the old number is told.
MOBILE_CHANGED = "subscriber_mobile_changed"
# Answers to texts sent to the short code (inbound SMS).
INBOUND_STATUS = "inbound_status"
INBOUND_HELP = "inbound_help"
INBOUND_UNKNOWN_CODE = "inbound_unknown_code"
INBOUND_MALFORMED = "inbound_malformed"
INBOUND_RATING = "inbound_rating"

# The values each message is given; a template may use these and no others.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    CLAIM_FILED: frozenset({"tracking_code", "amount", "date", "pay_by"}),
    CLAIM_FILED_NEXT_BILL: frozenset({"tracking_code", "amount", "date"}),
    CLAIM_PAID: frozenset({"tracking_code", "amount", "date"}),
    CLAIM_EXPIRED: frozenset({"tracking_code", "amount", "date"}),
    CLAIM_NO_ACCESS: frozenset({"tracking_code", "date"}),
    VISIT_SCHEDULED: frozenset({"tracking_code", "date", "visit_time"}),
    # {date} of access_needed is the last day to give access.
    ACCESS_NEEDED: frozenset({"tracking_code", "date"}),
    TEST_RESULT: frozenset({"tracking_code", "date", "verdict", "error_percent", "result"}),
    METER_REPLACED: frozenset({"tracking_code", "date", "new_serial"}),
    CORRECTION_APPROVED: frozenset({"tracking_code", "date", "correction_amount", "correction"}),
    CLAIM_CLOSED: frozenset(
        {"tracking_code", "date", "outcome", "correction_amount", "fee_refund", "settlement"}
    ),
    SLA_AT_RISK: frozenset({"tracking_code", "date"}),
    OTP_CODE: frozenset({"code", "minutes"}),
    COMPLAINT_FILED: frozenset({"complaint_code", "topic", "due", "date"}),
    COMPLAINT_ANSWERED: frozenset({"complaint_code", "topic", "date"}),
    # {date} of a resolved complaint is the last day a reply reopens it.
    COMPLAINT_RESOLVED: frozenset({"complaint_code", "topic", "date"}),
    COMPLAINT_REOPENED: frozenset({"complaint_code", "topic", "due", "date"}),
    COMPLAINT_CLOSED: frozenset({"complaint_code", "topic", "date"}),
    COMPLAINT_RATING_ASKED: frozenset({"complaint_code", "topic", "date", "rating_link"}),
    # {new_mobile_end}: the new number's last four digits, never the number.
    MOBILE_CHANGED: frozenset({"subscription_number", "new_mobile_end", "date"}),
    # {status} and {step} in words, {date} the Jalali day of the last step: nothing personal.
    INBOUND_STATUS: frozenset({"tracking_code", "status", "step", "date"}),
    INBOUND_HELP: frozenset({"short_code"}),
    INBOUND_UNKNOWN_CODE: frozenset({"tracking_code", "short_code"}),
    INBOUND_MALFORMED: frozenset({"short_code"}),
    INBOUND_RATING: frozenset({"complaint_code", "rating"}),
}
# What each message is, as staff read it in the desk (the keys are codes).
TEMPLATE_LABELS = {
    CLAIM_FILED: _("Claim filed"),
    CLAIM_PAID: _("Claim paid"),
    CLAIM_EXPIRED: _("Claim expired unpaid"),
    CLAIM_NO_ACCESS: _("No access to the meter"),
    VISIT_SCHEDULED: _("Test visit scheduled"),
    CLAIM_CLOSED: _("Claim closed"),
    OTP_CODE: _("Sign-in code"),
    COMPLAINT_FILED: _("Complaint filed"),
    COMPLAINT_ANSWERED: _("Complaint answered"),
    COMPLAINT_RESOLVED: _("Complaint resolved"),
    COMPLAINT_REOPENED: _("Complaint reopened"),
    COMPLAINT_CLOSED: _("Complaint closed"),
    COMPLAINT_RATING_ASKED: _("Complaint closed: rating asked"),
    MOBILE_CHANGED: _("Subscription's mobile changed (to the old number)"),
    INBOUND_STATUS: _("Answer by SMS: a claim's status"),
    INBOUND_HELP: _("Answer by SMS: help"),
    INBOUND_UNKNOWN_CODE: _("Answer by SMS: unknown tracking code"),
    INBOUND_MALFORMED: _("Answer by SMS: text not understood"),
    INBOUND_RATING: _("Answer by SMS: a complaint's rating recorded"),
}


# What a subscriber may text for the service's steps (compared after casefold and trim).
HELP_WORDS = frozenset({"help", "راهنما", "کمک", "?", "؟"})


def inbound_intent(text: str) -> tuple[str, str]:
    """Read a text sent to the short code: ("help", ""), ("code", digits) for a well-formed
    tracking code, or ("malformed", "") for anything else (letters, a wrong length or
    check digit). Persian, Arabic-Indic and Latin digits, dashes and spaces are all read."""
    words = (text or "").strip().casefold()
    # Arabic keyboards type ي and ك for the Persian ی and ک.
    words = words.replace("\u064a", "\u06cc").replace("\u0643", "\u06a9")
    if words in HELP_WORDS:
        return "help", ""
    digits = identifiers.clean_digits(words)  # spaces, dashes and marks dropped
    if digits.isascii() and digits.isdigit() and identifiers.is_valid_tracking_code(digits):
        return "code", digits
    return "malformed", ""


def template_label(key: str) -> str:
    """Return a message's label; a key the code does not know shows as it is."""
    if key in TEMPLATE_LABELS:
        return str(TEMPLATE_LABELS[key])
    return str(RULE_EVENTS[key]) if key in RULE_EVENTS else key


# A template for a key the code does not know yet may use any value some message is given.
ANY_PLACEHOLDER = frozenset().union(*PLACEHOLDERS.values())

# Messages that must stay on: without them nobody can sign in to the portal.
ALWAYS_ACTIVE = frozenset({OTP_CODE})

UNKNOWN_PLACEHOLDER_MESSAGE = _(
    "Unknown placeholder {%(name)s}. This message may use: %(allowed)s."
)
BAD_PLACEHOLDER_MESSAGE = _(
    "Write each placeholder as a bare name in braces, such as {code}, with no format or dots."
)
UNMATCHED_BRACE_MESSAGE = _(
    "The text has an unmatched brace; write {{ or }} for a brace that is not a placeholder."
)
ALWAYS_ACTIVE_MESSAGE = _(
    "The sign-in code message cannot be turned off: subscribers could not sign in."
)


def allowed_placeholders(key: str) -> frozenset[str]:
    """Return the placeholders a template with this key may use."""
    return PLACEHOLDERS.get(key, ANY_PLACEHOLDER)


def _placeholder_errors(text: str, allowed: frozenset[str]) -> list[ValidationError]:
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return [
            ValidationError(UNMATCHED_BRACE_MESSAGE, code=NotificationErrorCode.UNMATCHED_BRACE)
        ]
    errors = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            errors.append(
                ValidationError(BAD_PLACEHOLDER_MESSAGE, code=NotificationErrorCode.BAD_PLACEHOLDER)
            )
        elif name not in allowed:
            errors.append(
                ValidationError(
                    UNKNOWN_PLACEHOLDER_MESSAGE,
                    code=NotificationErrorCode.UNKNOWN_PLACEHOLDER,
                    params={
                        "name": name,
                        "allowed": ", ".join(f"{{{p}}}" for p in sorted(allowed)),
                    },
                )
            )
    return errors


def placeholder_errors(text: str, allowed: frozenset[str]) -> list[ValidationError]:
    """The errors of a text's placeholders against the allowed names (for other texts with
    placeholders, such as the complaints' canned responses)."""
    return _placeholder_errors(text, allowed)


def check_template(*, key: str, body_fa: str, body_en: str, is_active: bool) -> None:
    """Refuse a template whose texts use placeholders its message is not given."""
    allowed = allowed_placeholders(key)
    errors: dict[str, list[ValidationError]] = {}
    for field, text in (("body_fa", body_fa), ("body_en", body_en)):
        found = _placeholder_errors(text, allowed)
        if found:
            errors.setdefault(field, []).extend(found)
    if key in ALWAYS_ACTIVE and not is_active:
        errors["is_active"] = [
            ValidationError(ALWAYS_ACTIVE_MESSAGE, code=NotificationErrorCode.ALWAYS_ACTIVE)
        ]
    if errors:
        raise ValidationError(errors)


def render(text: str, values: dict[str, str]) -> str:
    """Fill a validated template text with already formatted values."""
    return text.format_map(values)


# --- how values look in a message ---------------------------------------------------------


def _is_persian(language: str) -> bool:
    return language.startswith("fa")


def format_number(value: int | str, *, language: str) -> str:
    """Show digits as Persian digits in Persian, unchanged otherwise."""
    return local_digits(value, language=language)


def format_amount(value: int, *, language: str) -> str:
    """Show an integer Rial amount with thousands separators: ۱٬۵۰۰٬۰۰۰ or 1,500,000."""
    return format_rial(value, language=language)


def format_tracking_code(code: str, *, language: str) -> str:
    """Group a tracking code for reading aloud, ۱۲۳-۴۵۶-۷۸۹۰, in a left-to-right isolate so
    that a Persian sentence keeps its groups in order."""
    return code_text(code, language=language)


def format_day(value: datetime.date | datetime.datetime | None, *, language: str) -> str:
    """Show a date as the language shows it: Jalali with Persian digits, or ISO."""
    with translation.override(language):
        return format_date(value)


def format_decimal(value: float | int | str, *, language: str, sign: bool = False) -> str:
    """Show a figure with at most two decimals (and its sign if asked): +۴٫۲ or +4.2."""
    text = f"{float(value):{'+' if sign else ''}.2f}".rstrip("0").rstrip(".")
    if _is_persian(language):
        return to_persian_digits(text.replace(".", "\u066b"))
    return text


def format_percent(value: float | int | str, *, language: str) -> str:
    """Show a measured error with its sign: +۴٫۲ or +4.2."""
    return format_decimal(value, language=language, sign=True)


def _moment(value: str | None) -> datetime.datetime | datetime.date | None:
    """Read an ISO date or date-time handed over by the process (None when absent)."""
    if not value:
        return None
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return None


def _test_result(facts: dict, *, language: str) -> str:
    verdict = verdict_label(str(facts.get("verdict") or ""))
    error, mpe = facts.get("error_percent"), facts.get("mpe")
    if error is None or facts.get("stopped") or facts.get("tampered"):
        return verdict
    if mpe is None:
        return _("%(verdict)s (measured error %(error)s%%)") % {
            "verdict": verdict,
            "error": format_percent(error, language=language),
        }
    return _("%(verdict)s (measured error %(error)s%%, allowed ±%(mpe)s%%)") % {
        "verdict": verdict,
        "error": format_percent(error, language=language),
        "mpe": format_decimal(mpe, language=language),
    }


def correction_text(correction_rial: int, *, language: str) -> str:
    """Say what a bill correction does to the subscriber: a credit, a charge or nothing.

    A negative correction is a credit to the subscriber (the meter ran fast).
    """
    amount = format_amount(abs(int(correction_rial)), language=language)
    if correction_rial < 0:
        return _("a credit of %(amount)s Rial on your gas bill") % {"amount": amount}
    if correction_rial > 0:
        return _("%(amount)s Rial added to your gas bill") % {"amount": amount}
    return str(_("no change to your gas bills"))


def _settlement(claim, *, language: str) -> str:
    """The closing message's figures, one line each; empty when there is nothing to say."""

    lines = []
    correction = (claim.findings or {}).get("correction_rial")
    if correction:
        lines.append(
            _("Bill correction: %(correction)s.")
            % {"correction": correction_text(int(correction), language=language)}
        )
    damage = (claim.findings or {}).get("damage_rial")
    if damage:
        lines.append(
            _("Damage charge: %(amount)s Rial added to your gas bill.")
            % {"amount": format_amount(int(damage), language=language)}
        )
    refund = format_amount(fee_refund_rial(claim), language=language)
    if claim.fee_outcome == FeeOutcome.REFUND:
        lines.append(_("Test fee refunded: %(amount)s Rial.") % {"amount": refund})
    elif claim.fee_outcome == FeeOutcome.WAIVE:
        lines.append(
            _("Test fee waived: %(amount)s Rial taken off your gas bill.") % {"amount": refund}
        )
    return "".join(f"\n{line}" for line in lines)


def claim_values(
    claim, event: str, *, language: str = "fa", facts: dict | None = None
) -> dict[str, str]:
    """Return the values a claim's message is given, formatted for the language.

    `date` is the day of the event: filing, payment, or for an expired claim the last day
    it could be paid; for access_needed the last day to give access. `facts` are what the
    process knew at the step (verdict, error, new serial, correction, deadline), as JSON.
    """
    facts = facts or {}
    at = _moment(facts.get("at"))
    day = {
        CLAIM_PAID: lambda: claim.paid_at,
        CLAIM_EXPIRED: lambda: claim.expires_at or claim.closed_at,
        CLAIM_NO_ACCESS: lambda: claim.closed_at,
        VISIT_SCHEDULED: lambda: claim.test_visit_date,
        CLAIM_CLOSED: lambda: claim.closed_at,
        ACCESS_NEEDED: lambda: _moment(facts.get("access_by")),
        TEST_RESULT: lambda: at,
        METER_REPLACED: lambda: at,
        CORRECTION_APPROVED: lambda: at,
        SLA_AT_RISK: lambda: at,
    }.get(event, lambda: claim.filed_at)()
    values = {
        "tracking_code": format_tracking_code(claim.tracking_code, language=language),
        "amount": format_amount(claim.total_fee, language=language),
        "date": format_day(day, language=language),
        "pay_by": format_day(_moment(facts.get("pay_by")) or claim.expires_at, language=language),
    }
    # The process's messages name the visit time, the verdict or the outcome, in the
    # message's language.
    with translation.override(language):
        if event == VISIT_SCHEDULED:
            values["visit_time"] = str(claim.get_test_visit_time_display())
        if event == TEST_RESULT:
            error = facts.get("error_percent")
            values["verdict"] = verdict_label(str(facts.get("verdict") or ""))
            values["error_percent"] = (
                format_percent(error, language=language) if error is not None else "—"
            )
            values["result"] = str(_test_result(facts, language=language))
        if event == METER_REPLACED:
            values["new_serial"] = str(facts.get("new_serial") or "")
        if event == CORRECTION_APPROVED:
            correction = int(facts.get("correction_rial") or 0)
            values["correction_amount"] = format_amount(abs(correction), language=language)
            values["correction"] = str(correction_text(correction, language=language))
        if event == CLAIM_CLOSED:
            correction = int((claim.findings or {}).get("correction_rial") or 0)
            values["outcome"] = str(claim.get_outcome_display())
            values["correction_amount"] = format_amount(abs(correction), language=language)
            values["fee_refund"] = format_amount(fee_refund_rial(claim), language=language)
            values["settlement"] = str(_settlement(claim, language=language))
    return values


def otp_values(*, code: str, ttl_seconds: int, language: str = "fa") -> dict[str, str]:
    """Return the values of the sign-in code message."""
    minutes = max(1, -(-int(ttl_seconds) // 60))
    return {
        "code": format_number(code, language=language),
        "minutes": format_number(minutes, language=language),
    }


logger = logging.getLogger("meter_service.notifications")

# --- notification rules: what a process event sends, to whom, when -------------------------

# The process events a notification rule may react to, as staff read them in the desk.
RULE_EVENTS: dict[str, Any] = {
    CLAIM_FILED: _("Claim filed (fee to pay online or at a counter)"),
    CLAIM_FILED_NEXT_BILL: _("Claim filed (fee on the next gas bill)"),
    CLAIM_PAID: _("Claim paid"),
    CLAIM_EXPIRED: _("Claim expired unpaid"),
    CLAIM_NO_ACCESS: _("Claim ended: no access to the meter"),
    VISIT_SCHEDULED: _("Test visit scheduled"),
    ACCESS_NEEDED: _("Access to the meter needed"),
    TEST_RESULT: _("Meter tested, with its verdict"),
    METER_REPLACED: _("Meter replaced"),
    CORRECTION_APPROVED: _("Bill correction approved"),
    CLAIM_CLOSED: _("Claim closed"),
    SLA_AT_RISK: _("Claim's deadline (SLA) at risk"),
    COMPLAINT_FILED: _("Complaint filed"),
    COMPLAINT_ANSWERED: _("Complaint answered"),
    COMPLAINT_RESOLVED: _("Complaint resolved"),
    COMPLAINT_REOPENED: _("Complaint reopened"),
    COMPLAINT_CLOSED: _("Complaint closed"),
    COMPLAINT_RATING_ASKED: _("Complaint closed: rating asked"),
}
COMPLAINT_EVENTS = frozenset(
    {
        COMPLAINT_FILED,
        COMPLAINT_ANSWERED,
        COMPLAINT_RESOLVED,
        COMPLAINT_REOPENED,
        COMPLAINT_CLOSED,
        COMPLAINT_RATING_ASKED,
    }
)
CLAIM_EVENTS = frozenset(RULE_EVENTS) - COMPLAINT_EVENTS

# The facts a rule's condition may read at each event (missing ones are None at sending).
CLAIM_FACTS = frozenset(
    {
        "status",
        "channel",
        "reason",
        "customer_type",
        "payment_method",
        "total_fee",
        "outcome",
        "fee_outcome",
        "by_staff",
    }
)
EVENT_FACTS: dict[str, frozenset[str]] = {
    CLAIM_FILED: frozenset({"pay_by"}),
    ACCESS_NEEDED: frozenset({"access_by"}),
    TEST_RESULT: frozenset({"verdict", "error_percent", "mpe", "stopped", "tampered"}),
    METER_REPLACED: frozenset({"new_serial"}),
    CORRECTION_APPROVED: frozenset({"correction_rial"}),
    CLAIM_CLOSED: frozenset({"correction_rial"}),
}
COMPLAINT_FACTS = frozenset({"topic", "about_claim", "has_email", "assigned"})


def condition_facts(event: str) -> frozenset[str]:
    """The names a rule's condition may read at `event`."""
    if event in COMPLAINT_EVENTS:
        return COMPLAINT_FACTS
    return CLAIM_FACTS | EVENT_FACTS.get(event, frozenset())


def rule_event_label(event: str) -> str:
    """An event's name as staff read it; an event the code does not know shows as it is."""
    return str(RULE_EVENTS[event]) if event in RULE_EVENTS else event


def normalize_condition(text: str) -> str:
    """Trim a condition and make its Persian and Arabic-Indic digits Latin, outside quoted
    text (a quoted value is compared as written)."""
    out, quote = [], ""
    for char in (text or "").strip():
        if quote:
            quote = "" if char == quote else quote
            out.append(char)
            continue
        if char in "'\"":
            quote = char
        out.append(identifiers.normalize_digits(char))
    return "".join(out)


RECIPIENT_SUBSCRIBER = "subscriber"
RECIPIENT_ROLE = "role"
RECIPIENT_ASSIGNEE = "assignee"

NO_CHANNEL_MESSAGE = _("Choose at least one way to send: SMS, email or both.")
NO_ROLE_MESSAGE = _("Choose the role whose staff are told.")
ROLE_NOT_WANTED_MESSAGE = _("A role is chosen only when the recipients are a role's staff.")
STAFF_SMS_MESSAGE = _(
    "Staff have no mobile on record: send staff an email (the SMS goes to subscribers only)."
)
BAD_CONDITION_MESSAGE = _("The condition is not allowed: %(error)s.")
UNKNOWN_FACT_MESSAGE = _(
    "The condition reads %(name)s, which this event does not give; it gives: %(allowed)s."
)
BODY_FA_REQUIRED_MESSAGE = _("Write the Persian text of the message.")


def check_rule(
    *,
    event: str,
    send_sms: bool,
    send_email: bool,
    recipients: str,
    role: str,
    condition: str,
    body_fa: str,
    body_en: str,
) -> None:
    """Refuse a rule that could not send: no channel, a role missing or not wanted, SMS to
    staff, a condition outside the language or reading facts its event does not give, or a
    text with placeholders its event is not given."""
    errors: dict[str, list[ValidationError]] = {}

    def add(field: str, message: Any, code: str, **params: str) -> None:
        errors.setdefault(field, []).append(
            ValidationError(message, code=code, params=params or None)
        )

    if not send_sms and not send_email:
        add("send_sms", NO_CHANNEL_MESSAGE, NotificationErrorCode.RULE_NO_CHANNEL)
    if recipients == RECIPIENT_ROLE and not role:
        add("role", NO_ROLE_MESSAGE, NotificationErrorCode.RULE_ROLE)
    if recipients != RECIPIENT_ROLE and role:
        add("role", ROLE_NOT_WANTED_MESSAGE, NotificationErrorCode.RULE_ROLE)
    if recipients != RECIPIENT_SUBSCRIBER and send_sms:
        add("send_sms", STAFF_SMS_MESSAGE, NotificationErrorCode.RULE_STAFF_SMS)
    if condition:
        try:
            used = expressions.names(condition)
        except expressions.ExpressionError as exc:
            add(
                "condition",
                BAD_CONDITION_MESSAGE,
                NotificationErrorCode.RULE_CONDITION,
                error=str(exc),
            )
        else:
            allowed = condition_facts(event)
            for name in sorted(used - allowed):
                add(
                    "condition",
                    UNKNOWN_FACT_MESSAGE,
                    NotificationErrorCode.RULE_CONDITION,
                    name=name,
                    allowed=", ".join(sorted(allowed)),
                )
    if not body_fa.strip():
        add("body_fa", BODY_FA_REQUIRED_MESSAGE, NotificationErrorCode.RULE_TEXT)
    allowed_values = PLACEHOLDERS.get(event, frozenset())
    for field, text in (("body_fa", body_fa), ("body_en", body_en)):
        for error in _placeholder_errors(text, allowed_values):
            errors.setdefault(field, []).append(error)
    if errors:
        raise ValidationError(errors)


# What evaluating a checked condition over an event's facts may raise (None compared with a
# number, a missing key): the rule then does not send.
CONDITION_FAILURES = (
    expressions.ExpressionError,
    ArithmeticError,
    LookupError,
    NameError,
    TypeError,
    ValueError,
)


def condition_holds(condition: str, facts: dict[str, Any]) -> bool:
    """Whether a rule's condition holds over the event's facts (an empty one always does).
    A condition that fails to evaluate (a comparison of None with a number, say) does not
    hold: the rule sends nothing rather than something wrong."""
    if not condition:
        return True
    try:
        return bool(expressions.evaluate(condition, facts))
    except CONDITION_FAILURES as exc:
        logger.warning("notification condition failed", extra={"error": type(exc).__name__})
        return False
