"""Authentication backend: passwords as Django's, permissions from roles only."""

from django.contrib.auth.backends import ModelBackend

from apps.meter_service.permissions import load_roles_and_permissions


class RoleBackend(ModelBackend):
    """Grant what the user's roles (groups) grant, read with the roles in one query.

    Per-user permissions are not used: a role is the unit of access, so the permission
    matrix of the roles is the whole story. Superusers keep Django's "everything".
    """

    def get_user_permissions(self, user_obj, obj=None) -> set[str]:
        return set()

    def get_group_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(load_roles_and_permissions(user_obj)[1])

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if user_obj.is_superuser:
            return super().get_all_permissions(user_obj, obj)
        return set(load_roles_and_permissions(user_obj)[1])
