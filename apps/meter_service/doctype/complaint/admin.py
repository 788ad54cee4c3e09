"""Complaints in the desk: the list, the complaint's page with its conversation and the
officers' actions, filing a complaint taken by phone or in person, and the topics.

Staff never edit a complaint or its ticket by form: every change is one of the services'
actions (answer, resolve, internal note, assign, close), so the conversation and the audit
trail record it. view_complaint shows the pages; change_complaint adds the action forms.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from helpdesk.models import FollowUpAttachment, Queue
from unfold.decorators import display

from apps.meter_service import files, permissions
from apps.meter_service.admin_base import DocumentAdmin, LogAdmin
from apps.meter_service.core import tracking
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter, use_desk_widgets
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.complaint import rules, selectors, services
from apps.meter_service.doctype.complaint.desk_forms import (
    CannedPickForm,
    ComplaintAssignForm,
    ComplaintCloseForm,
    ComplaintMessageForm,
    DeskComplaintForm,
    OfficerChoiceField,
    TopicChoiceField,
    officers,
    user_label,
)
from apps.meter_service.doctype.complaint.models import (
    CannedResponse,
    Complaint,
    ComplaintMail,
)
from apps.meter_service.doctype.custom_field import rules as rules_custom
from apps.meter_service.doctype.custom_field.admin import CustomValuesAdmin
from apps.meter_service.doctype.custom_field.forms import add_custom_fields, custom_cleaned
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.sites import staff_site

CHANGE_PERMISSION = "meter_service.change_complaint"

STATUS_COLORS = {
    str(rules.OPEN): "info",
    str(rules.REOPENED): "warning",
    str(rules.RESOLVED): "success",
    str(rules.CLOSED): "default",
    str(rules.DUPLICATE): "default",
}
# unfold shows a label's key, not its text, when the key has no colour: every key is here.
DUE_COLORS = {"overdue": "danger", "due": "info", "": "default"}


def is_overdue(complaint: Complaint, now=None) -> bool:
    """Awaiting an answer past its due time."""
    now = now or timezone.now()
    return complaint.ticket.status in rules.AWAITING_ANSWER and complaint.due_at < now


# --- list filters ----------------------------------------------------------------------------


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"
    AWAITING = "awaiting"

    def lookups(self, request, model_admin):
        return [
            (self.AWAITING, _("Awaiting an answer")),
            *((str(value), label) for value, label in rules.STATUS_LABELS.items()),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.AWAITING:
            return queryset.filter(ticket__status__in=list(rules.AWAITING_ANSWER))
        if value and value.isdigit():
            return queryset.filter(ticket__status=int(value))
        return queryset


class TopicFilter(admin.SimpleListFilter):
    title = _("topic")
    parameter_name = "topic"

    def lookups(self, request, model_admin):
        return [(str(q.pk), rules.topic_label(q)) for q in selectors.complaint_topics()]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(ticket__queue_id=int(value))
        return queryset


class AssigneeFilter(admin.SimpleListFilter):
    title = _("assigned to")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", _("Me")), ("none", _("Nobody (unassigned)"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(ticket__assigned_to=request.user)
        if self.value() == "none":
            return queryset.filter(ticket__assigned_to__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("answer deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("escalated", _("Escalated"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(
                ticket__status__in=list(rules.AWAITING_ANSWER), due_at__lt=timezone.now()
            )
        if self.value() == "escalated":
            return queryset.filter(escalated_at__isnull=False)
        return queryset


# --- complaints ------------------------------------------------------------------------------


@admin.register(Complaint, site=staff_site)
class ComplaintAdmin(CustomValuesAdmin):
    custom_target = CustomFieldTarget.COMPLAINT
    list_display = [
        "number",
        "topic",
        "title",
        "status_label",
        "complainant_name",
        "claim_code",
        "assignee",
        "due",
        "escalated",
        "filed_at",
    ]
    list_filter = [
        StatusFilter,
        TopicFilter,
        "channel",
        AssigneeFilter,
        OverdueFilter,
        ("filed_at", JalaliDateRangeFilter),
    ]
    list_filter_submit = True
    search_fields = [
        "tracking_code",
        "claim__tracking_code",
        "complainant_name",
        "contact_mobile",
        "subscriber__subscription_number",
        "ticket__title",
    ]
    list_select_related = ["ticket", "ticket__queue", "ticket__assigned_to", "claim"]
    actions = None

    def get_queryset(self, request):
        return selectors.complaint_list(user=request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # no form edits a complaint; the actions below need change_complaint

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @staticmethod
    def may_act(request) -> bool:
        return request.user.has_perm(CHANGE_PERMISSION)

    # --- list columns ------------------------------------------------------------------------

    @display(description=_("complaint number"), ordering="tracking_code")
    def number(self, obj):
        return format_html(
            '<span class="meter-ltr meter-nowrap">{}</span>', tracking.display(obj.tracking_code)
        )

    @display(description=_("topic"), ordering="ticket__queue__title")
    def topic(self, obj):
        return rules.topic_label(obj.ticket.queue)

    @display(description=_("subject"), ordering="ticket__title")
    def title(self, obj):
        return obj.ticket.title

    @display(description=_("status"), ordering="ticket__status", label=STATUS_COLORS)
    def status_label(self, obj):
        return str(obj.ticket.status), rules.status_label(obj.ticket.status)

    @display(description=_("claim"), ordering="claim__tracking_code")
    def claim_code(self, obj):
        if not obj.claim_id:
            return "—"
        return format_html(
            '<span class="meter-ltr meter-nowrap">{}</span>',
            tracking.display(obj.claim.tracking_code),
        )

    @display(description=_("assigned to"), ordering="ticket__assigned_to__username")
    def assignee(self, obj):
        user = obj.ticket.assigned_to
        return user_label(user) if user else "—"

    @display(description=_("answer due by"), ordering="due_at", label=DUE_COLORS)
    def due(self, obj):
        if obj.ticket.status not in rules.AWAITING_ANSWER:
            return "", ""
        when = format_datetime(obj.due_at)
        if is_overdue(obj):
            return "overdue", gettext("%(when)s (overdue)") % {"when": when}
        return "due", when

    @display(description=_("escalated"), ordering="escalated_at", label={"yes": "warning", "": ""})
    def escalated(self, obj):
        # Only the escalated ones are marked: a cross on every other row would read as alarm.
        if obj.escalated_at is None:
            return "", ""
        return "yes", gettext("Escalated")

    # --- pages -------------------------------------------------------------------------------

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        view = self.admin_site.admin_view
        return [
            path("file/", view(self.file_view), name=f"{name}_file"),
            path("<path:object_id>/message/", view(self.message_view), name=f"{name}_message"),
            path("<path:object_id>/assign/", view(self.assign_view), name=f"{name}_assign"),
            path("<path:object_id>/close/", view(self.close_view), name=f"{name}_close"),
            path(
                "<path:object_id>/attachment/<int:attachment_id>/",
                view(self.attachment_view),
                name=f"{name}_attachment",
            ),
            *super().get_urls(),
        ]

    def _complaint(self, request, object_id, *, act: bool = False) -> Complaint:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if act and not self.may_act(request):
            raise PermissionDenied
        return permissions.access(
            request.user, selectors.complaint_list(user=request.user), unquote(str(object_id))
        )

    def add_view(self, request, form_url="", extra_context=None):
        return redirect(self.page_url("file"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self._page(request, self._complaint(request, object_id))

    def _conversation(self, complaint: Complaint) -> list[dict]:
        entries = []
        follow_ups = selectors.complaint_conversation(complaint=complaint, include_private=True)
        for follow_up in follow_ups:
            author = follow_up.user
            entries.append(
                {
                    "follow_up": follow_up,
                    "when": format_datetime(follow_up.date),
                    "author": user_label(author) if author else gettext("System"),
                    "by_staff": author is not None and permissions.is_company_staff(author),
                    "changes": list(follow_up.ticketchange_set.all()),
                    "attachments": [
                        {
                            "name": attachment.filename,
                            "size": attachment.size,
                            "url": self.page_url("attachment", complaint.pk, attachment.pk),
                        }
                        for attachment in follow_up.followupattachment_set.all()
                    ],
                }
            )
        return entries

    def _page(self, request, complaint: Complaint, *, status: int = 200, **bound):
        """The complaint's page; `bound` holds an action's form returned with its errors."""
        ticket = complaint.ticket
        may_act = self.may_act(request)
        may_write = may_act and rules.may_reply(ticket.status)
        forms = {}
        if may_write:
            forms.update(self._canned(request, complaint, bound))
            forms["message_form"] = (
                bound.get("message_form") or forms.get("message_form") or ComplaintMessageForm()
            )
            forms["assign_form"] = bound.get("assign_form") or ComplaintAssignForm(
                initial={"assignee": ticket.assigned_to_id}
            )
            forms["close_form"] = bound.get("close_form") or ComplaintCloseForm()
        # An action refused on a complaint that no longer shows its forms (closed meanwhile)
        # still says why.
        refused = [
            message
            for name, form in bound.items()
            if name not in forms
            for errors in form.errors.values()
            for message in errors
        ]
        user = request.user
        context = self.page_context(
            request,
            title=gettext("Complaint %(code)s")
            % {"code": tracking.display(complaint.tracking_code)},
            complaint=complaint,
            ticket=ticket,
            topic=rules.topic_label(ticket.queue),
            status_text=rules.status_label(ticket.status),
            status_color=STATUS_COLORS.get(str(ticket.status), ""),
            overdue=is_overdue(complaint),
            awaiting=ticket.status in rules.AWAITING_ANSWER,
            assignee=user_label(ticket.assigned_to) if ticket.assigned_to else "",
            filed_by=user_label(complaint.filed_by) if complaint.filed_by else "",
            conversation=self._conversation(complaint),
            rating=selectors.complaint_rating(complaint=complaint),
            held_mails=[
                {"mail": held, "when": format_datetime(held.created_at)}
                for held in selectors.complaint_held_mails(complaint=complaint)
            ],
            may_act=may_act,
            may_write=may_write,
            refused=refused,
            claim_url=(
                reverse("admin:meter_service_claim_change", args=[complaint.claim_id])
                if complaint.claim_id and user.has_perm("meter_service.view_claim")
                else ""
            ),
            subscriber_url=(
                reverse("admin:meter_service_subscriber_change", args=[complaint.subscriber_id])
                if complaint.subscriber_id and user.has_perm("meter_service.view_subscriber")
                else ""
            ),
            changelist_url=self.page_url("changelist"),
            custom_values=[
                (rules_custom.field_label(f), rules_custom.display_value(f, values.get(f.key)))
                for values in [complaint.custom_fields or {}]
                for f in self.custom_definitions(request)
            ],
            custom_values_url=(
                self.page_url("custom_values", complaint.pk)
                if permissions.may_edit_custom_values(user, self.custom_target)
                else ""
            ),
            **{name: use_desk_widgets(form) for name, form in forms.items()},
        )
        return TemplateResponse(
            request, "meter_service/complaint/desk_page.html", context, status=status
        )

    def _canned(self, request, complaint: Complaint, bound: dict) -> dict:
        """The canned response picker, and the answer box filled with the one picked
        (?canned=), rendered for this complaint and officer by the service."""
        offered = list(selectors.canned_responses_for(complaint=complaint))
        if not offered:
            return {}
        picker = CannedPickForm(request.GET if "canned" in request.GET else None, responses=offered)
        found: dict = {"canned_form": picker}
        if "message_form" in bound or not picker.is_bound or not picker.is_valid():
            return found
        chosen = picker.chosen()
        if chosen is not None:
            response, language = chosen
            text = services.canned_response_render(
                response=response, complaint=complaint, officer=request.user, language=language
            )
            found["message_form"] = ComplaintMessageForm(initial={"text": text})
        return found

    def _done(self, request, complaint: Complaint, message: str):
        messages.success(request, message)
        return redirect(self.page_url("change", complaint.pk))

    def message_view(self, request, object_id):
        """Answer (public), answer and resolve, or an internal note, with an attachment."""
        complaint = self._complaint(request, object_id, act=True)
        if request.method != "POST":
            return redirect(self.page_url("change", complaint.pk))
        form = ComplaintMessageForm(request.POST, request.FILES)
        if form.is_valid():
            kind = form.kind()
            try:
                services.complaint_answer(
                    complaint=complaint,
                    actor=request.user,
                    text=form.cleaned_data["text"],
                    resolve=kind == form.RESOLVE,
                    public=kind != form.NOTE,
                    attachments=form.attachments(),
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                done = {
                    form.ANSWER: gettext("The answer was sent to the complainant."),
                    form.RESOLVE: gettext("The answer was sent and the complaint resolved."),
                    form.NOTE: gettext("The internal note was added."),
                }[kind]
                return self._done(request, complaint, done)
        return self._page(request, complaint, status=400, message_form=form)

    def assign_view(self, request, object_id):
        complaint = self._complaint(request, object_id, act=True)
        if request.method != "POST":
            return redirect(self.page_url("change", complaint.pk))
        form = ComplaintAssignForm(request.POST)
        if form.is_valid():
            try:
                services.complaint_assign(
                    complaint=complaint, actor=request.user, assignee=form.cleaned_data["assignee"]
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return self._done(request, complaint, gettext("The assignment was saved."))
        return self._page(request, complaint, status=400, assign_form=form)

    def close_view(self, request, object_id):
        complaint = self._complaint(request, object_id, act=True)
        if request.method != "POST":
            return redirect(self.page_url("change", complaint.pk))
        form = ComplaintCloseForm(request.POST)
        if form.is_valid():
            try:
                services.complaint_close(
                    complaint=complaint, actor=request.user, text=form.cleaned_data["text"]
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                return self._done(request, complaint, gettext("The complaint was closed."))
        return self._page(request, complaint, status=400, close_form=form)

    def attachment_view(self, request, object_id, attachment_id: int):
        complaint = self._complaint(request, object_id)
        attachment = FollowUpAttachment.objects.filter(
            pk=attachment_id, followup__ticket_id=complaint.ticket_id
        ).first()
        if attachment is None:
            raise Http404(gettext("No such record."))
        return files.send(
            attachment.file.name,
            content_type=attachment.mime_type or "application/octet-stream",
            filename=attachment.filename or None,
        )

    # --- filing ------------------------------------------------------------------------------

    def file_view(self, request):
        """File a complaint taken by phone or at the desk, for the complainant."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = use_desk_widgets(
            DeskComplaintForm(request.POST or None, request.FILES or None, user=request.user)
        )
        definitions = self.custom_definitions(request)
        custom_fields = add_custom_fields(form, definitions)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                try:
                    complaint = services.complaint_file(
                        actor=request.user,
                        custom_fields=custom_cleaned(definitions, form.cleaned_data),
                        **form.service_fields(),
                    )
                except ValidationError as error:
                    form.add_service_errors(error)
                else:
                    messages.success(
                        request,
                        gettext("Complaint %(code)s was filed.")
                        % {"code": tracking.display(complaint.tracking_code)},
                    )
                    return redirect(self.page_url("change", complaint.pk))
            status = 400
        context = self.page_context(
            request,
            title=gettext("File a complaint"),
            form=form,
            custom_fields=custom_fields,
            changelist_url=self.page_url("changelist"),
        )
        return TemplateResponse(
            request, "meter_service/complaint/desk_file.html", context, status=status
        )


