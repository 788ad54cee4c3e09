"""The process studio's desk pages: the bpmn-js and dmn-js modelers and their JSON actions.

The page opens a version's files in the modelers (static/meter_service/js/process-studio.js)
and its user tasks' forms in form-js's editor; its buttons post the edited XML and forms
(form-js schemas by formKey) here to save a draft, validate it (with the comparison the
version page shows), dry-run it and deploy it. Who may: `permissions.may_edit_process`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, TypeAlias

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_POST

from apps.meter_service import permissions
from apps.meter_service.core.display import local_digits
from apps.meter_service.engine import services, studio, versions
from apps.meter_service.engine.forms import forms_of
from apps.meter_service.engine.models import ProcessVersion

if TYPE_CHECKING:  # admin.py imports this module for its URLs
    from apps.meter_service.engine.admin import ProcessVersionAdmin

# A studio view: the version admin, the request and the URL's arguments.
StudioView: TypeAlias = Callable[..., HttpResponse]

MAX_BODY_BYTES = 8 * 1024 * 1024

# bpmn-js's own strings (palette, context pad, replace menu) by their English text, given to
# its `translate` module; the catalogue has their Persian.
MODELER_STRINGS = [
    gettext_noop("Activate the hand tool"),
    gettext_noop("Activate the lasso tool"),
    gettext_noop("Activate the create/remove space tool"),
    gettext_noop("Activate the global connect tool"),
    gettext_noop("Create start event"),
    gettext_noop("Create intermediate/boundary event"),
    gettext_noop("Create end event"),
    gettext_noop("Create gateway"),
    gettext_noop("Create task"),
    gettext_noop("Create data object reference"),
    gettext_noop("Create data store reference"),
    gettext_noop("Create expanded sub-process"),
    gettext_noop("Create pool/participant"),
    gettext_noop("Create group"),
    gettext_noop("Append end event"),
    gettext_noop("Append gateway"),
    gettext_noop("Append task"),
    gettext_noop("Append intermediate/boundary event"),
    gettext_noop("Append text annotation"),
    gettext_noop("Add text annotation"),
    gettext_noop("Change element"),
    gettext_noop("Change type"),
    gettext_noop("Delete"),
    gettext_noop("Connect using sequence/message flow or association"),
    gettext_noop("Connect using association"),
    gettext_noop("Connect to other element"),
    gettext_noop("Connect using data input association"),
    gettext_noop("Add lane above"),
    gettext_noop("Add lane below"),
    gettext_noop("Divide into two lanes"),
    gettext_noop("Divide into three lanes"),
    gettext_noop("Search in diagram"),
    gettext_noop("Start event"),
    gettext_noop("End event"),
    gettext_noop("Task"),
    gettext_noop("User task"),
    gettext_noop("Service task"),
    gettext_noop("Exclusive gateway"),
    gettext_noop("Parallel gateway"),
]


def urls(admin: ProcessVersionAdmin, prefix: str) -> list[URLPattern]:
    wrap = admin.admin_site.admin_view

    def bound(view: StudioView) -> StudioView:
        return lambda request, **kwargs: view(admin, request, **kwargs)

    # The actions change state: POST only (the page posts JSON with its CSRF token).
    actions: dict[str, StudioView] = {
        "save": save_view,
        "validate": validate_view,
        "dry_run": dry_run_view,
    }
    actions["deploy"] = deploy_view
    return [
        path("studio/", wrap(bound(active_view)), name=f"{prefix}_studio_active"),
        path("<int:object_id>/studio/", wrap(bound(studio_view)), name=f"{prefix}_studio"),
        *(
            path(
                f"<int:object_id>/studio/{name.replace('_', '-')}/",
                wrap(require_POST(bound(view))),
                name=f"{prefix}_studio_{name}",
            )
            for name, view in actions.items()
        ),
    ]


def _version(admin: ProcessVersionAdmin, request: HttpRequest, object_id: int) -> ProcessVersion:
    """The version, for a user the studio is for (403 for everyone else)."""
    if not permissions.may_edit_process(request.user):
        raise PermissionDenied
    return admin._version_or_404(request, object_id)


def active_view(admin: ProcessVersionAdmin, request: HttpRequest) -> HttpResponse:
    """The studio on the active version (the desk's menu links here)."""
    if not permissions.may_edit_process(request.user):
        raise PermissionDenied
    return redirect(admin.page_url("studio", services.process_version_active().pk))


def _body(request: HttpRequest) -> dict[str, Any]:
    if len(request.body) > MAX_BODY_BYTES:
        raise ValidationError(gettext("The files are too large."))
    try:
        data = json.loads(request.body or b"{}")
    except ValueError as exc:
        raise ValidationError(gettext("The request is not JSON.")) from exc
    if not isinstance(data, dict):
        raise ValidationError(gettext("The request is not JSON."))
    return data


def _refused(error: ValidationError) -> JsonResponse:
    return JsonResponse({"errors": error.messages}, status=400)


def studio_view(admin: ProcessVersionAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    version = _version(admin, request, object_id)
    number = local_digits(version.number)
    data = {
        "bpmn": version.bpmn,
        "dmn": version.dmn_files or {},
        "forms": forms_of(version),
        "draft": version.is_draft,
        "urls": {
            name: admin.page_url(f"studio_{name}", version.pk)
            for name in ("save", "validate", "dry_run", "deploy")
        },
        "translations": {text: gettext(text) for text in MODELER_STRINGS},
        "text": {
            "saved": gettext("Draft saved."),
            "valid": gettext("The draft passes every check."),
            "refused": gettext("The checks refuse the draft:"),
            "unchanged": gettext("No step differs from the active version."),
            "added": gettext("Steps added"),
            "removed": gettext("Steps removed"),
            "changed": gettext("Steps changed"),
            "path": gettext("Path taken"),
            "forms": gettext("Forms of the people's steps"),
            "completed": gettext("The process ended at %(end)s."),
            "messages": gettext("Messages passed in"),
            "deployed": gettext("Deployed: new claims start on this version."),
            "confirm_deploy": gettext(
                "Deploy this draft? New claims start on it; running claims keep their version."
            ),
            "failed": gettext("The request failed."),
            "forms_changed": gettext("Forms changed"),
            "no_forms": gettext("This version has no forms."),
        },
    }
    title = (
        gettext("Process studio: draft %(number)s")
        if version.is_draft
        else gettext("Process studio: version %(number)s")
    ) % {"number": number}
    context = admin.page_context(
        request,
        title=title,
        version=version,
        studio_data=data,
        change_url=admin.page_url("change", version.pk),
    )
    return TemplateResponse(request, "process/versions/studio.html", context)


def save_view(admin: ProcessVersionAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    version = _version(admin, request, object_id)
    try:
        data = _body(request)
        bpmn, dmn = data.get("bpmn"), data.get("dmn") or {}
        forms = data.get("forms")
        if not isinstance(bpmn, str) or not isinstance(dmn, dict):
            raise ValidationError(gettext("The request is not JSON."))
        if not all(isinstance(v, str) for v in dmn.values()):
            raise ValidationError(gettext("The request is not JSON."))
        if forms is not None and not isinstance(forms, dict):
            raise ValidationError(gettext("The request is not JSON."))
        if forms is None and not version.is_draft:
            forms = forms_of(version)  # a new draft keeps the forms of its version
        draft = studio.process_draft_save(
            bpmn=bpmn,
            dmn_files=dmn,
            forms=forms,
            note=str(data.get("note") or ""),
            draft=version if version.is_draft else None,
            actor=request.user,
        )
    except ValidationError as error:
        return _refused(error)
    return JsonResponse(
        {
            "id": draft.pk,
            "number": local_digits(draft.number),
            "studio_url": admin.page_url("studio", draft.pk),
        }
    )


def _steps(steps: Iterable[versions.Step]) -> list[dict[str, str]]:
    return [{"id": s.bpmn_id, "name": gettext(s.name) if s.name else ""} for s in steps]


def validate_view(admin: ProcessVersionAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    version = _version(admin, request, object_id)
    problems = studio.process_draft_problems(version)
    against = versions.process_version_compare_target(version)
    diff = None
    if not problems:
        found = versions.process_version_diff(against, version)
        diff = {
            "against": local_digits(against.number) if against else "",
            "added": _steps(found.added),
            "removed": _steps(found.removed),
            "changed": [
                {"id": c.bpmn_id, "name": gettext(c.name) if c.name else "", "what": c.labels}
                for c in found.changed
            ],
            "forms": found.forms_added + found.forms_removed + found.forms_changed,
        }
    return JsonResponse(
        {
            "problems": [{"message": p.message, "elements": p.elements} for p in problems],
            "diff": diff,
        }
    )


def dry_run_view(admin: ProcessVersionAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    version = _version(admin, request, object_id)
    try:
        samples = _body(request).get("samples") or {}
    except ValidationError as error:
        return _refused(error)
    if not isinstance(samples, dict):
        samples = {}
    run = studio.process_dry_run(version=version, samples=samples, actor=request.user)
    names = studio.step_names(version)
    return JsonResponse(
        {
            "path": [
                {"id": i, "name": gettext(names[i]) if names.get(i) else ""} for i in run.path
            ],
            "tasks": [
                {
                    "element": t.element,
                    "name": t.name,
                    "lane": permissions.role_label(t.lane) if t.lane else "",
                    "fields": t.fields,
                    "data": {k: str(v) for k, v in t.data.items()},
                    "errors": t.errors,
                }
                for t in run.tasks
            ],
            "messages": run.messages,
            "completed": run.completed,
            "end_event": run.end_event,
            "stopped": run.stopped,
        }
    )


def deploy_view(admin: ProcessVersionAdmin, request: HttpRequest, object_id: int) -> HttpResponse:
    version = _version(admin, request, object_id)
    try:
        deployed = studio.process_draft_deploy(draft=version, actor=request.user)
    except ValidationError as error:
        return _refused(error)
    return JsonResponse(
        {"number": local_digits(deployed.number), "url": admin.page_url("change", deployed.pk)}
    )
