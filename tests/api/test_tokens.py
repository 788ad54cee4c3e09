"""manage.py issue_api_token: tokens for API accounts only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from apps.meter_service.api.permissions import VIEW_ANY_CLAIM_STATUS
from apps.meter_service.permissions import DESK_ROLES, Role

pytestmark = pytest.mark.django_db


def _issue(username: str, *args: str) -> str:
    out = StringIO()
    call_command("issue_api_token", username, *args, stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize(
    "role",
    [
        Role.AGENCY_CLIENT,
        Role.COUNTER_OFFICE_OPERATOR,
        Role.BILLING_OFFICER,
        Role.CALL_CENTRE_OPERATOR,  # the IVR that takes claims by phone
    ],
)
def test_prints_the_same_token_until_rotated(make_user, role, api):
    user = make_user(role)
    key = _issue(user.username)
    assert key == Token.objects.get(user=user).key
    assert _issue(user.username) == key
    rotated = _issue(user.username, "--rotate")
    assert rotated != key and Token.objects.filter(user=user).count() == 1
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {rotated}")
    assert client.get("/api/v1/claims/").status_code == 200


@pytest.mark.parametrize(
    "role",
    [Role.SUBSCRIBER, *sorted(DESK_ROLES - {Role.BILLING_OFFICER, Role.CALL_CENTRE_OPERATOR})],
)
def test_refuses_other_roles(make_user, role):
    user = make_user(role)
    with pytest.raises(CommandError):
        _issue(user.username)
    assert not Token.objects.filter(user=user).exists()


def test_refuses_superusers_inactive_and_unknown_users(make_user, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    inactive = make_user(Role.AGENCY_CLIENT, is_active=False)
    for username in (admin.username, inactive.username, "nobody"):
        with pytest.raises(CommandError):
            _issue(username)
    assert not Token.objects.exists()


def test_status_lookup_is_for_the_ivr_agency_client_only(make_user, django_user_model):
    ivr = make_user(Role.AGENCY_CLIENT)
    _issue(ivr.username, "--status-lookup")
    assert django_user_model.objects.get(pk=ivr.pk).has_perm(VIEW_ANY_CLAIM_STATUS)
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    with pytest.raises(CommandError):
        _issue(operator.username, "--status-lookup")
    assert not django_user_model.objects.get(pk=operator.pk).has_perm(VIEW_ANY_CLAIM_STATUS)
