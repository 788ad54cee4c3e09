"""Users and roles in the desk, with unfold's forms."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group, User
from django.utils.translation import get_language_bidi
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

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
class UserAdmin(BaseUserAdmin, ModelAdmin):
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

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, obj: User) -> str:
        separator = "، " if get_language_bidi() else ", "
        return separator.join(sorted(role_label(group.name) for group in obj.groups.all()))

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups" and field is not None:
            field.label_from_instance = lambda group: role_label(group.name)
        return field


@admin.register(Group, site=staff_site)
class GroupAdmin(BaseGroupAdmin, ModelAdmin):
    list_display = ["label", "name"]

    @admin.display(description=_("role"), ordering="name")
    def label(self, obj: Group) -> str:
        return role_label(obj.name)
