"""The staff desk: one admin site, django-unfold themed, for company staff only."""

from django.utils.translation import gettext_lazy as _
from unfold.sites import UnfoldAdminSite

from apps.meter_service import permissions


class MeterServiceAdminSite(UnfoldAdminSite):
    site_title = _("Meter test service")
    site_header = _("Meter test service")
    index_title = _("Desk")

    def has_permission(self, request) -> bool:
        """Let in active company staff only; subscribers and agencies use portal and API."""
        return request.user.is_active and permissions.can_use_desk(request.user)


# The name stays "admin" so the admin: URLs named in the UNFOLD settings reverse.
staff_site = MeterServiceAdminSite(name="admin")
