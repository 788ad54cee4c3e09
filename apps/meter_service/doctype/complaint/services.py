"""Actions on complaints; the portal, the desk, the API and the jobs all call these.

A complaint is a django-helpdesk ticket (queue = topic) with a Complaint row beside it. Each
action writes the helpdesk way: a FollowUp for what was said or done (public ones are the
conversation the subscriber sees) and a TicketChange for each field it changed, so the
ticket's history reads the same whoever acted. Messages to the complainant (SMS and email)
and to staff (email) go out by jobs after the commit, never inside the request.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from helpdesk.models import FollowUp, FollowUpAttachment, Queue, Ticket

from apps.meter_service import permissions
from apps.meter_service.audit.events import record_event
from apps.meter_service.core import identifiers, tracking, uploads
from apps.meter_service.core.display import local_digits, person_name
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint import events, rules
from apps.meter_service.doctype.complaint.error_codes import ComplaintErrorCode
from apps.meter_service.doctype.complaint.events import ComplaintEvents
from apps.meter_service.doctype.complaint.mail_threads import complaint_mail_headers
from apps.meter_service.doctype.complaint.models import (
    CannedResponse,
    Complaint,
    ComplaintChannel,
    ComplaintRating,
    RatingChannel,
)
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.custom_field.services import custom_values_clean
from apps.meter_service.doctype.notification import rules as message_rules
from apps.meter_service.doctype.notification.services import (
    EventOccurrence,
    new_occurrence,
    notification_dispatch,
)
from apps.meter_service.doctype.outbox.services import enqueue
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.sla.calendar import add_working_seconds
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.permissions import Role, has_role

logger = logging.getLogger("meter_service.complaints")

QUEUES_FIXTURE = "0004_complaint_queues.json"
QUEUE_MODEL = "helpdesk.queue"
OFFICER_ROLES = (Role.COMPLAINTS_OFFICER, Role.SERVICE_MANAGER)
OUTSIDE_CHANNELS = frozenset({ComplaintChannel.PORTAL, ComplaintChannel.NATIONAL_SYSTEM})


# --- topics --------------------------------------------------------------------------------


def complaint_queues_ensure_defaults(*, path: Path | str | None = None) -> list[str]:
    """Create the shipped topic queues that are missing; return their slugs.

    A queue that exists keeps whatever staff set on it (its owner, say), as with the message
    templates: running load_fixtures again never undoes the desk's changes.
    """
    path = Path(path) if path else Path(settings.FIXTURE_DIRS[0]) / QUEUES_FIXTURE
    rows = json.loads(path.read_text(encoding="utf-8"))
    created = []
    with transaction.atomic():
        existing = set(Queue.objects.values_list("slug", flat=True))
        for row in rows:
            fields = row["fields"]
            if row.get("model") != QUEUE_MODEL or fields["slug"] in existing:
                continue
            Queue.objects.create(
                title=fields["title"],
                slug=fields["slug"],
                allow_public_submission=fields.get("allow_public_submission", True),
                allow_email_submission=False,
                locale="fa",
            )
            created.append(fields["slug"])
    return created


@transaction.atomic
def complaint_topic_save(
    *,
    actor: Actor,
    topic: Queue | None = None,
    title: str,
    slug: str = "",
    default_owner: User | None = None,
    allow_public_submission: bool = True,
) -> Queue:
    """Add a topic (a helpdesk queue) or change one; the slug is fixed once it exists.

    A default owner gets every new complaint of the topic, so it must be a complaints
    officer or a service manager. Topics never take complaints by email here.
    """

    creating = topic is None
    if default_owner is not None and not (
        default_owner.is_active and has_role(default_owner, *OFFICER_ROLES)
    ):
        raise ValidationError(
            {
                "default_owner": ValidationError(
                    rules.ASSIGNEE_MESSAGE,
                    code=ComplaintErrorCode.NOT_AN_OFFICER,
                    params={"user": person_name(default_owner)},
                )
            }
        )
    if topic is None:
        topic = Queue(slug=slug, locale="fa", allow_email_submission=False)
    before = {
        "title": topic.title,
        "default_owner": topic.default_owner_id,
        "allow_public_submission": topic.allow_public_submission,
    }
    topic.title = _clean_text(title, "title")
    topic.default_owner = default_owner
    topic.allow_public_submission = bool(allow_public_submission)
    topic.full_clean()
    topic.save()
    after = {
        "title": topic.title,
        "default_owner": topic.default_owner_id,
        "allow_public_submission": topic.allow_public_submission,
    }
    record_event(
        document=topic,
        event_type=ComplaintEvents.COMPLAINT_TOPIC_CREATED
        if creating
        else ComplaintEvents.COMPLAINT_TOPIC_CHANGED,
        actor=actor,
        parameters={
            "slug": topic.slug,
            "changed": {k: [before[k], v] for k, v in after.items() if before[k] != v},
        },
    )
    return topic


# --- helpers -------------------------------------------------------------------------------


def _clean_text(text: str, field: str = "text") -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            {field: ValidationError(rules.EMPTY_TEXT_MESSAGE, code=CommonErrorCode.EMPTY)}
        )
    return text


def _due_after(start: datetime.datetime) -> datetime.datetime:
    return add_working_seconds(start, rules.sla_seconds())


def _follow_up(
    ticket: Ticket,
    *,
    title: str,
    comment: str = "",
    public: bool,
    user: Actor = None,
    new_status: int | None = None,
    now: datetime.datetime,
) -> FollowUp:
    follow_up = FollowUp(
        ticket=ticket,
        date=now,
        title=title[:200],
        comment=comment,
        public=public,
        user=user if isinstance(user, User) else None,  # a signed-in user, not anonymous
        new_status=new_status,
    )
    follow_up.save()
    return follow_up


def _record_change(follow_up: FollowUp, field: str, old: object, new: object) -> None:
    follow_up.ticketchange_set.create(field=field, old_value=str(old), new_value=str(new))


def _set_status(ticket: Ticket, follow_up: FollowUp, new_status: int) -> None:
    if ticket.status == new_status:
        return
    with translation.override(settings.LANGUAGE_CODE):
        _record_change(
            follow_up,
            _("Status"),
            rules.status_label(ticket.status),
            rules.status_label(new_status),
        )
    ticket.status = new_status
    follow_up.new_status = new_status
    follow_up.save(update_fields=["new_status"])


def _attach(follow_up: FollowUp, files: list[tuple[UploadedFile, str]]) -> None:
    """Store attachments checked by _check_attachments, with the type read from them."""
    for uploaded, mime_type in files:
        shown_name = Path(uploaded.name or "").name[:1000]
        FollowUpAttachment.objects.create(
            followup=follow_up,
            file=uploads.rename(uploaded, mime_type),
            filename=shown_name,
            mime_type=mime_type,
            size=uploaded.size,
        )


def _check_attachments(files: Iterable[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Check every attachment before anything is written; return (file, content type)s."""
    checked = []
    for uploaded in files:
        head = uploaded.read(16)
        uploaded.seek(0)
        assert uploaded.size is not None  # Django sets the size of every upload
        content_type = rules.check_attachment(head=head, size=uploaded.size)
        try:
            uploads.check_image(uploaded, content_type)
        except ValidationError as error:
            raise ValidationError({"attachment": error}) from error
        checked.append((uploaded, content_type))
    return checked


