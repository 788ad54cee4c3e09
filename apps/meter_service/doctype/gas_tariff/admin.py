"""The desk's gas tariffs: each table with its blocks, edited together through the services."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from unfold.admin import TabularInline
from unfold.forms import PaginationInlineFormSet

from apps.meter_service.admin_base import DeskFormFieldsMixin, DocumentAdmin
from apps.meter_service.core.desk_widgets import JalaliDateRangeFilter
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.forms import DigitNormalizingModelForm, normalize_form_data
from apps.meter_service.doctype.gas_tariff import rules, services
from apps.meter_service.doctype.gas_tariff.models import GasTariff, GasTariffBlock
from apps.meter_service.sites import staff_site


def _kept_blocks(formset) -> list[services.BlockData]:
    return [
        services.BlockData(
            form.cleaned_data["from_m3"],
            form.cleaned_data.get("to_m3"),
            form.cleaned_data["rial_per_m3"],
        )
        for form in formset.forms
        if getattr(form, "cleaned_data", None)
        and not form.cleaned_data.get("DELETE")
        and form.cleaned_data.get("from_m3") is not None
        and form.cleaned_data.get("rial_per_m3") is not None
    ]


class BlockFormSet(PaginationInlineFormSet):
    """The blocks of one table: Persian digits accepted, gaps and overlaps refused."""

    def __init__(self, *args, data=None, **kwargs):
        # By keyword: unfold's pagination mixin takes the request as the first argument.
        super().__init__(*args, data=normalize_form_data(data), **kwargs)

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rules.check_blocks(_kept_blocks(self))


class GasTariffBlockInline(DeskFormFieldsMixin, TabularInline):
    model = GasTariffBlock
    formset = BlockFormSet
    fields = ["from_m3", "to_m3", "rial_per_m3"]
    extra = 0
    ordering = ["from_m3"]


class GasTariffForm(DigitNormalizingModelForm):
    def _post_clean(self) -> None:
        # The instance holds the form's values from here on. (The stubs lack this hook.)
        super()._post_clean()  # type: ignore[misc]
        if self.errors:
            return
        try:
            rules.check_no_overlap(
                self.instance, GasTariff.objects.filter(tariff_group=self.instance.tariff_group)
            )
        except ValidationError as error:
            self.add_error(None, error.error_dict.get("effective_from") or error)


@admin.register(GasTariff, site=staff_site)
class GasTariffAdmin(DocumentAdmin):
    form = GasTariffForm
    list_display = [
        "name",
        "tariff_group",
        "season",
        "zone",
        "effective_from",
        "effective_to",
        "pricing_method",
        "block_count",
    ]
    list_filter = [
        "tariff_group",
        "season",
        "climate_zone",
        "pricing_method",
        ("effective_from", JalaliDateRangeFilter),
    ]
    list_filter_submit = True
    search_fields = ["name"]
    inlines = [GasTariffBlockInline]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "tariff_group", "season", "climate_zone", "pricing_method"]}),
        (_("In force"), {"fields": ["effective_from", "effective_to"]}),
    ]

    @admin.display(description=_("climate zone"), ordering="climate_zone")
    def zone(self, obj: GasTariff) -> str:
        if obj.climate_zone is None:
            return str(_("all climate zones"))
        return obj.get_climate_zone_display()

    @admin.display(description=_("blocks"))
    def block_count(self, obj: GasTariff) -> str:
        return local_digits(len(obj.blocks.all()))

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("blocks")

    # The table and its blocks are one document: both are saved by the service, together,
    # once the inline's blocks are known (save_related), never row by row.
    def save_model(self, request, obj, form, change) -> None:
        pass

    def save_related(self, request, form, formsets, change) -> None:
        blocks_formset = next((fs for fs in formsets if fs.model is GasTariffBlock), None)
        fields = self._form_fields(form)
        blocks = _kept_blocks(blocks_formset) if blocks_formset is not None else None
        if change:
            original = GasTariff.objects.get(pk=form.instance.pk)
            changed = {name: fields[name] for name in form.changed_data if name in fields}
            saved = services.gas_tariff_update(
                tariff=original, blocks=blocks, actor=request.user, **changed
            )
        else:
            saved = services.gas_tariff_create(blocks=blocks or [], actor=request.user, **fields)
        for formset in formsets:
            # The admin's history message reads these; the service wrote the blocks itself.
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        form.instance.pk = saved.pk
        form.instance._state.adding = False
        form.instance._state.db = saved._state.db
