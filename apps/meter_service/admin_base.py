"""The desk's base admin: record rules, services for writes, Jalali dates, digit input."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext
from unfold.admin import ModelAdmin, TabularInline
from unfold.widgets import UnfoldAdminTextInputWidget

from apps.meter_service import formfields, permissions
from apps.meter_service.desk_widgets import JalaliDateInput
from apps.meter_service.forms import DigitNormalizingModelForm, normalize_search
from apps.meter_service.jalali import JalaliDateField, format_date, format_datetime

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

    def column(obj):
        return show(getattr(obj, field.name))

    column.short_description = capfirst(field.verbose_name)
    column.admin_order_field = field.name
    column.__name__ = f"{field.name}_jalali"
    return column


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
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if isinstance(db_field, models.DecimalField | models.IntegerField) and not db_field.choices:
            # A number input refuses Persian digits in the browser; a text input with a
            # numeric keyboard takes them, and the form normalises them.
            field.widget = UnfoldAdminTextInputWidget(
                attrs={"inputmode": "decimal", "dir": "ltr", "autocomplete": "off"}
            )
        return field


class DocumentAdmin(DeskFormFieldsMixin, ModelAdmin):
    """Base of every document's admin.

    Lists go through the record rules; saves go through the document's services (so the
    desk, imports and API share one set of rules and one audit trail).
    """

    form = DigitNormalizingModelForm
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
        from apps.meter_service.audit.history import document_events, history_rows

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

    def get_search_results(self, request, queryset, search_term):
        # Codes and numbers are read out or copied grouped, with Persian digits: search
        # them as stored (the same normaliser as the office's list and the API's filter).
        return super().get_search_results(request, queryset, normalize_search(search_term))

    def get_list_display(self, request):
        columns = []
        for name in super().get_list_display(request):
            field = self._date_field(name)
            columns.append(_date_column(field) if field is not None else name)
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


class ReadOnlyInline(TabularInline):
    """An inline that lists related rows without letting the desk edit them there."""

    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
