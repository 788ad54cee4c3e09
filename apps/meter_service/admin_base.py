"""The desk's base admin: record rules, services for writes, Jalali dates, digit input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.views.decorators.http import require_POST
from unfold.admin import ModelAdmin, TabularInline
from unfold.widgets import UnfoldAdminTextInputWidget

from apps.meter_service import list_tools, permissions, privacy
from apps.meter_service.audit.history import document_events, history_rows
from apps.meter_service.core import formfields
from apps.meter_service.core.desk_widgets import JalaliDateInput
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.forms import DigitNormalizingModelForm, normalize_search
from apps.meter_service.core.jalali import JalaliDateField, format_date, format_datetime

# Model field name -> form field class, wherever such a field appears in the desk.
IDENTIFIER_FIELDS: dict[str, Callable[..., object]] = {
    "national_id": formfields.NationalIdField,
    "national_legal_id": formfields.NationalLegalIdField,
    "mobile": formfields.MobileField,
    "bill_id": lambda **kw: formfields.BillIdField(gas_only=True, **kw),
    "payment_id": formfields.PaymentIdField,
    "subscription_number": formfields.SubscriptionNumberField,
}


def _date_column(field: models.Field) -> Callable:
    """Return a list column that shows a date field in the active calendar."""
    show = format_datetime if isinstance(field, models.DateTimeField) else format_date

    @admin.display(description=capfirst(field.verbose_name), ordering=field.name)
    def column(obj):
        return show(getattr(obj, field.name))

    column.__name__ = f"{field.name}_jalali"
    return column


def reveal_button(url: str) -> str:
    """The control that shows a masked value in full: a submit button posting to the reveal
    page with the change form's own CSRF token (a form may not hold another form)."""
    return format_html(
        '<button type="submit" formaction="{}" formmethod="post" formnovalidate '
        'class="meter-reveal text-primary-600 underline text-sm">{}</button>',
        url,
        gettext("Show in full"),
    )


