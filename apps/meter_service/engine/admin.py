"""Versions of the service process in the desk: list, upload, compare, activate, download.

A version is made by uploading its files and is never edited afterwards. Uploading checks the
files and keeps them as an inactive version; its page compares it with the active version;
activating it makes new claims start on it. Running claims keep the version they started on
(moving them is `manage.py process_migrate`).
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.utils.translation import get_language_bidi, gettext
from django.utils.translation import gettext_lazy as _
from unfold.decorators import display
from unfold.widgets import (
    UnfoldAdminFileFieldWidget,
    UnfoldAdminTextInputWidget,
    UnfoldBooleanWidget,
)

from apps.meter_service import permissions
from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.engine import services, studio_page, validation, versions
from apps.meter_service.engine.error_codes import ProcessErrorCode
from apps.meter_service.engine.models import ProcessVersion
from apps.meter_service.sites import staff_site

MAX_DMN_FILES = 20
_DMN_NAME = re.compile(r"^[A-Za-z0-9_.-]+\.dmn$")


# --- the upload form --------------------------------------------------------------------------
class _MultipleFileInput(UnfoldAdminFileFieldWidget):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """Any number of files (none included) under one input."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"accept": ".dmn"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def _read_xml(uploaded: UploadedFile, suffix: str) -> str:
    """Return an uploaded BPMN or DMN file's text, refusing anything else before parsing."""
    name = uploaded.name or ""
    if not name.lower().endswith(suffix):
        raise ValidationError(
            _("%(file)s is not a %(suffix)s file."),
            code=CommonErrorCode.FILE_TYPE,
            params={"file": name, "suffix": suffix},
        )
    if (uploaded.size or 0) > validation.MAX_FILE_BYTES:
        raise ValidationError(
            _("%(file)s is larger than %(megabytes)s MB."),
            code=ProcessErrorCode.FILE_SIZE,
            params={"file": name, "megabytes": local_digits(_megabytes())},
        )
    try:
        text: str = uploaded.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("%(file)s is not a text file in UTF-8."),
            code=ProcessErrorCode.FILE_ENCODING,
            params={"file": name},
        ) from exc
    head = text.lstrip()
    if not head.startswith("<"):
        raise ValidationError(
            _("%(file)s is not an XML file."), code=CommonErrorCode.FILE_TYPE, params={"file": name}
        )
    # Modelers never write a DOCTYPE; refusing it keeps entity tricks out of the parsers.
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValidationError(
            _("%(file)s declares a DOCTYPE, which BPMN and DMN files never need."),
            code=ProcessErrorCode.FILE_DOCTYPE,
            params={"file": name},
        )
    return text


def _megabytes() -> str:
    return f"{validation.MAX_FILE_BYTES / (1024 * 1024):g}"


class ProcessUploadForm(forms.Form):
    """The BPMN file, any DMN files and a note; the service checks what is inside."""

    bpmn = forms.FileField(
        label=_("BPMN file"),
        widget=UnfoldAdminFileFieldWidget(attrs={"accept": ".bpmn"}),
        help_text=_("The whole process, as Camunda Modeler or bpmn.io saves it (.bpmn)."),
    )
    dmn = _MultipleFileField(
        label=_("DMN files"),
        help_text=_(
            "Only the decision tables that changed (.dmn); a table not uploaded is kept from "
            "the active version under the same file name."
        ),
    )
    only_uploaded_dmn = forms.BooleanField(
        label=_("Use only the DMN files uploaded here"),
        required=False,
        widget=UnfoldBooleanWidget(),
        help_text=_("Drops the active version's DMN files that are not uploaded again."),
    )
    note = forms.CharField(
        label=_("what changed"),
        max_length=ProcessVersion._meta.get_field("note").max_length,
        widget=UnfoldAdminTextInputWidget(),
    )

    def clean_bpmn(self) -> str:
        return _read_xml(self.cleaned_data["bpmn"], ".bpmn")

    def clean_dmn(self) -> dict[str, str]:
        files = self.cleaned_data["dmn"]
        if len(files) > MAX_DMN_FILES:
            raise ValidationError(
                _("Upload at most %(count)s DMN files."),
                code=ProcessErrorCode.TOO_MANY_FILES,
                params={"count": local_digits(MAX_DMN_FILES)},
            )
        texts: dict[str, str] = {}
        for uploaded in files:
            name = uploaded.name or ""
            text = _read_xml(uploaded, ".dmn")
            if not _DMN_NAME.match(name):
                raise ValidationError(
                    _(
                        "%(file)s: name DMN files with Latin letters, digits, dots, dashes "
                        "and underscores only."
                    ),
                    code=ProcessErrorCode.FILE_NAME,
                    params={"file": name},
                )
            if name in texts:
                raise ValidationError(
                    _("%(file)s was chosen twice."),
                    code=ProcessErrorCode.FILE_TWICE,
                    params={"file": name},
                )
            texts[name] = text
        return texts

    def dmn_files(self, kept: dict[str, str]) -> dict[str, str]:
        """The new version's DMN files: the uploaded ones over those kept from the active."""
        uploaded = self.cleaned_data["dmn"]
        if self.cleaned_data["only_uploaded_dmn"]:
            return dict(uploaded)
        return {**kept, **uploaded}


