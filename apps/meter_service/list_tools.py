"""Every desk list's tools: the columns a user picks, saved views, and CSV/XLSX exports.

The rows of an export are the list's own queryset (the admin's get_queryset: the record
rules, then the list's filters, search and ordering), so an export never holds a row the
list would not show. Cells are escaped against formulas; dates are in the active calendar.

A list's columns come from `list_columns()`: the admin's list_display, the plain fields it
allows (`list_extra_fields`), then whatever the functions registered with
`register_column_provider()` add for the model (custom fields, say).
"""

from __future__ import annotations

import csv
import datetime
import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from apps.meter_service import privacy
from apps.meter_service.core.display import is_persian, local_digits
from apps.meter_service.core.exports import spreadsheet_text
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.doctype.saved_list import rules, selectors, services
from apps.meter_service.doctype.saved_list.models import SavedList
from apps.meter_service.permissions import DESK_ROLES, role_label

SESSION_KEY = "meter_list_columns"
# Names of fields never offered as extra columns, whatever their type.
_SECRET_PARTS = ("hash", "secret", "pass", "token", "key", "payload", "otp")
_PLAIN_FIELDS = (
    models.CharField,
    models.IntegerField,
    models.DecimalField,
    models.DateField,
    models.BooleanField,
)


@dataclass(frozen=True)
class Column:
    """One column of a list: its name (kept in saved views), its header, and its value as
    a spreadsheet cell for a row."""

    name: str
    header: str
    value: Callable[[models.Model], Any]


ColumnProvider = Callable[[type[models.Model], HttpRequest], list[Column]]
_PROVIDERS: list[ColumnProvider] = []


