"""Users and roles in the desk, with unfold's forms."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.template.response import TemplateResponse
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from apps.meter_service import two_factor
from apps.meter_service.api.auth import TokenRefused, api_token_issue
from apps.meter_service.core.display import local_digits
from apps.meter_service.list_tools import ListToolsMixin
from apps.meter_service.permissions import role_label
from apps.meter_service.sites import staff_site


class RoleFilter(admin.SimpleListFilter):
    """The users' groups filter, with each role's translated label instead of its code."""

    title = _("role")
    parameter_name = "groups__id__exact"

    def lookups(self, request, model_admin):
        groups = sorted(Group.objects.all(), key=lambda group: role_label(group.name))
        return [(group.pk, role_label(group.name)) for group in groups]

    def queryset(self, request, queryset):
        return queryset.filter(groups__id=self.value()) if self.value() else queryset


@admin.register(User, site=staff_site)
class UserAdmin(ListToolsMixin, BaseUserAdmin, ModelAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    change_password_form = AdminPasswordChangeForm
    list_display = ["username", "first_name", "last_name", "roles", "is_staff", "is_active"]
    list_filter = ["is_staff", "is_active", RoleFilter]
    # Access comes from roles only (see auth_backend.RoleBackend): no per-user permissions.
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Personal info"), {"fields": ["first_name", "last_name", "email"]}),
        (_("Roles"), {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        (_("Important dates"), {"fields": ["last_login", "date_joined"]}),
    ]

    actions = ["reset_two_factor", "issue_api_token"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.action(description=_("Reset two-factor sign-in (lost phone)"), permissions=["change"])
    def reset_two_factor(self, request, queryset):
        """Remove the users' authenticator apps and backup codes (audited); they enrol again
        at their next sign-in."""
        count = sum(two_factor.devices_reset(user=user, actor=request.user) for user in queryset)
        self.message_user(
            request, _("Two-factor sign-in reset: %(count)s.") % {"count": local_digits(count)}
        )

    @admin.action(description=_("Issue a new API token"), permissions=["change"])
    def issue_api_token(self, request, queryset):
        """Issue a token for each API account selected and show the keys this once (only
        their hashes are kept); earlier tokens keep working until revoked or expired."""
        issued, refused = [], []
        for user in queryset:
            try:
                issued.append(api_token_issue(user=user, actor=request.user))
            except TokenRefused:
                refused.append(user)
        context = {
            **self.admin_site.each_context(request),
            "title": _("New API tokens"),
            "issued": issued,
            "refused": refused,
            "opts": self.model._meta,
        }
        response = TemplateResponse(request, "meter_service/desk/api_tokens_issued.html", context)
        response["Cache-Control"] = "no-store"  # the keys must not stay in a cache
        return response

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        separator = "، " if get_language_bidi() else ", "
        return separator.join(sorted(role_label(group.name) for group in obj.groups.all()))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            # Roles by their names as people read them, on this one field.
            field.label_from_instance = lambda obj: role_label(obj.name)  # type: ignore[method-assign]
        return field


@admin.register(Group, site=staff_site)
class GroupAdmin(ListToolsMixin, BaseGroupAdmin, ModelAdmin):
    list_display = ["label", "name"]

    @admin.display(description=_("role"), ordering="name")
    def label(self, obj: Group) -> str:
        return role_label(obj.name)
