"""API tokens: agency, counter-office, billing-system and IVR accounts, a few each.

Keys are hashed at rest (doctype/api_token), shown once when issued, expire after
API_TOKEN_DAYS and can be revoked in the desk. Programs still send `Authorization: Token
<key>`, the header of DRF's TokenAuthentication, so the OpenAPI scheme stays the same.
"""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from apps.meter_service import two_factor
from apps.meter_service.core.error_codes import ApiErrorCode
from apps.meter_service.doctype.api_token.services import (
    IssuedToken,
    token_create,
    token_find,
    token_touch,
    tokens_revoke_all,
)
from apps.meter_service.permissions import Role, has_role

# Programs call the API with a token; people use the portals and the desk with a session.
# The call centre's IVR files claims by phone under a call-centre operator account.
TOKEN_ROLES = (
    Role.AGENCY_CLIENT,
    Role.COUNTER_OFFICE_OPERATOR,
    Role.BILLING_OFFICER,
    Role.CALL_CENTRE_OPERATOR,
)

INVALID = _("Invalid token.")
EXPIRED = _("This API token has expired; ask the service's administrator for a new one.")
REVOKED = _("This API token was revoked; ask the service's administrator for a new one.")
INACTIVE = _("This account is disabled.")


class TokenRefused(Exception):
    """The account may not hold an API token."""


def may_hold_token(user) -> bool:
    """Return True for an active account in a role that calls the API from a program."""
    return user.is_active and not user.is_superuser and has_role(user, *TOKEN_ROLES)


@transaction.atomic
def api_token_issue(
    *, user, rotate: bool = False, status_lookup: bool = False, actor=None
) -> IssuedToken:
    """Issue a new API token for the user; its key is in the answer only (show it once).

    Earlier tokens keep working until they expire, so a program can switch without a gap;
    with rotate they are revoked at once. With status_lookup the account may also read any
    claim's status by tracking code: the IVR's account. Only an agency client may be given
    that.
    """
    if not may_hold_token(user):
        roles = ", ".join(str(role) for role in TOKEN_ROLES)
        raise TokenRefused(f"{user.username} is not an active account in a role of: {roles}.")
    if status_lookup:
        if not has_role(user, Role.AGENCY_CLIENT):
            raise TokenRefused(f"{user.username} is not an agency client (the IVR's role).")
        # The IVR's look-up right is a role of its own, like every other right.
        user.groups.add(Group.objects.get(name=Role.IVR_CLIENT))
    issued = token_create(user=user, actor=actor)
    if rotate:
        tokens_revoke_all(user=user, actor=actor, keep=issued.token)
    return issued


class HashedTokenAuthentication(TokenAuthentication):
    """`Authorization: Token <key>`, checked against the stored hashes.

    An expired or revoked token gets a 401 saying so (translated), not the bare "invalid";
    the last use is recorded at most once a minute (api_token.services.token_touch)."""

    def authenticate_credentials(self, key):
        token = token_find(key)
        if token is None:
            raise AuthenticationFailed(INVALID)
        if token.revoked_at is not None:
            raise AuthenticationFailed(REVOKED, code=ApiErrorCode.TOKEN_REVOKED)
        if token.is_expired:
            raise AuthenticationFailed(EXPIRED, code=ApiErrorCode.TOKEN_EXPIRED)
        if not token.user.is_active:
            raise AuthenticationFailed(INACTIVE)
        token_touch(token)
        return token.user, token


class VerifiedSessionAuthentication(SessionAuthentication):
    """The portal's and the desk's session, except a staff session that still owes its
    second factor (one signed in before two-factor sign-in was required): the desk keeps it
    out, and so does the API."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is not None and not two_factor.is_satisfied(request._request):
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """The same session cookie in the OpenAPI schema as DRF's SessionAuthentication."""

    # By dotted path, as drf-spectacular's own extensions name theirs (and type it).
    target_class = (
        f"{VerifiedSessionAuthentication.__module__}.{VerifiedSessionAuthentication.__qualname__}"
    )
