"""Sending SMS: message templates, the log of messages, and delivery through the provider.

A message is logged by `sms_send()` inside the caller's transaction together with the promise
of its delivery, an outbox row keyed by the message (doctype/outbox): the job `sms_deliver`
runs once that commits, on the "notifications" queue, so no request waits on the provider.
Delivery claims the row (status "sending") before calling the provider and writes the outcome
afterwards, so a row is sent at most once even when two workers pick it up, and no database
lock is held during the HTTP call; the provider de-duplicates the message's local id as well.
Transient failures are retried by the outbox with backoff over hours (OUTBOX_RETRY_*); the
message is failed with the reason when they are spent.

A site that names no SMS provider (no "sms" in site_config.json) holds its messages: they stay
queued, marked HELD_NOTE, with no try counted and no retry, until a provider is configured;
then `sms_release_held()` (the periodic job sms_send_held, or `manage.py sms_send_held`)
hands them to the provider.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service import privacy
from apps.meter_service.audit.events import changed_fields
from apps.meter_service.core import identifiers
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.notification import events, rules, selectors
from apps.meter_service.doctype.notification.error_codes import NotificationErrorCode
from apps.meter_service.doctype.notification.models import (
    MessageTemplate,
    NotificationDispatch,
    NotificationRule,
    Recipients,
    SmsMessage,
    SmsStatus,
)
from apps.meter_service.doctype.outbox import services as outbox
from apps.meter_service.doctype.outbox.models import OutboxJob
from apps.meter_service.doctype.outbox.services import PermanentError, enqueue
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.integrations.sms import adapter

logger = logging.getLogger("meter_service.notifications")

QUEUE = "notifications"
DEFAULTS_FIXTURE = "0002_message_templates.json"
TEMPLATE_MODEL = "meter_service.messagetemplate"
EDITABLE_TEMPLATE_FIELDS = ("body_fa", "body_en", "is_active")
MASK = "•"

# Claim events that happen once in a claim's life: a job run twice must not text twice.
ONCE_PER_CLAIM = frozenset(
    {
        rules.CLAIM_FILED,
        rules.CLAIM_FILED_NEXT_BILL,
        rules.CLAIM_PAID,
        rules.CLAIM_EXPIRED,
        rules.CLAIM_NO_ACCESS,
        rules.TEST_RESULT,
        rules.METER_REPLACED,
        rules.CORRECTION_APPROVED,
        rules.CLAIM_CLOSED,
    }
)

# Why a queued message has not gone out: the site names no SMS provider.
HELD_NOTE = "held: no SMS provider is configured"

# A "sending" row older than the provider's time-out plus this was left by a crashed worker.
STALE_SENDING_GRACE = datetime.timedelta(seconds=60)

NOT_RETRYABLE_MESSAGE = _("Only a failed message can be sent again.")
MASKED_MESSAGE = _(
    "This message held a sign-in code and cannot be sent again; the subscriber can ask for a "
    "new code."
)


# --- message templates --------------------------------------------------------------------


@transaction.atomic
def _template_save_new(*, key: str, body_fa: str, body_en: str, is_active: bool) -> MessageTemplate:
    template = MessageTemplate(key=key, body_fa=body_fa, body_en=body_en, is_active=is_active)
    template.full_clean()
    template.save()
    return template


@transaction.atomic
def message_template_create(
    *,
    key: str,
    body_fa: str,
    body_en: str = "",
    is_active: bool = True,
    actor: Actor = None,
) -> MessageTemplate:
    """Create a message template after checking its placeholders."""
    template = _template_save_new(key=key, body_fa=body_fa, body_en=body_en, is_active=is_active)
    events.message_template_created_event(template=template, actor=actor)
    return template


@transaction.atomic
def message_template_update(
    *, template: MessageTemplate, actor: Actor = None, **fields: Any
) -> MessageTemplate:
    """Change a template's texts or switch it on or off (its key stays)."""
    unknown = set(fields) - set(EDITABLE_TEMPLATE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    template = MessageTemplate.objects.select_for_update().get(pk=template.pk)
    changes = _save_changes(template, fields)
    if changes:
        events.message_template_updated_event(template=template, actor=actor, changes=changes)
    return template


def _save_changes(document: Any, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `fields` on a locked row; when any changed, check and save only those (and
    updated_at). Return the changes, as the audit trail records them."""
    before = {name: getattr(document, name) for name in fields}
    for name, value in fields.items():
        setattr(document, name, value)
    changes = changed_fields(document, before)
    if changes:
        document.full_clean()
        document.save(update_fields=[*changes, "updated_at"])
    return changes


def message_templates_ensure_defaults(*, path: Path | str | None = None) -> list[str]:
    """Create the shipped templates that are missing; return their keys.

    The texts come from fixtures/0002_message_templates.json. A template that exists is left
    as it is, whatever its text, so running this again (load_fixtures on every deploy) never
    undoes what staff wrote in the desk; a key added to the file later is created. Like the
    other fixtures, the shipped texts leave no audit rows; staff edits do.
    """
    path = Path(path) if path else Path(settings.FIXTURE_DIRS[0]) / DEFAULTS_FIXTURE
    rows = json.loads(path.read_text(encoding="utf-8"))
    created = []
    with transaction.atomic():
        existing = set(MessageTemplate.objects.values_list("key", flat=True))
        for row in rows:
            if row.get("model") != TEMPLATE_MODEL or row["fields"]["key"] in existing:
                continue
            fields = row["fields"]
            _template_save_new(
                key=fields["key"],
                body_fa=fields["body_fa"],
                body_en=fields.get("body_en", ""),
                is_active=fields.get("is_active", True),
            )
            created.append(fields["key"])
    # The shipped rules send these texts: they come with them.
    notification_rules_ensure_defaults()
    return created


def message_render(*, key: str, values: dict[str, str], language: str = "fa") -> str | None:
    """Return the text of message `key` filled with values, or None when it is not sent.

    English falls back to the Persian text when the template has none.
    """
    template = selectors.active_template(key=key)
    if template is None:
        logger.warning("no active message template", extra={"template": key})
        return None
    text = template.body_fa if language.startswith("fa") else template.body_en or template.body_fa
    try:
        return rules.render(text, values)
    except (KeyError, IndexError, ValueError):
        # A template for a key the code does not know may name values this message lacks.
        logger.error("message template needs values it was not given", extra={"template": key})
        return None


# --- sending ------------------------------------------------------------------------------


def _config() -> dict[str, Any]:
    return adapter.sms_config()


def sms_outbox_key(message: SmsMessage) -> str:
    """The idempotency key of a message's delivery: one outbox row per message."""
    return f"sms:{message.local_id}"


def _lease_seconds(config: dict[str, Any]) -> int:
    """How long one try may hold the message: the provider's time-out and a margin, after
    which a "sending" row counts as left by a dead worker."""
    return int(float(config["TIMEOUT"]) + STALE_SENDING_GRACE.total_seconds()) + 30


def _enqueue(message: SmsMessage, body: str | None) -> None:
    """Promise the delivery in the current transaction (an outbox row keyed by the message);
    an unmasked text travels with the first hand-over only, never in the database."""
    enqueue(
        "sms_deliver",
        message.pk,
        queue=QUEUE,
        key=sms_outbox_key(message),
        lease_seconds=_lease_seconds(_config()),
        sms=message,
        transient={"body": body} if body is not None else None,
    )


@transaction.atomic
def sms_send(
    *,
    to: str,
    body: str,
    template_key: str = "",
    claim: Claim | None = None,
    redact: Sequence[str] = (),
) -> SmsMessage:
    """Log a text message to one mobile and promise its delivery in the same transaction.

    Each value in `redact` (a sign-in code, as it appears in the text) is masked in the stored
    text; the real text then travels only with the job and never reaches the database.
    """
    # A number that does not normalise is kept as typed: full_clean() below reports it.
    with contextlib.suppress(identifiers.IdentifierError):
        to = identifiers.normalize_mobile(to)
    stored = body
    for secret in redact:
        if secret:
            stored = stored.replace(secret, MASK * len(secret))
    message = SmsMessage(
        to=to,
        body=stored,
        redacted=stored != body,
        template_key=template_key,
        claim=claim,
    )
    message.full_clean(exclude=["claim"])
    if _over_hourly_limit(to):
        # Nobody's mobile is bombed through the service: logged, never sent.
        message.status = SmsStatus.FAILED
        message.last_error = "not sent: too many texts to this mobile in the last hour"
        message.save()
        logger.warning("sms over the hourly limit", extra={"sms": message.pk})
        return message
    message.save()
    _enqueue(message, body if message.redacted else None)
    return message


def _over_hourly_limit(to: str) -> bool:
    limit = int(rule_value("SMS_PER_MOBILE_PER_HOUR"))
    since = timezone.now() - datetime.timedelta(hours=1)
    return SmsMessage.objects.filter(to=to, created_at__gte=since).count() >= limit


def _start_attempt(message_id: int, config: dict[str, Any]) -> SmsMessage | None:
    """Claim the message for one try; None when it is sent, failed or being sent elsewhere."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status in (SmsStatus.SENT, SmsStatus.FAILED):
            return None
        now = timezone.now()
        if message.status == SmsStatus.SENDING and message.last_attempt_at is not None:
            busy_for = datetime.timedelta(seconds=float(config["TIMEOUT"])) + STALE_SENDING_GRACE
            if now - message.last_attempt_at < busy_for:
                return None  # another worker is on it
        message.status = SmsStatus.SENDING
        message.attempts += 1
        message.last_attempt_at = now
        message.save(update_fields=["status", "attempts", "last_attempt_at"])
        return message


def _finish(
    message: SmsMessage, status: str, *, error: str = "", provider_message_id: str = ""
) -> SmsMessage:
    fields = ["status"]
    message.status = status
    if error:
        message.last_error = error[:2000]
        fields.append("last_error")
    if provider_message_id:
        message.provider_message_id = provider_message_id[:64]
        fields.append("provider_message_id")
    if status == SmsStatus.SENT:
        message.sent_at = timezone.now()
        fields.append("sent_at")
    with transaction.atomic():
        message.save(update_fields=fields)
    log = logger.info if status == SmsStatus.SENT else logger.warning
    log(
        "sms %s",
        status,
        extra={"sms": message.pk, "template": message.template_key, "attempts": message.attempts},
    )
    return message


class SmsBusy(Exception):
    """Another run is sending this message now: try again later (the outbox backs off)."""

    retryable = True


def sms_deliver(*, message_id: int, body: str | None = None) -> SmsMessage | None:
    """Make one try at handing a logged message to the provider; mark it sent or failed.

    `body` is the unmasked text of a message whose stored text is masked. The message's own
    state is checked first (a sent one is never sent again, even by a re-run of its job) and
    the provider de-duplicates its local id, so a try after a lost answer or a killed worker
    texts once. A transient failure leaves it queued and raises: the outbox retries with
    backoff and marks it failed when the retries are spent. A refusal marks it failed and
    raises an error the outbox does not retry. Call from the job, never inside a request.
    """

    config = _config()
    if not adapter.sms_configured(config):
        return _hold(message_id)
    message = _start_attempt(message_id, config)
    if message is None:
        current = SmsMessage.objects.filter(pk=message_id).first()
        if current is not None and current.status == SmsStatus.SENDING:
            raise SmsBusy("the message is being sent by another worker")
        return current
    if message.redacted and body is None:
        _finish(message, SmsStatus.FAILED, error=MASKED_NOT_KEPT)
        raise PermanentError(MASKED_NOT_KEPT)
    try:
        receipt = adapter.send_sms(
            to=message.to,
            body=message.body if body is None else body,
            local_id=message.local_id,
        )
    except adapter.SmsTransientError as exc:
        _finish(message, SmsStatus.QUEUED, error=str(exc))
        raise
    except adapter.SmsError as exc:
        _finish(message, SmsStatus.FAILED, error=str(exc))
        raise
    except Exception as exc:
        # Whether the provider took it is unknown: left to staff, never tried by itself.
        error = f"unexpected error: {type(exc).__name__}"
        _finish(message, SmsStatus.FAILED, error=error)
        raise PermanentError(error) from exc
    return _finish(message, SmsStatus.SENT, provider_message_id=receipt.message_id)


MASKED_NOT_KEPT = "masked text: not available to send"


def _hold(message_id: int) -> SmsMessage | None:
    """Keep a queued message for when a provider is configured: no try, no retry, no error."""
    with transaction.atomic():
        message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
        if message is None or message.status != SmsStatus.QUEUED:
            return message
        if message.last_error != HELD_NOTE:
            message.last_error = HELD_NOTE
            message.save(update_fields=["last_error"])
    logger.warning("sms held: no provider configured", extra={"sms": message.pk})
    return message


def sms_held_count() -> int:
    """How many messages wait for an SMS provider to be configured."""
    return SmsMessage.objects.filter(status=SmsStatus.QUEUED, last_error=HELD_NOTE).count()


def sms_release_held() -> int:
    """Hand the held messages to the provider, once one is configured; return how many.

    A held message whose text is masked (a sign-in code) cannot be sent any more: its job
    marks it failed, and the subscriber asks for a new code.
    """
    if not adapter.sms_configured():
        return 0
    released = 0
    for message_id in SmsMessage.objects.filter(
        status=SmsStatus.QUEUED, last_error=HELD_NOTE
    ).values_list("pk", flat=True):
        with transaction.atomic():
            message = SmsMessage.objects.select_for_update().filter(pk=message_id).first()
            if message is None or message.status != SmsStatus.QUEUED:
                continue
            if message.last_error != HELD_NOTE:
                continue
            message.last_error = ""
            message.save(update_fields=["last_error"])
            _enqueue(message, None)
        released += 1
    return released


@transaction.atomic
def sms_retry(*, message: SmsMessage, actor: Actor = None) -> SmsMessage:
    """Queue one failed message again (after the provider's credit is topped up, say)."""
    message = SmsMessage.objects.select_for_update().get(pk=message.pk)
    if message.status != SmsStatus.FAILED:
        raise ValidationError(NOT_RETRYABLE_MESSAGE, code=NotificationErrorCode.SMS_NOT_FAILED)
    if message.redacted:
        raise ValidationError(MASKED_MESSAGE, code=NotificationErrorCode.SMS_MASKED)
    sms_resend(messages=[message], actor=actor)
    message.refresh_from_db()
    return message


def sms_resend(*, messages: Sequence[SmsMessage], actor: Actor = None) -> outbox.Requeued:
    """Queue again what can be of these messages (the desk's re-send); return an
    outbox Requeued: how many went back on the queue, and why each other one did not.

    A message with a delivery row is re-sent through it (failed, waiting, or left running by
    a dead worker); one without (refused over the hourly limit, or logged before the outbox)
    gets one. Sent messages, sign-in codes (their text is not kept) and messages being sent
    now are skipped.
    """

    result = outbox.Requeued()
    for message in messages:
        row_id = (
            OutboxJob.objects.filter(key=sms_outbox_key(message)).values_list("pk", flat=True)
        ).first()
        if row_id is not None:
            done = outbox.outbox_requeue(job_ids=[row_id], actor=actor)
            result.requeued += done.requeued
            for reason, count in done.skipped.items():
                result.skipped[reason] = result.skipped.get(reason, 0) + count
            continue
        with transaction.atomic():
            message = SmsMessage.objects.select_for_update().get(pk=message.pk)
            if message.status == SmsStatus.SENT:
                result.skip(outbox.SKIP_SMS_SENT)
                continue
            if message.redacted:
                result.skip(outbox.SKIP_MASKED)
                continue
            message.status = SmsStatus.QUEUED
            message.save(update_fields=["status"])
            events.sms_retried_event(message=message, actor=actor)
            _enqueue(message, None)
        result.requeued += 1
    return result


def sms_requeue_check(row: OutboxJob, actor: Actor) -> str | None:
    """The outbox asks before queuing a row again: an SMS already sent, or one whose text
    was not kept (a sign-in code), is not sent again; a failed one goes back in line."""

    if row.sms_id is None:
        return None
    message = SmsMessage.objects.select_for_update().get(pk=row.sms_id)
    if message.status == SmsStatus.SENT:
        return outbox.SKIP_SMS_SENT
    if message.redacted:
        return outbox.SKIP_MASKED
    if message.status == SmsStatus.FAILED:
        message.status = SmsStatus.QUEUED
        message.save(update_fields=["status"])
        events.sms_retried_event(message=message, actor=actor)
    return None


def sms_give_up(row: OutboxJob, reason: str) -> None:
    """The outbox gave up on a row: its SMS, unless sent meanwhile, has failed."""
    if row.sms_id is not None:
        SmsMessage.objects.filter(pk=row.sms_id).exclude(status=SmsStatus.SENT).update(
            status=SmsStatus.FAILED, last_error=reason
        )


def sms_tell_old_mobile(*, subscriber: Subscriber, old_mobile: str) -> SmsMessage | None:
    """Text the old number that the subscription's mobile changed. The new number is shown
    by its last four digits only: the old number may be a former holder's, or the change an
    intruder's, and neither should learn the new one."""
    language = settings.LANGUAGE_CODE
    body = message_render(
        key=rules.MOBILE_CHANGED,
        language=language,
        values={
            "subscription_number": rules.format_number(
                subscriber.subscription_number, language=language
            ),
            "new_mobile_end": rules.format_number(
                privacy.mobile_ending(subscriber.mobile), language=language
            ),
            "date": rules.format_day(timezone.now(), language=language),
        },
    )
    if body is None:
        return None
    return sms_send(to=old_mobile, body=body, template_key=rules.MOBILE_CHANGED)


# --- notification rules -------------------------------------------------------------------

RULES_FIXTURE = "0005_notification_rules.json"
RULE_MODEL = "meter_service.notificationrule"
EDITABLE_RULE_FIELDS = (
    "name",
    "event",
    "send_sms",
    "send_email",
    "recipients",
    "role",
    "condition",
    "body_fa",
    "body_en",
    "is_active",
)


def _rule_fields(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE_RULE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if "condition" in fields:
        fields = {**fields, "condition": rules.normalize_condition(fields["condition"] or "")}
    return fields


@transaction.atomic
def notification_rule_create(*, actor: Actor = None, **fields: Any) -> NotificationRule:
    """Add a rule after checking its channels, recipients, condition and texts."""
    rule = NotificationRule(**_rule_fields(fields))
    rule.full_clean()
    rule.save()
    events.notification_rule_created_event(rule=rule, actor=actor)
    return rule


@transaction.atomic
def notification_rule_update(
    *, rule: NotificationRule, actor: Actor = None, **fields: Any
) -> NotificationRule:
    """Change a rule; a shipped rule keeps its message (its text is the template's)."""
    fields = _rule_fields(fields)
    rule = NotificationRule.objects.select_for_update().get(pk=rule.pk)
    changes = _save_changes(rule, fields)
    if changes:
        events.notification_rule_updated_event(rule=rule, actor=actor, changes=changes)
    return rule


def notification_rules_ensure_defaults(*, path: Path | str | None = None) -> list[str]:
    """Create the shipped rules that are missing (by their message key); return the keys.

    The shipped rules (fixtures/0005_notification_rules.json) send what a subscriber hears
    about their claim and complaint, each with its message template's text. A rule that
    exists is left as staff set it (switched off, say), as with the templates."""
    path = Path(path) if path else Path(settings.FIXTURE_DIRS[0]) / RULES_FIXTURE
    rows = json.loads(path.read_text(encoding="utf-8"))
    created = []
    with transaction.atomic():
        existing = set(
            NotificationRule.objects.exclude(message_key="").values_list("message_key", flat=True)
        )
        for row in rows:
            fields = row["fields"]
            if row.get("model") != RULE_MODEL or fields["message_key"] in existing:
                continue
            rule = NotificationRule(**fields)
            rule.full_clean()
            rule.save()
            created.append(fields["message_key"])
    return created


@dataclass(frozen=True)
class EventOccurrence:
    """One occurrence of a process event, as the rules see it.

    `occurrence` names it (a retried job carries the same name, so it sends once); `values`
    fill the texts' placeholders; `facts` are what conditions read; the subscriber's mobile
    and email, the staff member who did the step, and the email's subject complete it."""

    event: str
    occurrence: str
    values: dict[str, str]
    facts: dict[str, Any]
    subscriber_mobile: str = ""
    subscriber_email: str = ""
    claim: Claim | None = None
    assignee_id: int | None = None
    subject: str = ""
    # Headers of the email to the subscriber (a complaint's Message-ID and Reply-To).
    subscriber_email_headers: dict[str, str] | None = None


def _rule_text(rule: NotificationRule, values: dict[str, str], language: str) -> str | None:
    if rule.message_key:
        return message_render(key=rule.message_key, values=values, language=language)
    text = rule.body_fa if language.startswith("fa") else rule.body_en or rule.body_fa
    try:
        return rules.render(text, values)
    except (KeyError, IndexError, ValueError):
        logger.error("notification rule needs values it was not given", extra={"rule": rule.pk})
        return None


def _staff_emails(rule: NotificationRule, happened: EventOccurrence) -> list[str]:
    users = User.objects.filter(is_active=True).exclude(email="")
    if rule.recipients == Recipients.ROLE:
        users = users.filter(groups__name=rule.role)
    elif happened.assignee_id is not None:
        users = users.filter(pk=happened.assignee_id)
    else:
        return []
    return sorted(set(users.values_list("email", flat=True)))


def _send_rule(rule: NotificationRule, happened: EventOccurrence, body: str) -> SmsMessage | None:
    sms = None
    if rule.recipients == Recipients.SUBSCRIBER:
        if rule.send_sms and happened.subscriber_mobile:
            sms = sms_send(
                to=happened.subscriber_mobile,
                body=body,
                template_key=happened.event,
                claim=happened.claim,
            )
        emails = [happened.subscriber_email] if happened.subscriber_email else []
    else:
        emails = _staff_emails(rule, happened)
    if rule.send_email and emails:
        headers: dict[str, Any] = (
            {"headers": happened.subscriber_email_headers}
            if rule.recipients == Recipients.SUBSCRIBER and happened.subscriber_email_headers
            else {}
        )
        # Its own outbox row: the caller's transaction holds no mail server's wait.
        enqueue(
            "send_email",
            subject=happened.subject or rules.rule_event_label(happened.event),
            body=body,
            to=emails,
            queue=QUEUE,
            **headers,
        )
    return sms


def notification_dispatch(*, happened: EventOccurrence) -> list[SmsMessage]:
    """Send what the active rules of the event say, each once per occurrence; return the
    SMS of this occurrence (sent now or by an earlier run of the same job).

    Runs in a job after the event's transaction committed. A rule whose condition does not
    hold, or whose message template is switched off, sends nothing."""
    language = settings.LANGUAGE_CODE
    found: list[SmsMessage] = []
    for rule in NotificationRule.objects.filter(event=happened.event, is_active=True).order_by(
        "pk"
    ):
        done = NotificationDispatch.objects.filter(
            rule=rule, occurrence=happened.occurrence
        ).first()
        if done is not None:
            if done.sms is not None:
                found.append(done.sms)
            continue
        if not rules.condition_holds(rule.condition, happened.facts):
            continue
        body = _rule_text(rule, happened.values, language)
        if body is None:
            continue
        sms = _send_rule(rule, happened, body)
        NotificationDispatch.objects.create(rule=rule, occurrence=happened.occurrence, sms=sms)
        if sms is not None:
            found.append(sms)
    return found


def new_occurrence() -> str:
    """A name for one occurrence of an event, carried by its job's arguments."""
    return uuid.uuid4().hex


# --- what the events of a claim send ------------------------------------------------------


def _claim_facts(claim: Claim, event: str, facts: dict[str, Any]) -> dict[str, Any]:
    known: dict[str, Any] = dict.fromkeys(rules.condition_facts(event))
    known.update({name: facts.get(name) for name in rules.EVENT_FACTS.get(event, ())})
    known.update(
        status=claim.status,
        channel=claim.channel,
        reason=claim.reason,
        customer_type=claim.customer_type,
        payment_method=claim.payment_method,
        total_fee=claim.total_fee,
        outcome=claim.outcome,
        fee_outcome=claim.fee_outcome,
        by_staff=facts.get("actor_id") is not None,
    )
    if event == rules.CLAIM_CLOSED:
        known["correction_rial"] = int((claim.findings or {}).get("correction_rial") or 0)
    return known


def notify_claim(*, claim_id: int, event: str, facts: dict | None = None) -> SmsMessage | None:
    """Send what the notification rules of a claim's event say; return the subscriber's SMS
    (None when the event sends none).

    Runs as a job after the claim's transaction commits. The shipped rules text the claim's
    contact mobile the Persian template of the event, with Persian digits, the amount in
    Rial with separators and the tracking code grouped for reading aloud. `facts` are what
    the process knew at the step that caused the event (a verdict, a new serial, a
    correction, a deadline; see rules.claim_values), its occurrence and who did it.
    """
    facts = facts or {}
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None:
        logger.warning("claim to notify not found", extra={"claim": claim_id, "event": event})
        return None
    if event in ONCE_PER_CLAIM:
        occurrence = f"claim:{claim.pk}:{event}"
        # Sent before the rules kept their own record (a job queued before the upgrade).
        earlier = selectors.sms_for_claim(claim=claim).filter(template_key=event).first()
        if (
            earlier is not None
            and not NotificationDispatch.objects.filter(occurrence=occurrence).exists()
        ):
            return earlier
    else:
        occurrence = f"claim:{claim.pk}:{event}:{facts.get('occurrence') or new_occurrence()}"
    sent = notification_dispatch(
        happened=EventOccurrence(
            event=event,
            occurrence=occurrence,
            values=rules.claim_values(claim, event, language=settings.LANGUAGE_CODE, facts=facts),
            facts=_claim_facts(claim, event, facts),
            subscriber_mobile=claim.contact_mobile,
            claim=claim,
            assignee_id=facts.get("actor_id"),
            subject=f"{rules.rule_event_label(event)}: {claim.tracking_code}",
        )
    )
    return sent[0] if sent else None