def _locked(complaint: Complaint) -> Complaint:
    """The complaint with its ticket, its row locked: only its row, since FOR UPDATE through
    the join would also lock the topic's queue and the assignee's user row, which every
    complaint of the topic or the assignee shares (MariaDB reads committed rows after it)."""
    Complaint.objects.select_for_update().filter(pk=complaint.pk).values_list("pk").get()
    return Complaint.objects.select_related("ticket", "ticket__queue", "ticket__assigned_to").get(
        pk=complaint.pk
    )


def officers_to_tell(complaint: Complaint) -> list[str]:
    """The assignee's email, else every complaints officer's."""
    assignee = complaint.ticket.assigned_to
    if assignee is not None and assignee.is_active and assignee.email:
        return [assignee.email]
    return _emails_of_roles([Role.COMPLAINTS_OFFICER])


def _emails_of_roles(roles: Iterable[str]) -> list[str]:
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=list(roles))
        .exclude(email="")
        .distinct()
        .order_by("username")
    )
    return list(users.values_list("email", flat=True))


def _tell_staff(complaint: Complaint, to: list[str], subject: str, body: str) -> None:
    if not to:
        logger.warning("no one to tell about a complaint", extra={"complaint": complaint.pk})
        return
    enqueue("send_email", subject=subject, body=body, to=to, queue="notifications")


def _staff_text(complaint: Complaint, headline: str, text: str = "") -> tuple[str, str]:
    """Subject and body of a staff email, in the site's language."""
    code = tracking.display(complaint.tracking_code)
    subject = _("Complaint %(code)s: %(headline)s") % {"code": code, "headline": headline}
    lines = [
        subject,
        _("Topic: %(topic)s") % {"topic": rules.topic_label(complaint.ticket.queue)},
        _("Title: %(title)s") % {"title": complaint.ticket.title},
    ]
    if complaint.claim is not None:
        lines.append(
            _("About claim: %(claim)s") % {"claim": tracking.display(complaint.claim.tracking_code)}
        )
    if text:
        lines += ["", text]
    return subject, "\n".join(lines)


