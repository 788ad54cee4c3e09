"""Complaints in the subscriber portal: file one, follow it, reply. Views are thin: the
complaint services do every change and the selectors every read (404 for others' ones)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST
from helpdesk.models import FollowUpAttachment

from apps.meter_service import files
from apps.meter_service.core import tracking
from apps.meter_service.core.display import local_digits
from apps.meter_service.doctype.claim.selectors import claim_list, with_display
from apps.meter_service.doctype.complaint import rules, selectors, services
from apps.meter_service.doctype.complaint.models import Complaint, ComplaintChannel
from apps.meter_service.doctype.knowledge_article import selectors as article_selectors
from apps.meter_service.doctype.subscriber.selectors import subscriber_list
from apps.meter_service.portal import faq
from apps.meter_service.portal.forms import ComplaintForm, ComplaintReplyForm
from apps.meter_service.portal.ratings import complaint_rating_context
from apps.meter_service.portal.views import subscriber_required

# Badge classes by ticket status (the CSS colours them; the label comes from rules).
STATUS_KEYS = {
    rules.OPEN: "complaint_open",
    rules.REOPENED: "complaint_reopened",
    rules.RESOLVED: "complaint_answered",
    rules.CLOSED: "complaint_closed",
    rules.DUPLICATE: "complaint_closed",
}
# Staff are shown as the company, never by name or username.
COMPANY_LABEL = gettext_lazy("Gas company")
YOU_LABEL = gettext_lazy("You")
NOT_YOUR_CLAIM_MESSAGE = gettext_lazy("None of your claims has this tracking code.")


def with_complaint_display(complaint: Complaint) -> Complaint:
    """Attach what pages show of a complaint: grouped number, status, topic, deadline."""
    status = complaint.ticket.status
    display = {
        "code_display": tracking.display(complaint.tracking_code),
        "status": status,
        "status_key": STATUS_KEYS.get(status, "complaint_open"),
        "status_display": rules.status_label(status),
        "topic_display": rules.topic_label(complaint.ticket.queue),
        "awaiting_answer": status in rules.AWAITING_ANSWER,
    }
    # Attributes for the templates, set on the instance: none is a field of the model.
    for name, value in display.items():
        setattr(complaint, name, value)
    if complaint.claim_id:
        with_display(complaint.claim)
    return complaint


@dataclass
class ConversationEntry:
    at: object
    mine: bool
    author: str
    text: str
    status_display: str = ""
    attachments: list = field(default_factory=list)


def conversation(complaint: Complaint, viewer) -> list[ConversationEntry]:
    """The public conversation as the subscriber sees it.

    The first message is the complaint itself, whoever typed it in (a clerk, the national
    system): the complainant's words. Field changes (owner, priority) are not shown; a new
    status is.
    """
    entries = []
    follow_ups = selectors.complaint_conversation(complaint=complaint, include_private=False)
    for index, follow_up in enumerate(follow_ups):
        mine = index == 0 or (follow_up.user_id is not None and follow_up.user_id == viewer.pk)
        new_status = follow_up.new_status if index else None
        entries.append(
            ConversationEntry(
                at=follow_up.date,
                mine=mine,
                author=str(YOU_LABEL if mine else COMPANY_LABEL),
                text=follow_up.comment or "",
                status_display=rules.status_label(new_status) if new_status else "",
                attachments=list(follow_up.followupattachment_set.all()),
            )
        )
    return entries


def _code_html(code: str) -> str:
    return format_html('<bdi dir="ltr" class="code">{}</bdi>', local_digits(tracking.display(code)))


@subscriber_required
def complaint_list_view(request):
    """List the subscriber's complaints, newest first."""
    complaints = [
        with_complaint_display(c)
        for c in selectors.complaint_list(user=request.user).order_by("-filed_at", "-id")
    ]
    return render(request, "meter_service/portal/complaint_list.html", {"complaints": complaints})


