"""Uploaded files are served only through this view, to those who may see their record.

Every FileField's URL is /files/<name> (MEDIA_URL); the view finds the record that holds the
file and asks the permissions module: company staff need the model's view permission, and
anyone else the record rule of the record the file belongs to (a subscriber sees the scan
of their own claim and the attachments of their own complaints). Missing and forbidden
files answer the same 404. Behind nginx or Apache the web process only authorises:
`files_sendfile` in the site config ("x-accel-redirect" or "x-sendfile") hands the sending
to the proxy. On an object store (`files_backend` "s3") the view streams the object, or with
`files_presigned_seconds` redirects to a presigned link that lives that long.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from urllib.parse import quote

from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from apps.meter_service import permissions
from apps.meter_service.core import uploads
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint

INLINE_TYPES = set(uploads.EXTENSIONS)
CONTENT_TYPES = {extension: kind for kind, extension in uploads.EXTENSIONS.items()}
CONTENT_TYPES.update({"csv": "text/csv", "xlsx": uploads.XLSX_TYPE})


def _file_fields() -> Iterator[tuple[type[models.Model], str]]:
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                yield model, field.name


def _owner_visible(user, record: models.Model) -> bool:
    """Whether someone outside company staff may see the record a file belongs to."""

    if isinstance(record, Claim):
        return permissions.scope(user, Claim.objects.filter(pk=record.pk)).exists()
    followup = getattr(record, "followup", None)  # a complaint's attachment (django-helpdesk)
    if followup is not None and getattr(followup, "public", False):
        complaints = Complaint.objects.filter(ticket_id=followup.ticket_id)
        return permissions.scope(user, complaints).exists()
    return False


def may_read(user, record: models.Model) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if permissions.is_company_staff(user):
        meta = record._meta
        return user.has_perm(f"{meta.app_label}.view_{meta.model_name}")
    return _owner_visible(user, record)


def _record_of(name: str) -> models.Model | None:
    for model, field in _file_fields():
        record = model._default_manager.filter(**{field: name}).first()
        if record is not None:
            return record
    return None


@require_GET
def private_file(request: HttpRequest, name: str) -> HttpResponseBase:
    clean = posixpath.normpath(name)
    if clean != name or clean.startswith(("/", "..")):
        raise Http404(_("No such file."))
    record = _record_of(name)
    if record is None or not may_read(request.user, record):
        raise Http404(_("No such file."))
    return send(name)


def send(
    name: str,
    *,
    content_type: str | None = None,
    filename: str | None = None,
    as_attachment: bool | None = None,
    storage=None,
) -> HttpResponseBase:
    """The file's response: streamed here, handed to the proxy, or a presigned redirect.

    Callers have checked who may read the file. On an object store with
    `files_presigned_seconds` set, the answer is a redirect to a link that lives that many
    seconds and carries our content type and disposition; the bucket itself stays private.
    """
    storage = storage or default_storage
    if content_type is None:
        extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
        content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    if as_attachment is None:
        as_attachment = content_type not in INLINE_TYPES
    disposition = content_disposition_header(as_attachment, filename or posixpath.basename(name))
    mode = getattr(settings, "METER_FILES_SENDFILE", "")
    presigned = getattr(settings, "METER_FILES_PRESIGNED_SECONDS", 0)
    response: HttpResponseBase
    if presigned and hasattr(storage, "presigned_url"):
        if not storage.exists(name):
            raise Http404(_("No such file."))
        response = HttpResponseRedirect(
            storage.presigned_url(
                name,
                expire=presigned,
                content_type=content_type,
                content_disposition=disposition,
            )
        )
    elif mode == "x-accel-redirect":
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.METER_FILES_INTERNAL_URL + quote(name)
    elif mode == "x-sendfile":
        response = HttpResponse(content_type=content_type)
        response["X-Sendfile"] = storage.path(name)
    else:
        try:
            handle = storage.open(name, "rb")
        except FileNotFoundError as exc:
            raise Http404(_("No such file.")) from exc
        response = FileResponse(handle, content_type=content_type)
    if disposition is not None:  # None: no file name to give (a header "None" before)
        response["Content-Disposition"] = disposition
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'"
    response["Cache-Control"] = "private, no-store"
    return response
