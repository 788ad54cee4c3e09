from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from apps.meter_service import permissions
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.api_token import services
from apps.meter_service.doctype.api_token.models import ApiToken
from apps.meter_service.list_tools import ListToolsMixin
from apps.meter_service.sites import staff_site


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("expired", _("Expired")), ("revoked", _("Revoked"))]

    def queryset(self, request, queryset):
        from django.utils import timezone

        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken, site=staff_site)
class ApiTokenAdmin(ListToolsMixin, ModelAdmin):
    """The programs' API tokens: who holds which (by prefix), when each expires and was last
    used; revoked here. Keys are never shown again: a new one is issued from the users' list
    (UserAdmin) or with manage.py issue_api_token."""

    list_display = ["user", "prefix_display", "state", "issued", "expires", "last_used"]
    list_filter = [StateFilter]
    search_fields = ["user__username", "prefix"]
    list_select_related = ["user", "revoked_by"]
    readonly_fields = [
        "user",
        "prefix_display",
        "state",
        "issued",
        "expires",
        "last_used",
        "revoked",
        "revoked_by",
    ]
    fields = readonly_fields
    actions = ["revoke"]

    @admin.display(description=_("prefix"), ordering="prefix")
    def prefix_display(self, obj: ApiToken) -> str:
        # Latin letters and digits, left to right: it is matched against the key's start.
        return format_html('<code dir="ltr">{}…</code>', obj.prefix)

    @admin.display(description=_("state"))
    def state(self, obj: ApiToken) -> str:
        if obj.revoked_at is not None:
            return str(_("Revoked"))
        return str(_("Expired")) if obj.is_expired else str(_("Active"))

    @admin.display(description=_("issued at"), ordering="created_at")
    def issued(self, obj: ApiToken) -> str:
        return format_datetime(obj.created_at)

    @admin.display(description=_("expires at"), ordering="expires_at")
    def expires(self, obj: ApiToken) -> str:
        return format_datetime(obj.expires_at)

    @admin.display(description=_("last used at"), ordering="last_used_at")
    def last_used(self, obj: ApiToken) -> str:
        return format_datetime(obj.last_used_at) if obj.last_used_at else "—"

    @admin.display(description=_("revoked at"), ordering="revoked_at")
    def revoked(self, obj: ApiToken) -> str:
        return format_datetime(obj.revoked_at) if obj.revoked_at else "—"

    def get_queryset(self, request):
        return permissions.scope(request.user, super().get_queryset(request))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoked, not deleted: the list keeps who held what

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        count = sum(
            services.token_revoke(token=token, actor=request.user)
            for token in queryset.select_related("user")
        )
        self.message_user(request, _("Tokens revoked: %(count)s.") % {"count": local_digits(count)})