def register_column_provider(provider: ColumnProvider) -> ColumnProvider:
    """Add columns to every desk list of a model (custom fields, say): the provider gets the
    model and the request and returns its columns (none for a model it does not know)."""
    _PROVIDERS.append(provider)
    return provider


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell: numbers stay numbers, dates in the active calendar,
    yes/no in words, HTML as its text."""
    if value is None:
        return ""
    if isinstance(value, tuple) and len(value) == 2:
        # A badge column (unfold's display(label=...)) gives (its key, the text shown).
        return cell(value[1])
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime.datetime):
        return format_datetime(value)
    if isinstance(value, datetime.date):
        return format_date(value)
    if isinstance(value, models.Model):
        return str(value)
    return html.unescape(strip_tags(str(value))).strip()


def column_key(item: Any) -> str:
    return item if isinstance(item, str) else getattr(item, "__name__", str(item))


def _display_column(model_admin: Any, item: Any, key: str) -> Column:
    model = model_admin.model
    header = str(label_for_field(item, model, model_admin))

    def value(obj: models.Model) -> Any:
        field, _attr, raw = lookup_field(item, obj, model_admin)
        if field is not None and getattr(field, "flatchoices", None):
            return cell(dict(field.flatchoices).get(raw, raw))
        return cell(raw)

    return Column(key, capfirst(header), value)


def extra_field_names(model_admin: Any, request: HttpRequest) -> list[str]:
    """The plain fields a list may show beside its list_display: the admin's
    `list_extra_fields`, else its model's plain fields holding no secret and, for a viewer who
    sees them masked, no personal data."""
    allowed = getattr(model_admin, "list_extra_fields", None)
    if allowed is not None:
        return list(allowed)
    masked = not privacy.sees_personal_data(request.user)
    names = []
    for field in model_admin.model._meta.concrete_fields:
        if field.primary_key or field.is_relation or not isinstance(field, _PLAIN_FIELDS):
            continue
        if any(part in field.name for part in _SECRET_PARTS):
            continue
        if masked and privacy.is_personal(field.name):
            continue
        names.append(field.name)
    return names


def list_columns(model_admin: Any, request: HttpRequest) -> list[Column]:
    """Every column the user may pick for this list, in order (see the module's doc)."""
    columns: dict[str, Column] = {}
    for item, key in model_admin.all_list_display(request):
        if key == "action_checkbox":
            continue
        columns[key] = _display_column(model_admin, item, key)
    # A field the list already shows through a column of its own (under the same header)
    # is not offered twice.
    headers = {c.header for c in columns.values()}
    for name in extra_field_names(model_admin, request):
        column = _display_column(model_admin, name, name)
        if name not in columns and column.header not in headers:
            columns[name] = column
    for provider in _PROVIDERS:
        for column in provider(model_admin.model, request):
            columns.setdefault(column.name, column)
    return list(columns.values())


def _session_key(model_admin: Any) -> str:
    return f"{model_admin.opts.app_label}.{model_admin.opts.model_name}"


def chosen_columns(model_admin: Any, request: HttpRequest) -> list[str] | None:
    """The columns the user chose for this list (this request's, then the session's), or
    None for the list's own."""
    chosen = getattr(request, "_meter_list_columns", None)
    if chosen is None:
        session = getattr(request, "session", None)
        chosen = (session or {}).get(SESSION_KEY, {}).get(_session_key(model_admin))
    return list(chosen) if chosen else None


def keep_columns(model_admin: Any, request: HttpRequest, columns: list[str]) -> None:
    """Remember the user's columns for this list in their session (empty: the list's own)."""
    kept = dict(request.session.get(SESSION_KEY, {}))
    if columns:
        kept[_session_key(model_admin)] = columns
    else:
        kept.pop(_session_key(model_admin), None)
    request.session[SESSION_KEY] = kept


def shown_columns(model_admin: Any, request: HttpRequest) -> list[Column]:
    """The columns the list shows and exports: the chosen ones, else the list's own."""
    every = list_columns(model_admin, request)
    chosen = chosen_columns(model_admin, request)
    if chosen:
        picked = [c for c in every if c.name in chosen]
        if picked:
            return picked
    own = {key for _item, key in model_admin.all_list_display(request)}
    return [c for c in every if c.name in own]


class TooManyRows(Exception):
    def __init__(self, count: int, limit: int) -> None:
        super().__init__(count, limit)
        self.count = count
        self.limit = limit


@dataclass(frozen=True)
class ListTable:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def list_table(
    model_admin: Any,
    request: HttpRequest,
    queryset: models.QuerySet[Any],
    *,
    limit: int | None = None,
) -> ListTable:
    """The rows of a list's queryset in its shown columns; TooManyRows over the limit."""
    limit = rules.export_row_limit() if limit is None else limit
    count = queryset.count()
    if count > limit:
        raise TooManyRows(count, limit)
    columns = shown_columns(model_admin, request)
    rows = [[spreadsheet_text(c.value(obj)) for c in columns] for obj in queryset[:limit]]
    return ListTable(
        title=str(capfirst(model_admin.opts.verbose_name_plural)),
        headers=[spreadsheet_text(c.header) for c in columns],
        rows=rows,
    )


def to_csv(table: ListTable) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read Persian text right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    writer.writerows(table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(table: ListTable, *, right_to_left: bool) -> bytes:
    """One worksheet: a bold header row, then the rows; text never becomes a formula."""
    from openpyxl import Workbook  # a large import, only for the export itself
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = table.title[:31] or "list"
    sheet.sheet_view.rightToLeft = right_to_left
    sheet.append(table.headers)
    for header in sheet[1]:
        header.font = Font(bold=True)
    for row in table.rows:
        sheet.append(row)
        for each in sheet[sheet.max_row]:
            if isinstance(each.value, str) and each.data_type == "f":
                each.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def file_body(table: ListTable, file_format: str, *, right_to_left: bool) -> bytes:
    if file_format == "csv":
        return to_csv(table)
    return to_xlsx(table, right_to_left=right_to_left)


def shown_column(column: Column) -> Callable[[models.Model], Any]:
    """A column the list_display lacks (an extra field, a provider's), as a list column."""

    def value(obj: models.Model) -> Any:
        return column.value(obj)

    value.short_description = column.header  # type: ignore[attr-defined]  # admin's display
    value.__name__ = column.name
    return value


# --- the list page's controls ---------------------------------------------------------------


def _tools_url(model_admin: Any, name: str, *args: object) -> str:
    """The URL of one of the admin's pages ("changelist", "list_export", ...)."""
    opts = model_admin.opts
    return reverse(
        f"{model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_{name}", args=args
    )


def _back(model_admin: Any, query: str) -> HttpResponseRedirect:
    url = _tools_url(model_admin, "changelist")
    return HttpResponseRedirect(f"{url}?{query}" if query else url)


def _posted_query(request: HttpRequest) -> str:
    return rules.clean_query(request.POST.get("query", ""))


def _error_text(error: ValidationError) -> str:
    return " ".join(str(m) for m in error.messages)


class ListToolsMixin:
    """A desk list's saved views, column choice and exports: a mixin before ModelAdmin (every
    DocumentAdmin has it; another admin of the desk may take it on as it is)."""

    # What ModelAdmin, which comes after this mixin, provides.
    opts: Any
    admin_site: Any
    has_view_or_change_permission: Callable[..., bool]
    get_changelist_instance: Callable[..., Any]

    list_before_template = "meter_service/desk/list_tools.html"
    # Plain fields a user may add as columns; None: the model's plain fields (extra_field_names).
    list_extra_fields: tuple[str, ...] | None = None

    def all_list_display(self, request: HttpRequest) -> list[tuple[Any, str]]:
        """The list's own columns as (what list_display names, its key)."""
        return [(item, column_key(item)) for item in self.own_list_display(request)]

    def own_list_display(self, request: HttpRequest) -> list[Any]:
        """The admin's list_display, before the user's choice."""
        return list(super().get_list_display(request))  # type: ignore[misc]  # ModelAdmin's, after the mixin

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        own = {key: item for item, key in self.all_list_display(request)}
        if chosen_columns(self, request) is None:
            return list(own.values())
        return [
            own[column.name] if column.name in own else shown_column(column)
            for column in shown_columns(self, request)
        ]

    def get_urls(self) -> list[Any]:
        return [*self.list_tools_urls(), *super().get_urls()]  # type: ignore[misc]  # ModelAdmin's, after the mixin

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> Any:
        extra = {"list_tools": self.list_tools_context(request), **(extra_context or {})}
        return super().changelist_view(request, extra)  # type: ignore[misc]  # ModelAdmin's

    def list_tools_urls(self) -> list[Any]:
        admin_site: Any = self.admin_site
        opts: Any = self.opts
        prefix = f"{opts.app_label}_{opts.model_name}"
        view = admin_site.admin_view
        return [
            path(
                "list/export/<str:file_format>/",
                view(require_safe(self.list_export_view)),
                name=f"{prefix}_list_export",
            ),
            path(
                "list/columns/",
                view(require_POST(self.list_columns_view)),
                name=f"{prefix}_list_columns",
            ),
            path(
                "list/views/", view(require_POST(self.list_save_view)), name=f"{prefix}_list_save"
            ),
            path(
                "list/views/<int:pk>/",
                view(require_safe(self.list_apply_view)),
                name=f"{prefix}_list_apply",
            ),
            path(
                "list/views/<int:pk>/delete/",
                view(require_POST(self.list_delete_view)),
                name=f"{prefix}_list_delete",
            ),
        ]

    def _require_list(self, request: HttpRequest) -> None:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied

    def list_tools_context(self, request: HttpRequest) -> dict[str, Any]:
        """What the list page's tools show: the views, the columns, the export links."""
        opts: Any = self.opts
        query = rules.clean_query(request.GET.urlencode())
        shown = {c.name for c in shown_columns(self, request)}
        user: Any = request.user
        views = selectors.saved_lists_for(
            user, app_label=opts.app_label, model_name=opts.model_name
        )
        suffix = f"?{query}" if query else ""
        return {
            "query": query,
            "columns": [
                {"name": c.name, "header": c.header, "shown": c.name in shown}
                for c in list_columns(self, request)
            ],
            "columns_chosen": chosen_columns(self, request) is not None,
            "views": [
                {
                    "name": v.name,
                    "mine": v.owner_id == user.pk,
                    "shared_role": role_label(v.shared_role) if v.shared_role else "",
                    "apply_url": _tools_url(self, "list_apply", v.pk),
                    "delete_url": _tools_url(self, "list_delete", v.pk),
                }
                for v in views
            ],
            "share_roles": [
                (role, role_label(role))
                for role in sorted(DESK_ROLES)
                if services.may_share_with(user, role)
            ],
            "save_url": _tools_url(self, "list_save"),
            "columns_url": _tools_url(self, "list_columns"),
            "export_csv": _tools_url(self, "list_export", "csv") + suffix,
            "export_xlsx": _tools_url(self, "list_export", "xlsx") + suffix,
            "limit": local_digits(rules.export_row_limit()),
        }

    def list_export_view(self, request: HttpRequest, file_format: str) -> HttpResponse:
        """The list as it is filtered, searched and ordered, as CSV or XLSX."""
        self._require_list(request)
        if file_format not in FORMATS:
            raise Http404(_("No such export format."))
        query = rules.clean_query(request.GET.urlencode())
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            messages.error(request, _("The list's filters are not valid; nothing was exported."))
            return _back(self, "")
        try:
            table = list_table(self, request, changelist.queryset)
        except TooManyRows as over:
            messages.error(
                request,
                _(
                    "This list has %(count)s rows; an export holds at most %(limit)s. "
                    "Narrow the list with its filters or search and export again."
                )
                % {"count": local_digits(over.count), "limit": local_digits(over.limit)},
            )
            return _back(self, query)
        opts: Any = self.opts
        user: Any = request.user
        services.list_export_record(
            actor=user,
            user=user,
            list_label=f"{opts.app_label}.{opts.model_name}",
            query=query,
            rows=len(table.rows),
            file_format=file_format,
        )
        body = file_body(table, file_format, right_to_left=is_persian())
        response = HttpResponse(body, content_type=FORMATS[file_format])
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = (
            f'attachment; filename="{opts.model_name}-{stamp}.{file_format}"'
        )
        return response

    def list_columns_view(self, request: HttpRequest) -> HttpResponse:
        """Keep the columns the user ticked for this list (or go back to the list's own)."""
        self._require_list(request)
        query = _posted_query(request)
        if "reset" in request.POST:
            keep_columns(self, request, [])
            return _back(self, query)
        allowed = [c.name for c in list_columns(self, request)]
        try:
            chosen = rules.clean_columns(request.POST.getlist("columns"), allowed)
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return _back(self, query)
        keep_columns(self, request, chosen)
        return _back(self, query)

    def list_save_view(self, request: HttpRequest) -> HttpResponse:
        """Save the list's current filters and columns as a view of the user's."""
        self._require_list(request)
        opts: Any = self.opts
        query = _posted_query(request)
        user: Any = request.user
        try:
            view = services.saved_list_save(
                actor=user,
                app_label=opts.app_label,
                model_name=opts.model_name,
                name=request.POST.get("name", ""),
                query=query,
                columns=chosen_columns(self, request) or [],
                allowed_columns=[c.name for c in list_columns(self, request)],
                shared_role=request.POST.get("shared_role", ""),
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
            return _back(self, query)
        messages.success(request, _("The view “%(name)s” is saved.") % {"name": view.name})
        return _back(self, query)

    def _view_of_list(self, request: HttpRequest, pk: int) -> SavedList:
        opts: Any = self.opts
        user: Any = request.user
        view = selectors.saved_list_visible(user, pk)
        if view is None or (view.app_label, view.model_name) != (opts.app_label, opts.model_name):
            raise Http404(_("No such view."))
        return view

    def list_apply_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Open the list as a saved view left it: its filters and its columns."""
        self._require_list(request)
        view = self._view_of_list(request, pk)
        allowed = {c.name for c in list_columns(self, request)}
        keep_columns(self, request, [name for name in view.columns if name in allowed])
        return _back(self, view.query)

    def list_delete_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._require_list(request)
        view = self._view_of_list(request, pk)
        user: Any = request.user
        try:
            services.saved_list_delete(actor=user, saved_list=view)
        except PermissionDenied:
            messages.error(request, _("Only the owner deletes a view."))
            return _back(self, _posted_query(request))
        messages.success(request, _("The view “%(name)s” is deleted.") % {"name": view.name})
        return _back(self, _posted_query(request))