def _notify_complainant(complaint: Complaint, event: str) -> None:
    enqueue(
        complaint_notify,
        complaint.pk,
        event,
        occurrence=new_occurrence(),
        queue="notifications",
    )


# --- filing --------------------------------------------------------------------------------


@transaction.atomic
def complaint_file(
    *,
    actor: Actor,
    channel: str,
    topic: Queue,
    title: str,
    description: str,
    subscriber: Subscriber | None = None,
    claim: Claim | None = None,
    complainant_name: str = "",
    contact_mobile: str = "",
    contact_email: str = "",
    agency: Agency | None = None,
    external_reference: str = "",
    attachments: Iterable[UploadedFile] = (),
    unmatched_names: Iterable[tuple[str, str]] = (),
    custom_fields: dict[str, Any] | None = None,
    now: datetime.datetime | None = None,
) -> Complaint:
    """File a complaint: a ticket in the topic's queue, assigned to the queue's owner.

    `custom_fields`: the complaint's custom values by key, checked against the active
    definitions (required ones included) when the door fills them (the API); None asks
    for none.

    `unmatched_names`: what a sending system named that matched no record (or disagreed),
    as ("subscription" or "claim", the number), kept for staff in an internal note.

    Everything is checked before anything is written. A claim given must be the
    subscriber's (a claim alone names its subscriber). The answer is due COMPLAINT_SLA_HOURS
    of working time later. A reference from the sending system is taken once: sending the
    same one again returns the complaint already filed.
    """
    now = now or timezone.now()
    if channel not in ComplaintChannel.values:
        raise ValidationError(
            {"channel": ValidationError(_("Choose a channel."), code=ComplaintErrorCode.CHANNEL)}
        )
    if channel in OUTSIDE_CHANNELS and not topic.allow_public_submission:
        # Topics kept for staff (not offered on the portal) take no outside complaints.
        raise ValidationError(
            {
                "topic": ValidationError(
                    rules.UNKNOWN_TOPIC_MESSAGE, code=CommonErrorCode.INVALID_CHOICE
                )
            }
        )
    if claim is not None:
        if subscriber is None:
            subscriber = claim.subscriber
        elif claim.subscriber_id != subscriber.pk:
            raise ValidationError(
                {
                    "claim": ValidationError(
                        rules.CLAIM_NOT_SUBSCRIBERS_MESSAGE,
                        code=ComplaintErrorCode.CLAIM_NOT_SUBSCRIBERS,
                        params={"code": tracking.display(claim.tracking_code)},
                    )
                }
            )
    reference = identifiers.normalize_digits((external_reference or "").strip()) or None
    if reference and agency is not None:
        earlier = Complaint.objects.filter(agency=agency, external_reference=reference).first()
        if earlier is not None:
            return earlier
    title = _clean_text(title, "title")
    description = _clean_text(description, "description")
    if channel == ComplaintChannel.PORTAL and subscriber is not None:
        _check_daily_limit(subscriber, now)
    if subscriber is not None:
        complainant_name = complainant_name.strip() or subscriber.name
        contact_mobile = contact_mobile or (claim.contact_mobile if claim else "")
        contact_mobile = contact_mobile or getattr(subscriber, "mobile", "")
    if contact_mobile:
        try:
            contact_mobile = identifiers.normalize_mobile(contact_mobile)
        except identifiers.IdentifierError as exc:
            raise ValidationError(
                {"contact_mobile": ValidationError(str(exc), code=ComplaintErrorCode.MOBILE)}
            ) from exc
    if not contact_mobile and not contact_email:
        raise ValidationError(
            {
                "contact_mobile": ValidationError(
                    rules.NO_CONTACT_MESSAGE, code=ComplaintErrorCode.NO_CONTACT
                )
            }
        )
    files = _check_attachments(attachments)
    custom_values = (
        custom_values_clean(target=CustomFieldTarget.COMPLAINT, values=custom_fields)
        if custom_fields is not None
        else {}
    )

    ticket = Ticket(
        title=title[:200],
        queue=topic,
        description=description,
        submitter_email=contact_email or None,
        assigned_to=topic.default_owner,
        status=rules.OPEN,
        priority=rules.DEFAULT_PRIORITY,
        due_date=_due_after(now),
        created=now,
    )
    ticket.save()
    complaint = Complaint(
        ticket=ticket,
        tracking_code=tracking.generate(),
        channel=channel,
        subscriber=subscriber,
        claim=claim,
        agency=agency,
        external_reference=reference,
        complainant_name=(complainant_name or "").strip()[:120],
        contact_mobile=contact_mobile,
        contact_email=contact_email,
        filed_by=actor if isinstance(actor, User) else None,  # a signed-in user, not anonymous
        filed_at=now,
        due_at=ticket.due_date,
        custom_fields=custom_values,
    )
    complaint.full_clean(exclude=["ticket", "subscriber", "claim", "agency", "filed_by"])
    # The same reference sent twice at once fails here on the unique constraint; the whole
    # filing rolls back and the API answers with the complaint the other request filed.
    complaint.save()
    with translation.override(settings.LANGUAGE_CODE):
        follow_up = _follow_up(
            ticket,
            title=_("Complaint filed"),
            comment=description,
            public=True,
            user=actor,
            new_status=rules.OPEN,
            now=now,
        )
    _attach(follow_up, files)
    unmatched_names = list(unmatched_names)
    if unmatched_names:
        with translation.override(settings.LANGUAGE_CODE):
            _follow_up(
                ticket,
                title=_("Named by the sending system, not found or not matching"),
                comment="\n".join(
                    (
                        _("Subscription number: %(number)s")
                        if kind == "subscription"
                        else _("Claim: %(number)s")
                    )
                    % {"number": number}
                    for kind, number in unmatched_names
                ),
                public=False,
                user=None,
                now=now,
            )
    events.complaint_event(
        complaint=complaint,
        event_type=ComplaintEvents.COMPLAINT_FILED,
        actor=actor,
        channel=channel,
        topic=topic.slug,
        claim=claim.tracking_code if claim else None,
    )
    _notify_complainant(complaint, message_rules.COMPLAINT_FILED)
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _staff_text(complaint, _("new complaint"), description)
    _tell_staff(complaint, officers_to_tell(complaint), subject, body)
    return complaint


