"""The desk's custom fields: the service manager and the system administrator define the
extra fields of claims, complaints, inspections and subscribers (the add and change
permissions on custom fields, fixtures/0001_roles.json); other staff do not see them."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from unfold.widgets import UnfoldAdminTextareaWidget

from apps.meter_service import list_tools, permissions
from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.core.forms import DigitNormalizingModelForm, normalize_form_data
from apps.meter_service.doctype.custom_field import rules, services
from apps.meter_service.doctype.custom_field.forms import (
    CustomValuesForm,
    custom_cleaned,
    custom_form_fields,
    custom_initial,
    form_name,
)
from apps.meter_service.doctype.custom_field.models import CustomField, CustomFieldTarget
from apps.meter_service.doctype.custom_field.selectors import active_fields
from apps.meter_service.sites import staff_site


class CustomFieldForm(DigitNormalizingModelForm):
    """A definition; a choice's options are typed one a line, `value | Persian | English`."""

    options_text = forms.CharField(
        label=_("options"),
        required=False,
        widget=UnfoldAdminTextareaWidget(attrs={"rows": 5, "dir": "auto"}),
        help_text=_(
            "For a choice: one option a line, as value | Persian label | English label "
            "(for example: gas | گاز | Gas)."
        ),
    )

    class Meta:
        model = CustomField
        exclude = ["options"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["options_text"].initial = rules.options_text(self.instance.options)

    def _post_clean(self) -> None:
        # The instance holds the form's values from here on. (The stubs lack this hook.)
        super()._post_clean()  # type: ignore[misc]
        field = self.instance
        field.options = rules.parse_options(self.cleaned_data.get("options_text") or "")
        if self.errors:
            return
        original = CustomField.objects.get(pk=field.pk) if field.pk else None
        try:
            services.custom_field_check(field, original=original)
        except ValidationError as error:
            if "options" in error.error_dict:
                error.error_dict["options_text"] = error.error_dict.pop("options")
            self._update_errors(error)  # type: ignore[attr-defined]  # Django's, not in the stubs


@admin.register(CustomField, site=staff_site)
class CustomFieldAdmin(DocumentAdmin):
    form = CustomFieldForm
    list_display = ["target", "key", "label", "field_type", "required", "public", "order", "active"]
    list_filter = ["target", "field_type", "public", "active"]
    search_fields = ["key", "label_fa", "label_en"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["target", "key", "field_type", "order", "active"]}),
        (_("Labels"), {"fields": ["label_fa", "label_en", "help_fa", "help_en"]}),
        (
            _("Checks"),
            {"fields": ["required", "options_text", "min_value", "max_value", "max_length"]},
        ),
        (_("Where it shows"), {"fields": ["public", "in_list"]}),
    ]

    @admin.display(description=_("label"))
    def label(self, obj: CustomField) -> str:
        return rules.field_label(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Documents may hold values of it: a field no longer wanted is made inactive.
        return False

    def _form_fields(self, form: Any) -> dict:
        fields = super()._form_fields(form)
        fields["options"] = form.instance.options
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and form.instance.options != CustomField.objects.get(pk=obj.pk).options:
            form.changed_data.append("options")
        super().save_model(request, obj, form, change)

    def create_document(self, request: HttpRequest, fields: dict) -> CustomField:
        fields.pop("created_at", None)
        fields.pop("updated_at", None)
        fields.pop("id", None)
        return services.custom_field_create(actor=request.user, **fields)

    def update_document(self, request: HttpRequest, instance: Any, fields: dict) -> CustomField:
        return services.custom_field_update(field=instance, actor=request.user, **fields)


# --- custom values on the four documents' desk pages -------------------------------------------
class CustomValuesAdmin(DocumentAdmin):
    """A document admin whose documents have custom fields (`custom_target`).

    Where the desk edits the document by its change form (subscribers), the active custom
    fields are ordinary form fields in a fieldset of their own, saved through
    custom_values_set. Elsewhere (claims, complaints, inspections: no change form) the
    values are shown in their fieldset with a link to a page that edits them alone. Fields
    marked "shown in desk lists" are list columns.
    """

    custom_target: str = ""

    def custom_definitions(self, request: HttpRequest) -> list[CustomField]:
        """The target's active fields, read once a request."""
        kept = request.__dict__.setdefault("_meter_custom_fields", {})
        if self.custom_target not in kept:
            kept[self.custom_target] = active_fields(self.custom_target)
        return kept[self.custom_target]

    def _edits_in_form(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return self.has_add_permission(request)
        return self.has_change_permission(request, obj) and permissions.may_edit_custom_values(
            request.user, self.custom_target
        )

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        definitions = self.custom_definitions(request)
        if definitions and self._edits_in_form(request, obj):
            base = kwargs.get("form", self.form)

            def __init__(form: Any, *args: Any, **kw: Any) -> None:
                base.__init__(form, *args, **kw)
                if form.instance.pk:
                    form.initial.update(custom_initial(definitions, form.instance.custom_fields))

            kwargs["form"] = type(
                base.__name__,
                (base,),
                {**custom_form_fields(definitions), "__init__": __init__},
            )
        return super().get_form(request, obj, change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None):
        fieldsets = list(super().get_fieldsets(request, obj))
        definitions = self.custom_definitions(request)
        if not definitions:
            return fieldsets
        if self._edits_in_form(request, obj):
            names = [form_name(field) for field in definitions]
        elif obj is not None:
            names = [self._values_column(request)]
        else:
            return fieldsets
        return [*fieldsets, (_("Custom fields"), {"fields": names})]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None):
        return [*super().get_readonly_fields(request, obj), self._values_column(request)]

    def _values_column(self, request: HttpRequest) -> Any:
        """The read-only row of a document's custom values, with the link to edit them for
        those who may; one callable a request (the fieldsets and the read-only fields must
        name the same object)."""
        kept = request.__dict__.setdefault("_meter_custom_column", {})
        if self.custom_target in kept:
            return kept[self.custom_target]
        definitions = self.custom_definitions(request)
        may_edit = permissions.may_edit_custom_values(request.user, self.custom_target)

        @admin.display(description=_("custom fields"))
        def custom_values_display(obj: Any) -> str:
            values = obj.custom_fields or {}
            rows = format_html_join(
                "",
                "<dt>{}</dt><dd>{}</dd>",
                (
                    (rules.field_label(f), rules.display_value(f, values.get(f.key)) or "—")
                    for f in definitions
                ),
            )
            link = ""
            if may_edit:
                link = format_html(
                    '<p class="mt-2"><a class="meter-link" href="{}">{}</a></p>',
                    self.page_url("custom_values", obj.pk),
                    gettext("Edit the custom fields"),
                )
            return format_html('<dl class="meter-facts">{}</dl>{}', rows, link)

        kept[self.custom_target] = custom_values_display
        return custom_values_display

    def own_list_display(self, request: HttpRequest) -> list[Any]:
        # Fields marked for lists are the list's own columns: shown, exported and saved in
        # views like the rest (list_tools); the others can be picked (custom_columns below).
        columns = super().own_list_display(request)
        return [*columns, *(_list_column(f) for f in self.custom_definitions(request) if f.in_list)]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        definitions = self.custom_definitions(request)
        names = [form_name(field) for field in definitions]
        if (
            names
            and names[0] in form.fields
            and (not change or any(name in form.changed_data for name in names))
        ):
            services.custom_values_set(
                document=obj,
                target=self.custom_target,
                values=custom_cleaned(definitions, form.cleaned_data),
                actor=request.user,
            )

    def get_urls(self) -> list[URLPattern]:
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        page = path(
            "<path:object_id>/custom-fields/",
            self.admin_site.admin_view(self.custom_values_view),
            name=f"{info}_custom_values",
        )
        return [page, *super().get_urls()]

    def custom_values_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Edit one document's custom values alone (claims, complaints, inspections)."""
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        if not self.has_view_permission(request, obj) or not permissions.may_edit_custom_values(
            request.user, self.custom_target
        ):
            raise PermissionDenied
        definitions = self.custom_definitions(request)
        data = normalize_form_data(request.POST) if request.method == "POST" else None
        form = CustomValuesForm(data, definitions=definitions, values=obj.custom_fields)
        if request.method == "POST" and form.is_valid():
            try:
                services.custom_values_set(
                    document=obj,
                    target=self.custom_target,
                    values=form.values(),
                    actor=request.user,
                )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, gettext("The custom fields are saved."))
                return redirect(self.page_url("change", obj.pk))
        context = self.page_context(
            request,
            title=gettext("Custom fields: %(document)s") % {"document": obj},
            card_title=gettext("Custom fields"),
            form=form,
            object=obj,
            original=obj,
            back_url=self.page_url("change", obj.pk),
        )
        return TemplateResponse(request, "meter_service/desk/custom_values.html", context)


@list_tools.register_column_provider
def custom_columns(model: type[Any], request: HttpRequest) -> list[list_tools.Column]:
    """Every active custom field of a claim, complaint, inspection or subscriber list as a
    column people may pick, export and keep in a saved view."""
    target = str(model._meta.model_name)
    if target not in CustomFieldTarget.values:
        return []

    def column(field: CustomField) -> list_tools.Column:
        def value(obj: Any) -> Any:
            return rules.display_value(field, (obj.custom_fields or {}).get(field.key))

        return list_tools.Column(f"custom_{field.key}", rules.field_label(field), value)

    return [column(field) for field in active_fields(target)]


def _list_column(field: CustomField) -> Any:
    @admin.display(description=rules.field_label(field))
    def column(obj: Any) -> str:
        return rules.display_value(field, (obj.custom_fields or {}).get(field.key)) or "—"

    column.__name__ = f"custom_{field.key}"
    return column
