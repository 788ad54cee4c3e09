from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from apps.meter_service.admin_base import DocumentAdmin, LogAdmin
from apps.meter_service.desk import sms_provider_warning
from apps.meter_service.doctype.notification import rules, services
from apps.meter_service.doctype.notification.models import InboundSms, MessageTemplate, SmsMessage
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