# --- answering -----------------------------------------------------------------------------


@transaction.atomic
def complaint_answer(
    *,
    complaint: Complaint,
    actor: Actor,
    text: str,
    resolve: bool = False,
    public: bool = True,
    attachments: Iterable[UploadedFile] = (),
    now: datetime.datetime | None = None,
) -> FollowUp:
    """Staff write on a complaint: an answer the subscriber sees, or a private note.

    With `resolve` the answer resolves the complaint ("answered"): the SLA is met and the
    subscriber has COMPLAINT_AUTO_CLOSE_DAYS to reply, or it closes by itself.
    """
    now = now or timezone.now()
    complaint = _locked(complaint)
    ticket = complaint.ticket
    text = _clean_text(text)
    if not rules.may_reply(ticket.status):
        raise ValidationError(rules.CLOSED_MESSAGE, code=ComplaintErrorCode.COMPLAINT_CLOSED)
    if resolve and ticket.status not in rules.AWAITING_ANSWER:
        raise ValidationError(rules.NOT_RESOLVABLE_MESSAGE, code=ComplaintErrorCode.NOT_RESOLVABLE)
    files = _check_attachments(attachments)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Answer") if public else _("Internal note")
        follow_up = _follow_up(
            ticket, title=title, comment=text, public=public or resolve, user=actor, now=now
        )
        if resolve:
            _set_status(ticket, follow_up, rules.RESOLVED)
            ticket.resolution = text
    _attach(follow_up, files)
    fields = []
    if (public or resolve) and complaint.first_answered_at is None:
        complaint.first_answered_at = now
        fields.append("first_answered_at")
    if resolve:
        complaint.resolved_at = now
        fields.append("resolved_at")
    if ticket.assigned_to_id is None and isinstance(actor, User):
        # Whoever answers an unassigned complaint takes it.
        ticket.assigned_to = actor
        with translation.override(settings.LANGUAGE_CODE):
            _record_change(follow_up, _("Owner"), _("Unassigned"), actor.get_username())
    ticket.save()
    if fields:
        complaint.save(update_fields=fields)
    events.complaint_event(
        complaint=complaint,
        event_type=ComplaintEvents.COMPLAINT_RESOLVED
        if resolve
        else ComplaintEvents.COMPLAINT_ANSWERED,
        actor=actor,
        public=public or resolve,
    )
    if resolve:
        _notify_complainant(complaint, message_rules.COMPLAINT_RESOLVED)
    elif public:
        _notify_complainant(complaint, message_rules.COMPLAINT_ANSWERED)
    return follow_up


