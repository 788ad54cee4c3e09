"""The desk's list of undelivered messages and jobs, with the action that sends them again."""

from __future__ import annotations

import re

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import local_digits
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.notification.rules import template_label
from apps.meter_service.doctype.outbox import selectors, services
from apps.meter_service.doctype.outbox.models import OutboxJob, OutboxState
from apps.meter_service.doctype.payment.admin import ReadOnlyDocumentAdmin
from apps.meter_service.sites import staff_site

# The reason outbox_run writes when the retries are spent (services._failed_try).
RETRIES_SPENT = re.compile(r"^retries spent after (?P<tries>\d+) tries: (?P<reason>.*)$", re.S)

JOB_LABELS = {
    "apps.meter_service.jobs.sms_deliver": _("SMS"),
    "apps.meter_service.jobs.claim_notify": _("Claim notice"),
    "apps.meter_service.doctype.complaint.services.complaint_notify": _("Complaint notice"),
    "apps.meter_service.jobs.send_email": _("Email to staff"),
    "apps.meter_service.jobs.import_batch_validate": _("Import check"),
    "apps.meter_service.jobs.import_batch_apply": _("Import"),
}

SKIP_TEXTS = {
    services.SKIP_DONE: _("already delivered: %(count)s"),
    services.SKIP_RUNNING: _("being run now, within their time: %(count)s"),
    services.SKIP_SMS_SENT: _("SMS already sent: %(count)s"),
    services.SKIP_MASKED: _(
        "SMS with a sign-in code, whose text is not kept (the subscriber asks for a new "
        "code): %(count)s"
    ),
}


def report_requeued(model_admin, request, result: services.Requeued) -> None:
    """Tell staff how many were queued again, and how many were not and why."""
    model_admin.message_user(
        request,
        _("Queued again: %(count)s.") % {"count": local_digits(result.requeued)},
        messages.SUCCESS if result.requeued else messages.INFO,
    )
    if result.skipped:
        reasons = "; ".join(
            str(SKIP_TEXTS[reason] % {"count": local_digits(count)})
            for reason, count in sorted(result.skipped.items())
        )
        model_admin.message_user(
            request,
            _("Not queued again: %(count)s (%(reasons)s).")
            % {"count": local_digits(result.skipped_count), "reasons": reasons},
            messages.WARNING,
        )


class StuckFilter(admin.SimpleListFilter):
    """Waiting longer than OUTBOX_STUCK_MINUTES, or running past the lease."""

    title = _("stuck")
    parameter_name = "stuck"

    def lookups(self, request, model_admin):
        return [("yes", _("Stuck"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(selectors.stuck_q(timezone.now()))
        return queryset


@admin.register(OutboxJob, site=staff_site)
class OutboxJobAdmin(ReadOnlyDocumentAdmin):
    list_display = [
        "what",
        "recipient",
        "state_text",
        "attempts",
        "reason",
        "created_at",
        "next_try",
    ]
    list_filter = ["state", StuckFilter]
    search_fields = ["key", "path", "sms__to", "last_error"]
    readonly_fields = fields = [
        "what",
        "recipient",
        "state_text",
        "attempts",
        "reason",
        "key",
        "queue",
        "created_at",
        "due_at",
        "give_up_at",
        "started_at",
        "lease_until",
        "finished_at",
    ]
    actions = ["send_again"]

    def get_queryset(self, request):
        return selectors.outbox_undelivered(user=request.user)

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("meter_service.change_outboxjob")

    @admin.display(description=_("message or job"), ordering="path")
    def what(self, obj: OutboxJob) -> str:

        label = JOB_LABELS.get(obj.path, obj.path.rsplit(".", 1)[-1])
        if obj.sms is not None and obj.sms.template_key:
            return f"{label}: {template_label(obj.sms.template_key)}"
        return str(label)

    @admin.display(description=_("to"))
    def recipient(self, obj: OutboxJob) -> str:
        if obj.sms is not None:
            return local_digits(obj.sms.to)
        to = obj.kwargs.get("to") if isinstance(obj.kwargs, dict) else None
        return ", ".join(to) if isinstance(to, list) else "—"

    @admin.display(description=_("state"), ordering="state")
    def state_text(self, obj: OutboxJob) -> str:
        now = timezone.now()
        state = obj.get_state_display()
        if obj.state == OutboxState.RUNNING and obj.lease_until and obj.lease_until < now:
            return _("%(state)s, past its time (its worker stopped)") % {"state": state}
        if obj.state == OutboxState.PENDING and obj.created_at < selectors.stuck_since(now):
            return _("%(state)s, stuck") % {"state": state}
        return str(state)

    @admin.display(description=_("reason"), ordering="last_error")
    def reason(self, obj: OutboxJob) -> str:
        spent = RETRIES_SPENT.match(obj.last_error)
        if spent:
            return _("Retries spent after %(count)s tries: %(reason)s") % {
                "count": local_digits(spent["tries"]),
                "reason": spent["reason"],
            }
        return obj.last_error or "—"

    @admin.display(description=_("next try"), ordering="due_at")
    def next_try(self, obj: OutboxJob) -> str:
        if obj.state != OutboxState.PENDING:
            return "—"
        return format_datetime(obj.due_at)

    @admin.action(description=_("Send again"), permissions=["resend"])
    def send_again(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        report_requeued(self, request, services.outbox_requeue(job_ids=ids, actor=request.user))