class DeskFormFieldsMixin:
    """Swap in Jalali date fields and identifier fields on every desk form."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        common = {
            "required": not db_field.blank,
            "label": capfirst(db_field.verbose_name),
            "help_text": db_field.help_text,
        }
        if db_field.name in IDENTIFIER_FIELDS and isinstance(db_field, models.CharField):
            return IDENTIFIER_FIELDS[db_field.name](widget=UnfoldAdminTextInputWidget(), **common)
        if type(db_field) is models.DateField:
            return JalaliDateField(widget=JalaliDateInput(), **common)
        # A mixin of ModelAdmin, whose method this is.
        field = super().formfield_for_dbfield(db_field, request, **kwargs)  # type: ignore[misc]
        if isinstance(db_field, models.DecimalField | models.IntegerField) and not db_field.choices:
            # A number input refuses Persian digits in the browser; a text input with a
            # numeric keyboard takes them, and the form normalises them.
            field.widget = UnfoldAdminTextInputWidget(
                attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}
            )
        return field


class DocumentAdmin(list_tools.ListToolsMixin, DeskFormFieldsMixin, ModelAdmin):
    """Base of every document's admin.

    Lists go through the record rules; saves go through the document's services (so the
    desk, imports and API share one set of rules and one audit trail).
    """

    # Persian digits are made Latin by default; a page may take a plain ModelForm.
    form: type[forms.ModelForm[Any]] = DigitNormalizingModelForm
    warn_unsaved_form = True
    compressed_fields = True
    list_per_page = 50

    # --- the document's own desk pages (uploads, confirmations) --------------------------
    def page_url(self, name: str, *args) -> str:
        """The URL of one of this admin's pages ("change", or a page of its get_urls)."""
        return reverse(
            f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_{name}",
            args=args,
        )

    def page_context(self, request, **extra) -> dict:
        """What the desk's templates need on a page of this admin, plus `extra`."""
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "app_label": self.opts.app_label,
            "has_view_permission": self.has_view_permission(request),
            "has_add_permission": self.has_add_permission(request),
            **extra,
        }

    # --- the History page: the document's audit trail ------------------------------------
    def history_rows(self, obj) -> list:
        """The rows of the document's History page (ClaimAdmin adds its related documents)."""

        return history_rows(obj, document_events(obj))

    def history_view(self, request, object_id, extra_context=None):
        """The document's audit events, not Django's LogEntry rows (which nothing writes)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        context = self.page_context(
            request,
            title=gettext("History: %(document)s") % {"document": obj},
            subtitle=None,
            object=obj,
            original=obj,
            rows=self.history_rows(obj),
            **(extra_context or {}),
        )
        return TemplateResponse(request, "meter_service/desk/history.html", context)

    def create_document(self, request, fields: dict) -> models.Model:
        raise NotImplementedError

    def update_document(self, request, instance: models.Model, fields: dict) -> models.Model:
        raise NotImplementedError

    def get_queryset(self, request):
        return permissions.scope(request.user, super().get_queryset(request))

    # --- personal data: masked for the roles that do not need it (privacy.py) -------------
    def personal_fields(self) -> list[str]:
        """The model's fields holding personal data (mobiles, national IDs)."""
        return [f.name for f in self.model._meta.concrete_fields if privacy.is_personal(f.name)]

    def _masked_columns(self, request, *, on_form: bool = True) -> dict[str, Callable]:
        """For a viewer who sees personal data masked, a read-only column per personal field
        showing it through privacy.shown (on the change form with the control to show it in
        full; a list has no form to post it from). The same callables for the whole request,
        as the form's fields and read-only fields must name the same objects. Empty for a
        viewer who sees personal data in full."""
        if privacy.sees_personal_data(request.user):
            return {}
        columns = getattr(request, "_meter_masked_columns", None)
        if columns is None:
            columns = request._meter_masked_columns = {}
        key = (self.model._meta.label, on_form)
        if key not in columns:
            columns[key] = {
                name: self._masked_column(request, name, on_form=on_form)
                for name in self.personal_fields()
            }
        return columns[key]

    def _masked_column(self, request, name: str, *, on_form: bool) -> Callable:
        user = request.user
        may_reveal = on_form and privacy.may_reveal(user)

        @admin.display(description=capfirst(self.model._meta.get_field(name).verbose_name))
        def column(obj):
            value = privacy.shown(user, obj, name)
            if not value:
                return "—"
            shown = format_html('<span dir="ltr">{}</span>', local_digits(value))
            if not may_reveal or obj.pk is None:
                return shown
            return format_html("{}{}", shown, reveal_button(self.page_url("reveal", obj.pk, name)))

        column.__name__ = f"{name}_masked"
        return column

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        masked = self._masked_columns(request)
        if not masked:
            return fieldsets
        return [
            (
                title,
                {**options, "fields": [masked.get(n, n) for n in options.get("fields", [])]},
            )
            for title, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, *self._masked_columns(request).values()]

    def get_search_fields(self, request):
        return privacy.search_fields_for(request.user, super().get_search_fields(request))

    def lookup_allowed(self, lookup, value, request=None):
        # The admin lets any local field filter a list (?national_id=...): that too would
        # confirm a guess to a viewer who sees the field masked.
        user = getattr(request, "user", None)
        if privacy.search_fields_for(user, [lookup]) == []:
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_urls(self):
        reveal = path(
            "<path:object_id>/reveal/<str:field>/",
            self.admin_site.admin_view(require_POST(self.reveal_view)),
            name=f"{self.opts.app_label}_{self.opts.model_name}_reveal",
        )
        return [reveal, *super().get_urls()]

    def reveal_view(self, request, object_id, field):
        """Show one personal field in full to a role allowed to reveal it, and record who saw
        which subscriber's which field (privacy.reveal); 403 for a role that may not."""
        if field not in self.personal_fields():
            raise Http404
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        value = privacy.reveal(user=request.user, document=obj, field=field)
        context = self.page_context(
            request,
            title=gettext("%(field)s of %(document)s")
            % {"field": capfirst(self.model._meta.get_field(field).verbose_name), "document": obj},
            subtitle=None,
            object=obj,
            original=obj,
            value=value,
            back_url=self._came_from(request) or self.page_url("change", obj.pk),
        )
        response = TemplateResponse(request, "meter_service/desk/reveal.html", context)
        add_never_cache_headers(response)
        return response

    @staticmethod
    def _came_from(request) -> str:
        """The desk page the request came from (the task page, say), if it is this site's."""
        referer = request.META.get("HTTP_REFERER", "")
        if referer and url_has_allowed_host_and_scheme(
            referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return referer
        return ""

    def get_search_results(self, request, queryset, search_term):
        # Codes and numbers are read out or copied grouped, with Persian digits: search
        # them as stored (the same normaliser as the office's list and the API's filter).
        return super().get_search_results(request, queryset, normalize_search(search_term))

    def all_list_display(self, request) -> list[tuple[Any, str]]:
        """The list's own columns as (what list_display names, its key): personal fields
        masked for a viewer who sees them so, dates in the active calendar."""
        columns = []
        masked = self._masked_columns(request, on_form=False)
        for name in self.own_list_display(request):
            key = list_tools.column_key(name)
            if isinstance(name, str) and name in masked:
                columns.append((masked[name], key))
                continue
            field = self._date_field(name)
            columns.append((_date_column(field) if field is not None else name, key))
        return columns

    def _date_field(self, name):
        if not isinstance(name, str):
            return None
        try:
            field = self.model._meta.get_field(name)
        except Exception:
            return None
        return field if isinstance(field, models.DateField) else None

    def _form_fields(self, form) -> dict:
        concrete = {
            f.name for f in self.model._meta.get_fields() if f.concrete and not f.many_to_many
        }
        return {k: v for k, v in form.cleaned_data.items() if k in concrete}

    def save_model(self, request, obj, form, change):
        fields = self._form_fields(form)
        if change:
            original = type(obj)._default_manager.get(pk=obj.pk)
            changed = {name: fields[name] for name in form.changed_data if name in fields}
            saved = self.update_document(request, original, changed)
        else:
            saved = self.create_document(request, fields)
        obj.pk = saved.pk
        obj._state.adding = False
        obj._state.db = saved._state.db


class LogAdmin(DocumentAdmin):
    """The admin of a log the code writes: listed and opened in the desk, never edited."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(TabularInline):
    """An inline that lists related rows without letting the desk edit them there."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