@transaction.atomic
def complaint_subscriber_reply(
    *,
    complaint: Complaint,
    actor: Actor,
    text: str,
    attachments: Iterable[UploadedFile] = (),
    now: datetime.datetime | None = None,
) -> FollowUp:
    """The complainant writes back. A reply to an answered complaint reopens it, with a new
    deadline; either way the assignee (else the complaints officers) is told by email."""
    now = now or timezone.now()
    complaint = _locked(complaint)
    ticket = complaint.ticket
    text = _clean_text(text)
    if not rules.may_reply(ticket.status):
        raise ValidationError(rules.CLOSED_MESSAGE, code=ComplaintErrorCode.COMPLAINT_CLOSED)
    files = _check_attachments(attachments)
    reopens = rules.reply_reopens(ticket.status)
    with translation.override(settings.LANGUAGE_CODE):
        follow_up = _follow_up(
            ticket, title=_("Subscriber's reply"), comment=text, public=True, user=actor, now=now
        )
        if reopens:
            _set_status(ticket, follow_up, rules.REOPENED)
    _attach(follow_up, files)
    if reopens:
        complaint.reopen_count += 1
        complaint.resolved_at = None
        complaint.escalated_at = None
        complaint.due_at = _due_after(now)
        ticket.due_date = complaint.due_at
        ticket.priority = rules.DEFAULT_PRIORITY
        complaint.save(update_fields=["reopen_count", "resolved_at", "escalated_at", "due_at"])
    ticket.save()
    events.complaint_event(
        complaint=complaint,
        event_type=ComplaintEvents.COMPLAINT_REOPENED
        if reopens
        else ComplaintEvents.COMPLAINT_REPLIED,
        actor=actor,
    )
    if reopens:
        _notify_complainant(complaint, message_rules.COMPLAINT_REOPENED)
    with translation.override(settings.LANGUAGE_CODE):
        headline = _("reopened by the subscriber") if reopens else _("the subscriber replied")
        subject, body = _staff_text(complaint, headline, text)
    _tell_staff(complaint, officers_to_tell(complaint), subject, body)
    return follow_up


@transaction.atomic
def complaint_assign(*, complaint: Complaint, actor: Actor, assignee: User | None) -> Complaint:
    """Give the complaint to a complaints officer or service manager (None: unassign)."""

    complaint = _locked(complaint)
    ticket = complaint.ticket
    if assignee is not None and not (assignee.is_active and has_role(assignee, *OFFICER_ROLES)):
        raise ValidationError(
            {
                "assignee": ValidationError(
                    rules.ASSIGNEE_MESSAGE,
                    code=ComplaintErrorCode.NOT_AN_OFFICER,
                    params={"user": person_name(assignee)},
                )
            }
        )
    if ticket.assigned_to_id == (assignee.pk if assignee else None):
        return complaint
    now = timezone.now()
    with translation.override(settings.LANGUAGE_CODE):
        old = ticket.assigned_to.get_username() if ticket.assigned_to else _("Unassigned")
        new = assignee.get_username() if assignee else _("Unassigned")
        follow_up = _follow_up(
            ticket,
            title=_("Assigned to %(user)s") % {"user": new},
            public=False,
            user=actor,
            now=now,
        )
        _record_change(follow_up, _("Owner"), old, new)
    ticket.assigned_to = assignee
    ticket.save()
    events.complaint_event(
        complaint=complaint,
        event_type=ComplaintEvents.COMPLAINT_ASSIGNED,
        actor=actor,
        assignee=new,
    )
    if assignee is not None and assignee.email and assignee != actor:
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = _staff_text(complaint, _("assigned to you"), ticket.description)
        _tell_staff(complaint, [assignee.email], subject, body)
    return complaint


@transaction.atomic
def complaint_close(
    *,
    complaint: Complaint,
    actor: Actor = None,
    text: str = "",
    now: datetime.datetime | None = None,
) -> Complaint:
    """Close a complaint; no more messages after this. `actor` None is the auto-close job."""
    now = now or timezone.now()
    complaint = _locked(complaint)
    ticket = complaint.ticket
    if ticket.status in (rules.CLOSED, rules.DUPLICATE):
        raise ValidationError(rules.NOT_CLOSABLE_MESSAGE, code=ComplaintErrorCode.ALREADY_CLOSED)
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Closed") if actor is not None else _("Closed: no reply from the subscriber")
        follow_up = _follow_up(
            ticket, title=title, comment=(text or "").strip(), public=True, user=actor, now=now
        )
        _set_status(ticket, follow_up, rules.CLOSED)
    if text and not ticket.resolution:
        ticket.resolution = text.strip()
    ticket.save()
    complaint.closed_at = now
    complaint.save(update_fields=["closed_at"])
    events.complaint_event(
        complaint=complaint, event_type=ComplaintEvents.COMPLAINT_CLOSED, actor=actor
    )
    _notify_complainant(complaint, message_rules.COMPLAINT_CLOSED)
    _ask_rating(complaint, now)
    return complaint