# --- the admin --------------------------------------------------------------------------------
@admin.register(ProcessVersion, site=staff_site)
class ProcessVersionAdmin(DocumentAdmin):
    """Versions are made by uploading and changed only by activation, never edited by hand."""

    list_display = [
        "number_label",
        "active_label",
        "note_text",
        "uploaded_by",
        "created_at",
        "running_count",
        "completed_count",
    ]
    list_display_links = ["number_label"]
    search_fields = ["note", "uploaded_by__username"]
    list_select_related = ["uploaded_by"]
    ordering = ["process_id", "-number"]
    warn_unsaved_form = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[versions.VersionWithCounts]:
        return versions.process_versions_with_counts(super().get_queryset(request))

    @admin.display(description=_("what changed"), ordering="note")
    def note_text(self, obj: ProcessVersion) -> str:
        return services.version_note(obj)

    # --- permissions: who may do what, in one place -----------------------------------------

    def has_delete_permission(
        self, request: HttpRequest, obj: ProcessVersion | None = None
    ) -> bool:
        # Claims ran on it, or may be moved back to it: a version is history, kept.
        return False

    def may_activate(self, request: HttpRequest) -> bool:
        """Activating is changing a version: service managers and system administrators."""
        allowed: bool = self.has_change_permission(request)
        return allowed

    # --- list -------------------------------------------------------------------------------

    @display(description=_("version"), ordering="number")
    def number_label(self, obj: ProcessVersion) -> str:
        return local_digits(obj.number)

    @display(
        description=_("active"),
        ordering="is_active",
        label={"active": "success", "draft": "warning"},
    )
    def active_label(self, obj: ProcessVersion) -> tuple[str, str | Promise] | str:
        if obj.is_draft:
            return ("draft", _("Draft"))
        return ("active", _("Active")) if obj.is_active else ""

    @display(description=_("running claims"), ordering="running")
    def running_count(self, obj: versions.VersionWithCounts) -> str:
        return local_digits(obj.running)

    @display(description=_("completed claims"), ordering="completed")
    def completed_count(self, obj: versions.VersionWithCounts) -> str:
        return local_digits(obj.completed)

    # --- urls -------------------------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        custom = [
            path("<int:object_id>/activate/", wrap(self.activate_view), name=f"{prefix}_activate"),
            *studio_page.urls(self, prefix),
            path(
                "<int:object_id>/file/<str:filename>/",
                wrap(self.file_view),
                name=f"{prefix}_file",
            ),
        ]
        # Before the admin's own URLs, whose "<object_id>/" would swallow these.
        own: list[URLPattern] = super().get_urls()
        return custom + own

    def _version_or_404(self, request: HttpRequest, object_id: int | str) -> ProcessVersion:
        # get_object goes through get_queryset, so the record rules apply.
        version: ProcessVersion | None = self.get_object(request, str(object_id))
        if version is None:
            raise Http404(_("No such record."))
        if not self.has_view_permission(request, version):
            raise PermissionDenied
        return version

    # --- upload -----------------------------------------------------------------------------

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Upload the files; accepted, they become an inactive version shown next to the
        active one. Refused, nothing is saved."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ProcessUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                with transaction.atomic():
                    current = services.process_version_active()
                    version = services.process_version_create(
                        bpmn=form.cleaned_data["bpmn"],
                        dmn_files=form.dmn_files(kept=current.dmn_files or {}),
                        # A BPMN file comes alone: its tasks keep the active version's forms.
                        forms=current.forms or None,
                        note=form.cleaned_data["note"],
                        actor=request.user,
                    )
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                self.message_user(
                    request,
                    gettext(
                        "Version %(number)s was saved and is not active yet: compare it with "
                        "the active version, then activate it."
                    )
                    % {"number": local_digits(version.number)},
                    messages.SUCCESS,
                )
                return redirect(self.page_url("change", version.pk))
        active = ProcessVersion.objects.filter(
            process_id=services.PROCESS_ID, is_active=True
        ).first()
        context = self.page_context(
            request,
            title=_("Upload a process version"),
            form=form,
            active=active,
            active_files=sorted(
                (active.dmn_files or {}) if active else services.workflow_files()[1]
            ),
            max_megabytes=local_digits(_megabytes()),
            add=True,
        )
        return TemplateResponse(request, "process/versions/upload.html", context)

    # --- the version page: facts, comparison, files, activation ------------------------------

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        version = self._version_or_404(request, object_id)
        others = ProcessVersion.objects.filter(process_id=version.process_id).exclude(pk=version.pk)
        against = None
        wanted = request.GET.get("against", "")
        if wanted.isdigit():
            against = others.filter(number=int(wanted)).first()
        if against is None:
            against = versions.process_version_compare_target(version)
        diff = versions.process_version_diff(against, version)
        counts = versions.process_version_counts(version)
        context = self.page_context(
            request,
            title=gettext("Process version %(number)s") % {"number": local_digits(version.number)},
            original=version,
            version=version,
            against=against,
            others=[(v.number, local_digits(v.number), v.is_active) for v in others],
            diff=diff,
            added_table=self._steps_table(diff.added),
            removed_table=self._steps_table(diff.removed),
            changed_table=self._changes_table(diff.changed),
            facts=[
                (_("version"), local_digits(version.number)),
                (_("what changed"), services.version_note(version)),
                (_("uploaded by"), version.uploaded_by or "—"),
                (_("uploaded at"), format_datetime(version.created_at)),
                (_("activated at"), format_datetime(version.activated_at) or "—"),
                (_("running claims"), local_digits(counts["running"])),
                (_("completed claims"), local_digits(counts["completed"])),
            ],
            files=[
                (name, self.page_url("file", version.pk, name), local_digits(len(text.encode())))
                for name, text in versions.process_version_files(version)
            ],
            may_activate=self.may_activate(request)
            and not version.is_active
            and not version.is_draft,
            studio_url=self.page_url("studio", version.pk)
            if permissions.may_edit_process(request.user)
            else "",
            activate_url=self.page_url("activate", version.pk),
            migrate_command=f"manage.py process_migrate --to {version.number} --dry-run",
        )
        return TemplateResponse(request, "process/versions/version.html", context)

    @staticmethod
    def _step_cells(bpmn_id: str, name: str) -> list[str]:
        return [
            format_html('<code class="meter-ltr">{}</code>', bpmn_id),
            gettext(name) if name else "—",
        ]

    def _steps_table(self, steps: list[versions.Step]) -> dict[str, Any]:
        return {
            "headers": [_("step"), _("name"), _("lane")],
            "rows": [[*self._step_cells(s.bpmn_id, s.name), s.lane or "—"] for s in steps],
        }

    def _changes_table(self, changes: list[versions.StepChange]) -> dict[str, Any]:
        rows = []
        for change in changes:
            bpmn_id, name = self._step_cells(change.bpmn_id, change.name)
            if change.renamed:
                old = gettext(change.old_name) if change.old_name else "—"
                name = gettext("%(new)s (was: %(old)s)") % {"new": name, "old": old}
            separator = "، " if get_language_bidi() else ", "
            rows.append([bpmn_id, name, separator.join(change.labels)])
        return {"headers": [_("step"), _("name"), _("what changed")], "rows": rows}

    # --- activate -----------------------------------------------------------------------------

    def activate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        """Confirm (GET), then make the version the one new claims start on (POST)."""
        version = self._version_or_404(request, object_id)
        if not self.may_activate(request):
            raise PermissionDenied
        if version.is_draft:
            # A draft is checked as a whole when it is deployed, from the studio.
            return redirect(self.page_url("studio", version.pk))
        if request.method == "POST":
            if version.is_active:
                self.message_user(
                    request,
                    gettext("Version %(number)s is already active.")
                    % {"number": local_digits(version.number)},
                    messages.INFO,
                )
            else:
                services.process_version_activate(version=version, actor=request.user)
                self.message_user(
                    request,
                    gettext(
                        "Version %(number)s is active: new claims start on it; running claims "
                        "keep their version."
                    )
                    % {"number": local_digits(version.number)},
                    messages.SUCCESS,
                )
            return redirect(self.page_url("change", version.pk))
        running_elsewhere = versions.process_versions_with_counts(
            ProcessVersion.objects.filter(process_id=version.process_id).exclude(pk=version.pk)
        ).values_list("running", flat=True)
        context = self.page_context(
            request,
            title=gettext("Activate process version %(number)s")
            % {"number": local_digits(version.number)},
            version=version,
            running_elsewhere=local_digits(sum(running_elsewhere)),
            change_url=self.page_url("change", version.pk),
            number=local_digits(version.number),
        )
        return TemplateResponse(request, "process/versions/activate.html", context)

    # --- download -----------------------------------------------------------------------------

    def file_view(self, request: HttpRequest, object_id: int, filename: str) -> HttpResponse:
        """Download one of the version's files, as uploaded (to edit and upload again)."""
        version = self._version_or_404(request, object_id)
        files = dict(versions.process_version_files(version))
        if filename not in files:
            raise Http404(_("No such file."))
        kind = "application/json" if filename.endswith(".form") else "application/xml"
        response = HttpResponse(files[filename].encode(), content_type=f"{kind}; charset=utf-8")
        disposition = content_disposition_header(True, filename)
        if disposition:  # always, for an attachment
            response["Content-Disposition"] = disposition
        return response
