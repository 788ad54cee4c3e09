"""The desk's imports: upload a file, watch its dry run, read its errors, import it."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display

from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.jalali import JalaliDateField, format_date, format_datetime, use_jalali
from apps.meter_service.doctype.import_batch import readers, services
from apps.meter_service.doctype.import_batch.forms import ImportUploadForm
from apps.meter_service.doctype.import_batch.models import ImportBatch, ImportStatus, ImportTarget
from apps.meter_service.doctype.import_batch.selectors import (
    RUNNING_STATUSES,
    import_batch_progress,
)
from apps.meter_service.doctype.import_batch.targets import CREATE, SPECS, ImportSpec
from apps.meter_service.sites import staff_site

STATUS_COLORS: dict[str, str] = {
    ImportStatus.UPLOADED: "info",
    ImportStatus.VALIDATING: "info",
    ImportStatus.VALID: "primary",
    ImportStatus.INVALID: "danger",
    ImportStatus.IMPORTING: "warning",
    ImportStatus.IMPORTED: "success",
    ImportStatus.FAILED: "danger",
}

TEMPLATE_TYPES = {
    readers.CSV: "text/csv; charset=utf-8",
    readers.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _cell(spec: ImportSpec, name: str, value: object) -> str:
    """Return a stored preview value as the desk shows it: labels, local dates and digits."""
    if value in (None, ""):
        return ""
    field = spec.form_class.base_fields.get(name)
    choices = dict(getattr(field, "choices", None) or ())
    if choices:
        return str(choices.get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, str) and isinstance(field, JalaliDateField):
        try:
            return format_date(datetime.date.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, int | float | Decimal) or (
        isinstance(value, str) and value.replace(".", "", 1).isdigit()
    ):
        return local_digits(value)
    return str(value)


@admin.register(ImportBatch, site=staff_site)
class ImportBatchAdmin(DocumentAdmin):
    """Batches are made by uploading and changed only by their jobs, never edited by hand."""

    list_display = [
        "original_name",
        "target",
        "status_label",
        "rows",
        "error_count",
        "created_by",
        "created_at",
    ]
    list_filter = ["target", "status", ("created_at", JalaliDateRangeFilter)]
    list_filter_submit = True
    search_fields = ["original_name", "created_by__username"]
    list_select_related = ["created_by"]
    warn_unsaved_form = False

    # --- list ------------------------------------------------------------------------------

    @display(description=_("status"), ordering="status", label=STATUS_COLORS)
    def status_label(self, obj: ImportBatch):
        return obj.status, obj.get_status_display()

    @admin.display(description=_("rows"), ordering="total_rows")
    def rows(self, obj: ImportBatch) -> str:
        return local_digits(obj.total_rows)

    @admin.display(description=_("errors"))
    def error_count(self, obj: ImportBatch) -> str:
        return local_digits(len(obj.errors or []))

    def has_delete_permission(self, request, obj=None) -> bool:
        # A job is working on a running batch; deleting it would leave the job nothing.
        if obj is not None and obj.status in RUNNING_STATUSES:
            return False
        return super().has_delete_permission(request, obj)

    # --- urls ------------------------------------------------------------------------------

    def get_urls(self):
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        custom = [
            path(
                "template/<str:target>/<str:kind>/",
                wrap(self.template_view),
                name=f"{prefix}_template",
            ),
            path(
                "<path:object_id>/progress/",
                wrap(self.progress_view),
                name=f"{prefix}_progress",
            ),
            path("<path:object_id>/start/", wrap(self.start_view), name=f"{prefix}_start"),
        ]
        # Before the admin's own URLs, whose "<object_id>/" would swallow these.
        return custom + super().get_urls()

    # --- upload ----------------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        """Show the upload form; a file accepted becomes a batch whose page opens next."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ImportUploadForm(
            request.POST or None,
            request.FILES or None,
            initial={"target": request.GET.get("target", ImportTarget.SUBSCRIBER)},
        )
        if request.method == "POST" and form.is_valid():
            try:
                batch = services.import_batch_create(
                    target=form.cleaned_data["target"],
                    uploaded_file=form.cleaned_data["file"],
                    actor=request.user,
                )
            except ValidationError as error:
                form.add_error(None if hasattr(error, "error_dict") else "file", error)
            else:
                self.message_user(
                    request,
                    _("The file was received and is being checked; no data is saved yet."),
                    messages.SUCCESS,
                )
                return redirect(self.page_url("change", batch.pk))
        targets = [
            {
                "value": spec.target,
                "label": ImportTarget(spec.target).label,
                "columns": spec.columns,
                "csv_url": self.page_url("template", spec.target, readers.CSV),
                "xlsx_url": self.page_url("template", spec.target, readers.XLSX),
            }
            for spec in SPECS.values()
        ]
        request.current_app = self.admin_site.name
        context = self.page_context(
            request,
            title=_("Upload master data"),
            form=form,
            targets=targets,
            max_rows=local_digits(readers.max_rows()),
            max_megabytes=local_digits(f"{readers.max_file_bytes() / (1024 * 1024):g}"),
            add=True,
        )
        return TemplateResponse(request, "meter_service/import_batch/upload.html", context)

    def template_view(self, request, target: str, kind: str):
        """Return an empty file of the target's columns, named in the active language."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        spec = SPECS.get(target)
        if spec is None or kind not in TEMPLATE_TYPES:
            raise Http404
        if kind == readers.CSV:
            content = readers.template_csv(spec.columns)
        else:
            content = readers.template_xlsx(
                spec.columns, sheet_title=str(ImportTarget(target).label)
            )
        response = HttpResponse(content, content_type=TEMPLATE_TYPES[kind])
        response["Content-Disposition"] = f'attachment; filename="{target}-template.{kind}"'
        return response

    # --- batch page ------------------------------------------------------------------------

    def _batch_or_404(self, request, object_id: str) -> ImportBatch:
        # get_object goes through get_queryset, so the record rules apply.
        batch = self.get_object(request, unquote(object_id))
        if batch is None:
            raise Http404(_("No such record."))
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        return batch

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Show the batch: status, progress, errors, preview and the import button."""
        batch = self._batch_or_404(request, object_id)
        spec = SPECS[batch.target]
        labels = {column.name: column.header() for column in spec.columns}
        language = (get_language() or "fa").split("-")[0]
        errors = {
            "headers": [_("row"), _("column"), _("error")],
            "rows": [
                [
                    local_digits(error.get("row")) if error.get("row") else "—",
                    labels.get(error.get("field") or "", "—"),
                    (error.get("messages") or {}).get(language) or error.get("message", ""),
                ]
                for error in batch.errors or []
            ],
        }
        preview_columns = [
            name for name in labels if any(name in p["values"] for p in batch.preview)
        ]
        preview = {
            "headers": [_("row"), _("action")] + [labels[name] for name in preview_columns],
            "rows": [
                [
                    local_digits(item["row"]),
                    _("create") if item["action"] == CREATE else _("update"),
                    *(_cell(spec, name, item["values"].get(name)) for name in preview_columns),
                ]
                for item in batch.preview or []
            ],
        }
        progress = import_batch_progress(batch)
        request.current_app = self.admin_site.name
        context = self.page_context(
            request,
            title=str(batch),
            original=batch,
            batch=batch,
            status_color=STATUS_COLORS.get(batch.status, "info"),
            running=batch.status in RUNNING_STATUSES,
            progress=progress,
            progress_url=self.page_url("progress", batch.pk),
            start_url=self.page_url("start", batch.pk),
            can_start=batch.status == ImportStatus.VALID and self.has_add_permission(request),
            facts=[
                (_("data"), batch.get_target_display()),
                (_("file name"), batch.original_name),
                (_("rows"), local_digits(batch.total_rows)),
                (_("uploaded by"), batch.created_by),
                (_("uploaded at"), format_datetime(batch.created_at)),
                (_("finished at"), format_datetime(batch.finished_at) or "—"),
            ],
            created_rows=local_digits(batch.created_rows),
            updated_rows=local_digits(batch.updated_rows),
            errors_table=errors,
            preview_table=preview,
            persian_digits=use_jalali(),
        )
        return TemplateResponse(request, "meter_service/import_batch/batch.html", context)

    def progress_view(self, request, object_id: str):
        """Return the batch's progress as JSON for the page to poll."""
        batch = self._batch_or_404(request, object_id)
        data = import_batch_progress(batch)
        data.update(
            status_label=str(batch.get_status_display()),
            running=batch.status in RUNNING_STATUSES,
        )
        return JsonResponse(data)

    def start_view(self, request, object_id: str):
        """Start the import of a checked batch (POST only, from the batch page's button)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        batch = self._batch_or_404(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        try:
            services.import_batch_start(batch=batch, actor=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        else:
            self.message_user(
                request,
                _("The import has started; nothing is saved unless every row succeeds."),
                messages.SUCCESS,
            )
        return redirect(self.page_url("change", batch.pk))