# --- timers --------------------------------------------------------------------------------


def complaints_escalate_overdue(*, now: datetime.datetime | None = None) -> int:
    """Escalate every complaint awaiting an answer past its due time, once; return how many.

    The ticket's priority goes up, a private note records it, and COMPLAINT_ESCALATION_ROLES
    (and the assignee) are emailed.
    """
    now = now or timezone.now()
    due = Complaint.objects.filter(
        due_at__lte=now,
        escalated_at__isnull=True,
        ticket__status__in=list(rules.AWAITING_ANSWER),
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(due):
        with transaction.atomic():
            complaint = _locked(Complaint(pk=pk))
            ticket = complaint.ticket
            if (
                complaint.escalated_at is not None
                or complaint.due_at > now
                or ticket.status not in rules.AWAITING_ANSWER
            ):
                continue  # answered or reopened meanwhile
            complaint.escalated_at = now
            complaint.save(update_fields=["escalated_at"])
            with translation.override(settings.LANGUAGE_CODE):
                follow_up = _follow_up(
                    ticket, title=_("Escalated: not answered in time"), public=False, now=now
                )
                if ticket.priority > rules.ESCALATED_PRIORITY:
                    _record_change(
                        follow_up, _("Priority"), ticket.priority, rules.ESCALATED_PRIORITY
                    )
                    ticket.priority = rules.ESCALATED_PRIORITY
                ticket.last_escalation = now
                ticket.save()
                subject, body = _staff_text(
                    complaint, _("not answered in time"), ticket.description
                )
            events.complaint_event(
                complaint=complaint, event_type=ComplaintEvents.COMPLAINT_ESCALATED
            )
            to = sorted(
                set(_emails_of_roles(rules.escalation_roles())) | set(officers_to_tell(complaint))
            )
            _tell_staff(complaint, to, subject, body)
            count += 1
    return count


def complaints_close_resolved(*, now: datetime.datetime | None = None) -> int:
    """Close the answered complaints whose subscriber has not replied in time."""
    now = now or timezone.now()
    stale = Complaint.objects.filter(
        ticket__status=rules.RESOLVED, resolved_at__lte=now - rules.auto_close_after()
    ).values_list("pk", flat=True)
    count = 0
    for pk in list(stale):
        try:
            complaint_close(complaint=Complaint(pk=pk), actor=None, now=now)
        except ValidationError:
            continue
        count += 1
    return count


# --- messages ------------------------------------------------------------------------------


def _check_daily_limit(subscriber: Subscriber, now: datetime.datetime) -> None:
    """A subscriber files at most COMPLAINTS_PER_SUBSCRIBER_PER_DAY complaints on the portal
    in a local day (each one texts its complainant)."""
    limit = int(rule_value("COMPLAINTS_PER_SUBSCRIBER_PER_DAY"))
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    filed = Complaint.objects.filter(
        subscriber=subscriber, channel=ComplaintChannel.PORTAL, filed_at__gte=day_start
    ).count()
    if filed >= limit:
        raise ValidationError(
            rules.DAILY_LIMIT_MESSAGE,
            code=ComplaintErrorCode.COMPLAINTS_DAILY_LIMIT,
            params={"count": local_digits(limit)},
        )


def sms_mobile(complaint: Complaint) -> str:
    """Where a complaint's texts go. A number typed on the portal or through an agency is
    not texted unless staff filed the complaint: a subscriber's go to the mobile on record
    (their sign-in codes go there) or their claim's, so nobody can make the service text
    someone else."""
    mobile = complaint.contact_mobile
    subscriber = complaint.subscriber
    known = {
        subscriber.mobile if subscriber else "",
        getattr(complaint.claim, "contact_mobile", ""),
    }
    if subscriber is None or not subscriber.mobile or mobile in known:
        return mobile
    staff = complaint.filed_by is not None and permissions.is_company_staff(complaint.filed_by)
    return mobile if staff else subscriber.mobile


def complaint_notify(complaint_id: int, event: str, occurrence: str = "") -> None:
    """Send what the notification rules of a complaint's event say (a job): the shipped
    rules tell the complainant by SMS and email."""

    complaint = (
        Complaint.objects.select_related("ticket__queue", "claim", "subscriber", "filed_by")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Complaint %(code)s") % {"code": tracking.display(complaint.tracking_code)}
    values = rules.message_values(complaint, event)
    if event == message_rules.COMPLAINT_RATING_ASKED:
        rating = ComplaintRating.objects.filter(complaint=complaint).first()
        if rating is None or rating.rated_at is not None:
            return  # rated on the portal before the job ran: nothing to ask
        values["rating_link"] = rating_link(rating)
    # A job queued before the rules had no occurrence: it sends as a new one.
    occurrence = f"complaint:{complaint.pk}:{event}:{occurrence or new_occurrence()}"
    notification_dispatch(
        happened=EventOccurrence(
            event=event,
            occurrence=occurrence,
            values=values,
            facts={
                "topic": complaint.ticket.queue.slug,
                "about_claim": complaint.claim_id is not None,
                "has_email": bool(complaint.contact_email),
                "assigned": complaint.ticket.assigned_to_id is not None,
            },
            subscriber_mobile=sms_mobile(complaint),
            subscriber_email=complaint.contact_email,
            claim=complaint.claim,
            # The complaint's owner (the officer it is assigned to).
            assignee_id=complaint.ticket.assigned_to_id,
            subject=str(subject),
            # Its Message-ID threads the complainant's reply into the complaint (mail.py).
            subscriber_email_headers=complaint_mail_headers(
                complaint=complaint, occurrence=occurrence
            )
            if complaint.contact_email
            else None,
        )
    )


# Its effects are rows (the SMS and the email's outbox rows): one transaction with the job's
# "done" mark, so a re-run after a killed worker sends nothing twice.
complaint_notify.outbox_atomic = True  # type: ignore[attr-defined]
complaint_notify.outbox_lease_seconds = 120  # type: ignore[attr-defined]


# --- canned responses ----------------------------------------------------------------------

CANNED_FIXTURE = "0006_canned_responses.json"
CANNED_MODEL = "meter_service.cannedresponse"


def _canned_state(response: CannedResponse) -> dict[str, object]:
    return {
        "title": response.title,
        "body_fa": response.body_fa,
        "body_en": response.body_en,
        "topic": response.topic.slug if response.topic_id and response.topic else None,
        "is_active": response.is_active,
    }


@transaction.atomic
def canned_response_save(
    *,
    actor: Actor,
    response: CannedResponse | None = None,
    title: str,
    body_fa: str,
    body_en: str = "",
    topic: Queue | None = None,
    is_active: bool = True,
) -> CannedResponse:
    """Add a canned response or change one. Its texts may name only the placeholders
    rules.CANNED_PLACEHOLDERS lists: anything else is refused and nothing is written. Each
    save is in the audit trail with what changed."""
    title, body_fa = (title or "").strip(), (body_fa or "").strip()
    body_en = (body_en or "").strip()
    rules.check_canned_response(title=title, body_fa=body_fa, body_en=body_en)
    creating = response is None
    if response is None:
        response = CannedResponse()
    before = _canned_state(response) if not creating else {}
    response.title, response.body_fa, response.body_en = title, body_fa, body_en
    response.topic = topic
    response.is_active = bool(is_active)
    response.full_clean()
    response.save()
    after = _canned_state(response)
    record_event(
        document=response,
        event_type=ComplaintEvents.CANNED_RESPONSE_CREATED
        if creating
        else ComplaintEvents.CANNED_RESPONSE_CHANGED,
        actor=actor,
        parameters={
            "title": response.title,
            "changed": {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
        },
    )
    return response


def canned_responses_ensure_defaults(*, path: Path | str | None = None) -> list[str]:
    """Create the shipped canned responses that are missing (by title); return their titles.

    Checked like the desk's, and like loaddata not in the audit trail (shipped reference
    data, as the message templates). One staff changed or switched off stays as it is:
    load_fixtures never undoes the desk.
    """
    path = Path(path) if path else Path(settings.FIXTURE_DIRS[0]) / CANNED_FIXTURE
    rows = json.loads(path.read_text(encoding="utf-8"))
    created = []
    with transaction.atomic():
        existing = set(CannedResponse.objects.values_list("title", flat=True))
        topics = {queue.slug: queue for queue in Queue.objects.all()}
        for row in rows:
            fields = row["fields"]
            if row.get("model") != CANNED_MODEL or fields["title"] in existing:
                continue
            response = CannedResponse(
                title=fields["title"],
                body_fa=fields["body_fa"],
                body_en=fields.get("body_en", ""),
                topic=topics.get(fields.get("topic") or ""),
                is_active=fields.get("is_active", True),
            )
            response.full_clean()
            response.save()
            created.append(fields["title"])
    return created


def canned_response_render(
    *,
    response: CannedResponse,
    complaint: Complaint,
    officer: User | None,
    language: str = "fa",
) -> str:
    """The canned response's text (English when asked and written, else Persian) with its
    placeholders filled from the complaint and the officer answering: the one place a
    canned response is rendered, for the desk page and anything after it."""
    text = response.body_en if language.startswith("en") and response.body_en else response.body_fa
    values = rules.canned_values(
        complaint, officer_name=person_name(officer) if officer else "", language=language
    )
    try:
        return message_rules.render(text, values)
    except (KeyError, ValueError, IndexError):
        # Checked at save; a row written around the service shows as it is, to be fixed.
        logger.warning("canned response does not render", extra={"canned": response.pk})
        return text


# --- ratings (CSAT) ------------------------------------------------------------------------


def _ask_rating(complaint: Complaint, now: datetime.datetime) -> None:
    """Ask the complainant of a complaint just closed to rate it (once a complaint)."""
    _rating, created = ComplaintRating.objects.get_or_create(
        complaint=complaint, defaults={"mobile": sms_mobile(complaint), "asked_at": now}
    )
    if created:
        _notify_complainant(complaint, message_rules.COMPLAINT_RATING_ASKED)


def rating_link(rating: ComplaintRating) -> str:
    """The signed link that rates the complaint without signing in (in the SMS)."""
    path = reverse(
        "portal:complaint_rate_link", args=[rules.rating_token(rating.pk, rating.asked_at)]
    )
    base = getattr(settings, "METER_PUBLIC_URL", "")
    return urljoin(base.rstrip("/") + "/", path.lstrip("/")) if base else path


@transaction.atomic
def complaint_rate(
    *,
    complaint: Complaint,
    actor: Actor,
    score: object,
    channel: str,
    comment: str = "",
    now: datetime.datetime | None = None,
) -> ComplaintRating:
    """Record the complainant's rating (1-5, Persian or Latin digit) of a closed complaint,
    with an optional comment, once, within COMPLAINT_RATING_DAYS of its closing."""
    now = now or timezone.now()
    value = rules.read_score(score)
    if value is None:
        raise ValidationError(
            {
                "score": ValidationError(
                    rules.RATING_SCORE_MESSAGE, code=ComplaintErrorCode.RATING_SCORE
                )
            }
        )
    if channel not in RatingChannel.values:
        raise ValidationError(
            {"channel": ValidationError(_("Choose a channel."), code=ComplaintErrorCode.CHANNEL)}
        )
    comment = (comment or "").strip()
    if len(comment) > rules.RATING_COMMENT_MAX:
        raise ValidationError(
            {
                "comment": ValidationError(
                    _("Write at most %(count)s characters."),
                    code=CommonErrorCode.TOO_LARGE,
                    params={"count": local_digits(rules.RATING_COMMENT_MAX)},
                )
            }
        )
    rating = ComplaintRating.objects.select_for_update().filter(complaint_id=complaint.pk).first()
    if rating is None:
        raise ValidationError(
            rules.RATING_NOT_ASKED_MESSAGE, code=ComplaintErrorCode.RATING_NOT_ASKED
        )
    if rating.rated_at is not None:
        raise ValidationError(rules.RATING_DONE_MESSAGE, code=ComplaintErrorCode.RATING_DONE)
    if now > rating.asked_at + rules.rating_days():
        raise ValidationError(rules.RATING_EXPIRED_MESSAGE, code=ComplaintErrorCode.RATING_EXPIRED)
    rating.score, rating.comment, rating.channel, rating.rated_at = value, comment, channel, now
    rating.save(update_fields=["score", "comment", "channel", "rated_at"])
    events.complaint_event(
        complaint=complaint,
        event_type=ComplaintEvents.COMPLAINT_RATED,
        actor=actor,
        score=value,
        channel=channel,
    )
    return rating


def complaint_rating_from_sms(mobile: str, text: str) -> dict[str, str] | None:
    """Take a text to the short code as a rating when it is one digit 1-5 and its mobile was
    asked to rate a complaint that waits for it (the latest, if several); return the
    answer's values, or None to leave the text to the other readers (a tracking code is
    never one digit). Registered with the inbound SMS in apps.py."""
    score = rules.read_score(text)
    if score is None or not mobile:
        return None
    since = timezone.now() - rules.rating_days()
    rating = (
        ComplaintRating.objects.filter(mobile=mobile, rated_at__isnull=True, asked_at__gte=since)
        .select_related("complaint")
        .order_by("-asked_at", "-id")
        .first()
    )
    if rating is None:
        return None
    try:
        complaint_rate(
            complaint=rating.complaint, actor=None, score=score, channel=RatingChannel.SMS
        )
    except ValidationError:
        return None  # rated meanwhile: answered as any other text
    return {
        "complaint_code": message_rules.format_tracking_code(
            rating.complaint.tracking_code, language="fa"
        ),
        "rating": message_rules.format_number(score, language="fa"),
    }
