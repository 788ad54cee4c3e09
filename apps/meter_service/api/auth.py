"""API tokens: one per agency, counter-office or billing-system account."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.meter_service.permissions import Role, has_role

# Programs call the API with a token; people use the portals and the desk with a session.
# The call centre's IVR files claims by phone under a call-centre operator account.
TOKEN_ROLES = (
    Role.AGENCY_CLIENT,
    Role.COUNTER_OFFICE_OPERATOR,
    Role.BILLING_OFFICER,
    Role.CALL_CENTRE_OPERATOR,
)


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
        # The IVR's look-up right is a role of its own, like every other right.
        user.groups.add(Group.objects.get(name=Role.IVR_CLIENT))
    if rotate:
        Token.objects.filter(user=user).delete()
    token, _created = Token.objects.get_or_create(user=user)
    return token