# --- topics ----------------------------------------------------------------------------------


@admin.register(Queue, site=staff_site)
class ComplaintTopicAdmin(DocumentAdmin):
    """The complaint topics (helpdesk queues): name, who gets new ones, offered on the portal."""

    list_display = ["title", "label", "slug", "owner", "on_portal", "open_count"]
    ordering = ["id"]
    search_fields = ["title", "slug"]
    fields = ["title", "slug", "default_owner", "allow_public_submission"]
    list_select_related = ["default_owner"]
    actions = None
    form = forms.ModelForm  # a topic's name keeps the digits typed

    def get_queryset(self, request):
        awaiting = Q(ticket__status__in=list(rules.AWAITING_ANSWER))
        return super().get_queryset(request).annotate(open_count=Count("ticket", filter=awaiting))

    def get_readonly_fields(self, request, obj=None):
        # Tickets and links name a topic by its slug: fixed once the topic exists.
        return ["slug"] if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a topic's complaints stay; stop offering it on the portal instead

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        labels = {
            "title": (_("name"), ""),
            "slug": (_("short name (Latin letters)"), _("Used in links; cannot be changed.")),
            "allow_public_submission": (
                _("offered on the portal"),
                _("Subscribers may choose this topic when they file a complaint."),
            ),
        }
        if field is not None and db_field.name in labels:
            field.label, field.help_text = labels[db_field.name]
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "default_owner":
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            owner = OfficerChoiceField(
                queryset=officers(),
                required=False,
                label=_("gets new complaints"),
                help_text=_("A complaints officer or a service manager; empty: nobody."),
                widget=field.widget,
            )
            return owner
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @display(description=_("name in the interface"))
    def label(self, obj):
        return rules.topic_label(obj)

    @display(description=_("offered on the portal"), boolean=True)
    def on_portal(self, obj):
        return obj.allow_public_submission

    @display(description=_("gets new complaints"), ordering="default_owner__username")
    def owner(self, obj):
        return user_label(obj.default_owner) if obj.default_owner else "—"

    @display(description=_("awaiting an answer"), ordering="open_count")
    def open_count(self, obj):
        return obj.open_count

    def create_document(self, request, fields):
        return services.complaint_topic_save(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        values = {
            "title": instance.title,
            "default_owner": instance.default_owner,
            "allow_public_submission": instance.allow_public_submission,
            **{k: v for k, v in fields.items() if k != "slug"},
        }
        return services.complaint_topic_save(actor=request.user, topic=instance, **values)


# --- canned responses --------------------------------------------------------------------------


@admin.register(CannedResponse, site=staff_site)
class CannedResponseAdmin(DocumentAdmin):
    """Prepared answers officers pick on a complaint's page; the service manager and the
    system administrator write them, each save checked and in the audit trail."""

    form = forms.ModelForm  # the texts keep the digits typed
    list_display = ["title", "topic_name", "is_active", "updated_at"]
    list_filter = ["is_active", "topic"]
    search_fields = ["title", "body_fa", "body_en"]
    fields = ["title", "topic", "body_fa", "body_en", "is_active", "placeholders", "updated_at"]
    readonly_fields = ["placeholders", "updated_at"]
    list_select_related = ["topic"]
    actions = None

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # switch one off instead: the audit trail keeps naming it

    @display(description=_("topic"), ordering="topic__title")
    def topic_name(self, obj):
        return rules.topic_label(obj.topic) if obj.topic_id else gettext("Every topic")

    @display(description=_("placeholders"))
    def placeholders(self, obj):
        names = "  ".join(f"{{{name}}}" for name in sorted(rules.CANNED_PLACEHOLDERS))
        return format_html('<span dir="ltr" class="meter-ltr">{}</span>', names)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "topic":
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            return TopicChoiceField(
                queryset=selectors.complaint_topics(),
                required=False,
                label=field.label,
                help_text=field.help_text,
                empty_label=gettext("Every topic"),
                widget=field.widget,
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create_document(self, request, fields):
        return services.canned_response_save(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        values = {
            "title": instance.title,
            "body_fa": instance.body_fa,
            "body_en": instance.body_en,
            "topic": instance.topic,
            "is_active": instance.is_active,
            **fields,
        }
        return services.canned_response_save(actor=request.user, response=instance, **values)


# --- the mail log ----------------------------------------------------------------------------


@admin.register(ComplaintMail, site=staff_site)
class ComplaintMailAdmin(LogAdmin):
    """Each email sent to a complainant and each one received, with what became of it
    (threaded, no complaint found, not the complainant's): a log, read only (mail.py)."""

    list_display = ["created_at", "direction", "outcome", "address", "subject", "complaint"]
    list_filter = ["direction", "outcome", "door"]
    search_fields = ["message_id", "address", "subject", "complaint__tracking_code"]
    list_select_related = ["complaint"]
    readonly_fields = fields = [
        "created_at",
        "direction",
        "outcome",
        "door",
        "address",
        "subject",
        "complaint",
        "message_id",
        "note",
    ]
