"""The desk's task inbox: the open steps of the process that the user's roles may do.

It is the ProcessTask list in the desk. Opening a task shows its claim and the form built
from the task's fields in the BPMN file; sending it completes the task through
services.process_complete_task (role, record and data checked there).
"""

# Unfold ships no type information (its ModelAdmin is Any), and the inbox extends it.
# mypy: allow-subclassing-any

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.core.desk_widgets import use_desk_widgets
from apps.meter_service.core.display import code_text
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.engine import services, task_pages
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.selectors import lane_label, task_sla
from apps.meter_service.list_tools import ListToolsMixin
from apps.meter_service.sites import staff_site


class InboxView(admin.SimpleListFilter):
    title = _("show")
    parameter_name = "show"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("done", gettext("Done by me"))]

    def choices(self, changelist: ChangeList) -> Iterator[Any]:
        # "Open in my lanes" is the inbox itself: the unfiltered list.
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Open steps for my roles"),
        }
        yield from list(super().choices(changelist))[1:]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset  # applied in get_queryset, which must know it to widen the rows


@admin.register(ProcessTask, site=staff_site)
class ProcessTaskAdmin(ListToolsMixin, ModelAdmin):
    list_display = ("claim_code", "step", "role", "ready", "sla_state", "sla_due", "done")
    list_filter = (InboxView, "lane")
    search_fields = ("instance__claim__tracking_code", "name")
    list_per_page = 50
    ordering = ("ready_at", "id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcessTask]:
        queryset: QuerySet[ProcessTask] = (
            super()
            .get_queryset(request)
            .select_related(
                "instance__claim", "instance__claim__sla_clock", "completed_by", "instance__version"
            )
        )
        if request.GET.get("show") == "done":
            if not isinstance(request.user, User):  # the desk signs everyone in first
                return queryset.none()
            return queryset.filter(completed_by=request.user).order_by("-completed_at")
        lanes = permissions.lanes_of(request.user)
        return queryset.filter(lane__in=lanes, completed_at__isnull=True)

    # Lanes are the permission: anyone in a desk role with a lane has an inbox.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(permissions.lanes_of(request.user))

    def has_view_permission(self, request: HttpRequest, obj: ProcessTask | None = None) -> bool:
        if obj is not None:
            return permissions.may_work_lane(request.user, obj.lane)
        return bool(permissions.lanes_of(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ProcessTask | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ProcessTask | None = None) -> bool:
        return False

    @admin.display(description=_("claim"), ordering="instance__claim__tracking_code")
    def claim_code(self, task: ProcessTask) -> SafeString:
        # The first column links to the task page (the list's own link).
        return format_html(
            '<span class="meter-ltr meter-nowrap">{}</span>',
            tracking.display(task.instance.claim.tracking_code),
        )

    @admin.display(description=_("step"))
    def step(self, task: ProcessTask) -> str:
        return gettext(task.name)

    @admin.display(description=_("role"), ordering="lane")
    def role(self, task: ProcessTask) -> str:
        return lane_label(task.lane)

    @admin.display(description=_("ready since"), ordering="ready_at")
    def ready(self, task: ProcessTask) -> str:
        return format_datetime(task.ready_at)

    @admin.display(description=_("service level"))
    def sla_state(self, task: ProcessTask) -> str:
        info = task_sla(task, timezone.now())
        if info is None:
            return "—"
        return format_html(
            '<span class="meter-sla meter-sla-{}">{}</span>', info.state, info.state_label
        )

    @admin.display(description=_("due"))
    def sla_due(self, task: ProcessTask) -> str:
        info = task_sla(task, timezone.now())
        return format_datetime(info.due_at) if info and info.due_at else "—"

    @admin.display(description=_("completed"))
    def done(self, task: ProcessTask) -> str:
        if task.completed_at is None:
            return "—"
        if task.cancelled:
            return gettext("withdrawn")
        return format_datetime(task.completed_at)

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """The task page: the claim in short and the task's form."""
        task = (
            ProcessTask.objects.select_related("instance__claim", "instance__version")
            .filter(pk=object_id)
            .first()
        )
        if task is None or not permissions.may_work_lane(request.user, task.lane):
            raise Http404(gettext("No such record."))
        claim = task.instance.claim
        page = task_pages.page_for(task)
        if page:  # a step with a page of its own (the meter test record, the work order...)
            return redirect(page)
        form = None
        if task.is_open:
            form = use_desk_widgets(
                services.process_task_form(
                    task=task, data=request.POST if request.method == "POST" else None
                )
            )
        if request.method == "POST" and form is not None:
            try:
                services.process_complete_task(
                    task_id=task.task_id, user=request.user, data=request.POST
                )
            except PermissionDenied:
                raise
            except services.ProcessConflict as error:
                messages.error(request, " ".join(error.messages))
                return redirect(request.path)
            except ValidationError as error:
                form.is_valid()
                if not form.errors:
                    form.add_error(None, error)
            else:
                messages.success(
                    request,
                    gettext("“%(step)s” is done for claim %(code)s.")
                    % {"step": gettext(task.name), "code": code_text(claim.tracking_code)},
                )
                return redirect("admin:meter_service_processtask_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext(task.name),
            "task": task,
            "claim": claim,
            "lane": lane_label(task.lane),
            "sla": task_sla(task, timezone.now()),
            "form": form,
            "claim_url": reverse("admin:meter_service_claim_change", args=[claim.pk]),
        }
        return TemplateResponse(request, "meter_service/process/task.html", context)
