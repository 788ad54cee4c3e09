from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.meter_service.admin_base import DocumentAdmin, LogAdmin
from apps.meter_service.desk import sms_provider_warning
from apps.meter_service.doctype.notification import rules, services
from apps.meter_service.doctype.notification.models import (
    InboundSms,
    MessageTemplate,
    NotificationRule,
    SmsMessage,
)
from apps.meter_service.doctype.outbox.admin import report_requeued
from apps.meter_service.sites import staff_site


class TemplateFilter(admin.SimpleListFilter):
    """Messages by the template they came from, each named by its label, not its key."""

    title = _("template")
    parameter_name = "template_key"

    def lookups(self, request, model_admin):
        keys = SmsMessage.objects.exclude(template_key="").values_list("template_key", flat=True)
        return sorted(
            ((key, rules.template_label(key)) for key in set(keys)), key=lambda item: item[1]
        )

    def queryset(self, request, queryset):
        return queryset.filter(template_key=self.value()) if self.value() else queryset


@admin.register(MessageTemplate, site=staff_site)
class MessageTemplateAdmin(DocumentAdmin):
    # Message texts keep the digits and separators staff type: no digit normalising here.
    form = forms.ModelForm
    list_display = ["label", "is_active", "body_fa", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["key", "body_fa", "body_en"]
    fields = ["label", "key", "body_fa", "body_en", "is_active", "placeholders", "updated_at"]
    readonly_fields = ["label", "placeholders", "updated_at"]

    @admin.display(description=_("message"), ordering="key")
    def label(self, obj) -> str:
        return rules.template_label(obj.key) if obj and obj.pk else "—"

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "key"] if obj is not None else readonly

    def has_delete_permission(self, request, obj=None) -> bool:
        # The code looks templates up by key; switching one off is the way to stop a message.
        return False

    @admin.display(description=_("placeholders"))
    def placeholders(self, obj) -> str:
        allowed = rules.allowed_placeholders(obj.key if obj and obj.pk else "")
        return ", ".join(f"{{{name}}}" for name in sorted(allowed))

    def create_document(self, request, fields):
        return services.message_template_create(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.message_template_update(template=instance, actor=request.user, **fields)


@admin.register(SmsMessage, site=staff_site)
class SmsMessageAdmin(LogAdmin):
    list_display = ["to", "template", "status", "attempts", "claim", "created_at", "sent_at"]
    list_filter = ["status", TemplateFilter]
    search_fields = ["to", "provider_message_id", "claim__tracking_code"]
    list_select_related = ["claim"]
    readonly_fields = fields = [
        "to",
        "template",
        "claim",
        "body",
        "status",
        "attempts",
        "provider_message_id",
        "last_error",
        "created_at",
        "last_attempt_at",
        "sent_at",
    ]
    actions = ["send_again"]

    def changelist_view(self, request, extra_context=None):

        warning = sms_provider_warning() if request.method == "GET" else None
        if warning:
            messages.warning(request, warning)
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("template"), ordering="template_key")
    def template(self, obj) -> str:
        return rules.template_label(obj.template_key) if obj.template_key else "—"

    def has_retry_permission(self, request) -> bool:
        return request.user.has_perm("meter_service.change_smsmessage")

    @admin.action(description=_("Send again"), permissions=["retry"])
    def send_again(self, request, queryset):

        result = services.sms_resend(messages=list(queryset), actor=request.user)
        report_requeued(self, request, result)


@admin.register(InboundSms, site=staff_site)
class InboundSmsAdmin(LogAdmin):
    """Texts to the short code and what each got back: a log, read only."""

    list_display = ["sender", "kind", "text", "answer_text", "claim", "received_at"]
    list_filter = ["kind"]
    search_fields = ["sender", "provider_message_id", "claim__tracking_code"]
    list_select_related = ["claim", "answer"]
    readonly_fields = fields = [
        "sender",
        "receptor",
        "text",
        "kind",
        "claim",
        "answer_text",
        "answer_status",
        "provider_message_id",
        "received_at",
    ]

    @admin.display(description=_("answer"))
    def answer_text(self, obj) -> str:
        return obj.answer.body if obj.answer_id else "—"

    @admin.display(description=_("answer status"))
    def answer_status(self, obj) -> str:
        return obj.answer.get_status_display() if obj.answer_id else "—"


class NotificationRuleForm(forms.ModelForm):
    """A rule's form: texts keep the digits staff type; the condition's digits are made Latin
    (outside quoted text) before the language checks it."""

    class Meta:
        model = NotificationRule
        fields = [
            "name",
            "event",
            "is_active",
            "recipients",
            "role",
            "send_sms",
            "send_email",
            "condition",
            "body_fa",
            "body_en",
        ]

    def clean_condition(self) -> str:
        return rules.normalize_condition(self.cleaned_data.get("condition") or "")


@admin.register(NotificationRule, site=staff_site)
class NotificationRuleAdmin(DocumentAdmin):
    """Notification rules: what each process event sends, to whom, when. The service manager
    and the system administrator edit them (their roles' permissions in the fixtures)."""

    form = NotificationRuleForm
    list_display = ["name", "event", "recipients", "send_sms", "send_email", "is_active"]
    list_filter = ["event", "recipients", "is_active"]
    search_fields = ["name", "body_fa", "body_en", "condition"]
    fieldsets = [
        (None, {"fields": ["name", "event", "is_active"]}),
        (_("To whom and how"), {"fields": ["recipients", "role", "send_sms", "send_email"]}),
        (_("When"), {"fields": ["condition"]}),
        (_("Text"), {"fields": ["shipped_message", "body_fa", "body_en", "placeholders"]}),
    ]
    readonly_fields = ["shipped_message", "placeholders"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.message_key:
            # A shipped rule sends its template's text to the subscriber at its event.
            readonly += ["event", "recipients", "role", "body_fa", "body_en"]
        return readonly

    def has_delete_permission(self, request, obj=None) -> bool:
        # Switching a rule off stops it and keeps what it sent explainable.
        return False

    @admin.display(description=_("text from"))
    def shipped_message(self, obj) -> str:
        if obj is None or not obj.message_key:
            return str(_("This rule's own texts below."))
        return str(
            _("The message template “%(message)s” (edit the text there).")
            % {"message": rules.template_label(obj.message_key)}
        )

    @admin.display(description=_("placeholders"))
    def placeholders(self, obj) -> str:
        events = [obj.event] if obj is not None and obj.pk else list(rules.RULE_EVENTS)
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li>{}: <span dir="ltr">{}</span></li>',
                (
                    (
                        rules.rule_event_label(event),
                        ", ".join(
                            f"{{{name}}}" for name in sorted(rules.PLACEHOLDERS.get(event, ()))
                        ),
                    )
                    for event in events
                ),
            ),
        )

    def create_document(self, request, fields):
        return services.notification_rule_create(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.notification_rule_update(rule=instance, actor=request.user, **fields)