@subscriber_required
@require_http_methods(["GET", "POST"])
def complaint_new(request):
    """File a complaint, in general or about one of the subscriber's claims (?claim=code)."""
    subscriptions = list(subscriber_list(user=request.user).order_by("subscription_number"))
    claims = [with_display(c) for c in claim_list(user=request.user).order_by("-filed_at")]
    form_kwargs = {"subscriptions": subscriptions, "claims": claims}

    if not subscriptions:
        return render(request, "meter_service/portal/complaint_new.html", {"form": None})
    if request.method == "GET" and not request.GET.get("continue"):
        before = _before_filing(request)
        if before is not None:
            return before
    if request.method == "POST":
        form = ComplaintForm(request.POST, request.FILES, **form_kwargs)
        if form.is_valid():
            try:
                complaint = services.complaint_file(
                    actor=request.user, channel=ComplaintChannel.PORTAL, **form.complaint_fields()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                text = _("Your complaint is filed. Its number is %(code)s.")
                code = _code_html(complaint.tracking_code)
                messages.success(request, mark_safe(conditional_escape(text) % {"code": code}))
                return redirect("portal:complaint_detail", code=complaint.tracking_code)
    else:
        form = ComplaintForm(initial=_initial(request, subscriptions, claims), **form_kwargs)
    return render(
        request,
        "meter_service/portal/complaint_new.html",
        {
            "form": form,
            "subscriber": subscriptions[0] if len(subscriptions) == 1 else None,
            "file_was_chosen": bool(request.FILES),
        },
    )


def _before_filing(request):
    """The answers to the chosen topic's common questions (or the first ones of all), shown
    before the form: "did this answer your question?", and a way on to the form. None when
    there are no published answers (the form comes at once)."""
    topics = faq.topic_choices()
    topic = request.GET.get("topic", "")
    if topic not in {t["slug"] for t in topics}:
        topic = ""
    articles = [
        faq.with_article_display(a)
        for a in article_selectors.articles_before_filing(topic_slug=topic)
    ]
    if not articles:
        return None
    return render(
        request,
        "meter_service/portal/complaint_before.html",
        {
            "articles": articles,
            "topics": topics,
            "topic": topic,
            "claim_code": request.GET.get("claim", "").strip()[:20],
        },
    )


def _initial(request, subscriptions: list, claims: list) -> dict:
    """Preselect the claim of ?claim=code (refusing anyone else's) and its mobile, and the
    topic chosen before filing (?topic=slug)."""
    initial = {"contact_mobile": subscriptions[0].mobile if len(subscriptions) == 1 else ""}
    chosen = request.GET.get("topic", "")
    if chosen:
        initial["topic"] = selectors.complaint_topics(public_only=True).filter(slug=chosen).first()
    code = request.GET.get("claim", "").strip()
    if not code:
        return initial
    claim = next((c for c in claims if c.tracking_code == tracking.normalize(code)), None)
    if claim is None:
        messages.error(request, NOT_YOUR_CLAIM_MESSAGE)
        return initial
    topic = selectors.complaint_topics(public_only=True).filter(slug="meter-test").first()
    initial.update(
        claim=claim.tracking_code,
        subscription=claim.subscriber.subscription_number,
        contact_mobile=claim.contact_mobile or claim.subscriber.mobile,
        topic=topic,
    )
    return initial


@subscriber_required
def complaint_detail(request, code: str):
    complaint = selectors.complaint_get(user=request.user, code=code)
    return _complaint_page(request, complaint)


def _complaint_page(request, complaint: Complaint, form=None, status: int = 200):
    complaint = with_complaint_display(complaint)
    ticket_status = complaint.ticket.status
    can_reply = rules.may_reply(ticket_status)
    return render(
        request,
        "meter_service/portal/complaint_detail.html",
        {
            "complaint": complaint,
            "entries": conversation(complaint, request.user),
            "can_reply": can_reply,
            "reply_reopens": rules.reply_reopens(ticket_status),
            "form": (form or ComplaintReplyForm()) if can_reply else None,
            "closed_message": rules.CLOSED_MESSAGE,
            **complaint_rating_context(complaint),
        },
        status=status,
    )


@subscriber_required
@require_POST
def complaint_reply(request, code: str):
    """The subscriber writes back; on an answered complaint this reopens it."""
    complaint = selectors.complaint_get(user=request.user, code=code)
    if not rules.may_reply(complaint.ticket.status):
        messages.error(request, rules.CLOSED_MESSAGE)
        return redirect("portal:complaint_detail", code=complaint.tracking_code)
    form = ComplaintReplyForm(request.POST, request.FILES)
    if form.is_valid():
        reopens = rules.reply_reopens(complaint.ticket.status)
        try:
            services.complaint_subscriber_reply(
                complaint=complaint,
                actor=request.user,
                text=form.cleaned_data["text"],
                attachments=form.attachments(),
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):  # refused as a whole (closed meanwhile)
                for message in error.messages:
                    messages.error(request, message)
                return redirect("portal:complaint_detail", code=complaint.tracking_code)
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                _("Your reply is sent and the complaint is open again.")
                if reopens
                else _("Your reply is sent."),
            )
            return redirect("portal:complaint_detail", code=complaint.tracking_code)
    complaint.refresh_from_db()
    return _complaint_page(request, complaint, form, status=400)


@subscriber_required
def complaint_attachment(request, code: str, attachment_id: int):
    """Send a file of the complaint's public conversation; 404 for anyone else's."""
    complaint = selectors.complaint_get(user=request.user, code=code)
    attachment = (
        FollowUpAttachment.objects.filter(
            pk=attachment_id, followup__ticket_id=complaint.ticket_id, followup__public=True
        )
        .select_related("followup")
        .first()
    )
    if attachment is None or not attachment.file:
        raise Http404
    return files.send(
        attachment.file.name,
        as_attachment=True,
        filename=Path(attachment.filename or attachment.file.name).name,
        content_type=attachment.mime_type or "application/octet-stream",
    )
