from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.doctype.counter_office import services
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.permissions import Role
from apps.meter_service.sites import staff_site


@admin.register(CounterOffice, site=staff_site)
class CounterOfficeAdmin(DocumentAdmin):
    list_display = ["code", "name", "city", "phone", "operator_count", "is_active"]
    list_filter = ["city", "is_active"]
    search_fields = ["code", "name", "city"]
    filter_horizontal = ["users"]
    readonly_fields = ["created_at", "updated_at"]
    fields = ["code", "name", "city", "address", "phone", "is_active", "users"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(operator_count=Count("users"))

    @admin.display(description=_("operators"), ordering="operator_count")
    def operator_count(self, obj):
        return obj.operator_count

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "users":
            kwargs["queryset"] = get_user_model().objects.filter(
                groups__name=Role.COUNTER_OFFICE_OPERATOR
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def create_document(self, request, fields):
        return services.office_create(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.office_update(office=instance, actor=request.user, **fields)

    def save_related(self, request, form, formsets, change):
        # The operators go through the service so the role check and the audit apply.
        users = form.cleaned_data.pop("users", None)
        super().save_related(request, form, formsets, change)
        if users is not None:
            services.office_set_operators(office=form.instance, users=users, actor=request.user)
