"""API tokens: one per agency, counter-office or billing-system account."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.meter_service.api.permissions import VIEW_ANY_CLAIM_STATUS
from apps.meter_service.permissions import Role, has_role

# Programs call the API with a token; people use the portals and the desk with a session.
TOKEN_ROLES = (Role.AGENCY_CLIENT, Role.COUNTER_OFFICE_OPERATOR, Role.BILLING_OFFICER)


class TokenRefused(Exception):
    """The account may not hold an API token."""


def may_hold_token(user) -> bool:
    """Return True for an active account in a role that calls the API from a program."""
    return user.is_active and not user.is_superuser and has_role(user, *TOKEN_ROLES)


@transaction.atomic
def api_token_issue(*, user, rotate: bool = False, status_lookup: bool = False) -> Token:
    """Return the user's API token, a new one when rotating (the old one stops working).

    With status_lookup the account may also read any claim's status by tracking code: the
    IVR's account. Only an agency client may be given that.
    """
    if not may_hold_token(user):
        roles = ", ".join(str(role) for role in TOKEN_ROLES)
        raise TokenRefused(f"{user.username} is not an active account in a role of: {roles}.")
    if status_lookup:
        if not has_role(user, Role.AGENCY_CLIENT):
            raise TokenRefused(f"{user.username} is not an agency client (the IVR's role).")
        app_label, codename = VIEW_ANY_CLAIM_STATUS.split(".")
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is None:
            raise TokenRefused(f"No permission {VIEW_ANY_CLAIM_STATUS}: run load_fixtures.")
        user.user_permissions.add(permission)
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _created = Token.objects.get_or_create(user=user)
    return token
