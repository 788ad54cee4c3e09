from django.contrib import admin
from django.contrib.auth import get_user_model
from unfold.admin import ModelAdmin

from apps.meter_service import permissions
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.list_tools import ListToolsMixin
from apps.meter_service.permissions import Role
from apps.meter_service.sites import staff_site


@admin.register(Agency, site=staff_site)
class AgencyAdmin(ListToolsMixin, ModelAdmin):
    list_display = ["code", "name", "is_active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["users"]

    def get_queryset(self, request):
        return permissions.scope(request.user, super().get_queryset(request))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "users":
            kwargs["queryset"] = get_user_model().objects.filter(groups__name=Role.AGENCY_CLIENT)
        return super().formfield_for_manytomany(db_field, request, **kwargs)
