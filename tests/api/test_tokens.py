"""API tokens: only their hashes are stored, each is shown once, they expire, their last use
is recorded (at most once a minute), the desk revokes them, and an account may hold several.

Before, DRF's authtoken kept the key in plain text and it never expired."""

from __future__ import annotations

import datetime
import hashlib
import importlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token as DrfToken

from apps.meter_service.api.permissions import VIEW_ANY_CLAIM_STATUS
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.api_token.models import ApiToken
from apps.meter_service.doctype.api_token.services import token_create
from apps.meter_service.permissions import DESK_ROLES, Role

pytestmark = pytest.mark.django_db
CLAIMS = "/api/v1/claims/"


def _issue(username: str, *args: str) -> str:
    out = StringIO()
    call_command("issue_api_token", username, *args, stdout=out)
    return out.getvalue().strip()


def _call(api, key: str, *, lang: str | None = None):
    client = api()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(CLAIMS + (f"?lang={lang}" if lang else ""))


@pytest.mark.parametrize(
    "role",
    [
        Role.AGENCY_CLIENT,
        Role.COUNTER_OFFICE_OPERATOR,
        Role.BILLING_OFFICER,
        Role.CALL_CENTRE_OPERATOR,  # the IVR that takes claims by phone
    ],
)
def test_each_issue_is_a_new_token_shown_once_and_stored_hashed(make_user, role, api):
    user = make_user(role)
    first = _issue(user.username)
    second = _issue(user.username)
    assert first != second and len(first) >= 40
    # Several tokens at once, for rotation: both work.
    assert _call(api, first).status_code == 200
    assert _call(api, second).status_code == 200
    stored = ApiToken.objects.filter(user=user)
    assert stored.count() == 2
    # Only the hash and a short prefix are kept: the key is nowhere in the table.
    for token in stored:
        assert token.key_hash in {hashlib.sha256(k.encode()).hexdigest() for k in (first, second)}
        assert len(token.prefix) == 8 and token.prefix in {first[:8], second[:8]}
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM meter_service_apitoken")
        cells = [str(cell) for row in cursor.fetchall() for cell in row]
    assert not any(first in cell or second in cell for cell in cells)
    assert not DrfToken.objects.exists()
    # Issuing is audited on the account, without the key.
    events = DocumentEvent.objects.filter(event_type="api_token_issued", object_id=str(user.pk))
    assert events.count() == 2
    assert all(first not in str(event.parameters) for event in events)


def test_rotate_revokes_the_earlier_tokens(make_user, api):
    user = make_user(Role.AGENCY_CLIENT)
    old = _issue(user.username)
    new = _issue(user.username, "--rotate")
    assert _call(api, new).status_code == 200
    response = _call(api, old, lang="en")
    assert response.status_code == 401
    assert "revoked" in response.json()["message"]
    assert ApiToken.objects.get(prefix=old[:8]).revoked_at is not None


def test_a_token_expires_after_api_token_days(make_user, api, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "API_TOKEN_DAYS": 30}
    user = make_user(Role.AGENCY_CLIENT)
    issued = token_create(user=user)
    assert issued.token.expires_at - issued.token.created_at == datetime.timedelta(days=30)
    assert _call(api, issued.key).status_code == 200
    ApiToken.objects.filter(pk=issued.token.pk).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    english = _call(api, issued.key, lang="en")
    assert english.status_code == 401
    assert english["WWW-Authenticate"] == "Token"
    body = english.json()
    assert "expired" in body["message"] and body["extra"]["code"] == "token_expired"
    persian = _call(api, issued.key).json()["message"]
    assert persian != body["message"] and "منقضی" in persian


def test_an_unknown_token_is_refused(api):
    response = _call(api, "not-a-token-at-all-0123456789abcdef0123456789")
    assert response.status_code == 401
    assert response.json()["extra"]["code"] == "authentication_failed"


def test_last_use_is_written_at_most_once_a_minute(make_user, api):
    user = make_user(Role.AGENCY_CLIENT)
    issued = token_create(user=user)
    assert issued.token.last_used_at is None
    _call(api, issued.key)
    first_use = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first_use is not None
    # A busy program: the next calls within the minute do not write the token row.
    with CaptureQueriesContext(connection) as queries:
        _call(api, issued.key)
    assert not [q for q in queries if q["sql"].startswith("UPDATE") and "apitoken" in q["sql"]]
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first_use
    # A minute later it is written again.
    earlier = first_use - datetime.timedelta(minutes=2)
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=earlier)
    _call(api, issued.key)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at > first_use


@pytest.mark.parametrize(
    "role",
    [Role.SUBSCRIBER, *sorted(DESK_ROLES - {Role.BILLING_OFFICER, Role.CALL_CENTRE_OPERATOR})],
)
def test_refuses_other_roles(make_user, role):
    user = make_user(role)
    with pytest.raises(CommandError):
        _issue(user.username)
    assert not ApiToken.objects.filter(user=user).exists()


def test_refuses_superusers_inactive_and_unknown_users(make_user, django_user_model):
    admin = django_user_model.objects.create_superuser("root", password="x")
    inactive = make_user(Role.AGENCY_CLIENT, is_active=False)
    for username in (admin.username, inactive.username, "nobody"):
        with pytest.raises(CommandError):
            _issue(username)
    assert not ApiToken.objects.exists()


def test_a_disabled_account_s_token_stops_working(make_user, api):
    user = make_user(Role.AGENCY_CLIENT)
    key = _issue(user.username)
    user.is_active = False
    user.save()
    assert _call(api, key).status_code == 401


def test_status_lookup_is_for_the_ivr_agency_client_only(make_user, django_user_model):
    ivr = make_user(Role.AGENCY_CLIENT)
    _issue(ivr.username, "--status-lookup")
    assert django_user_model.objects.get(pk=ivr.pk).has_perm(VIEW_ANY_CLAIM_STATUS)
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    with pytest.raises(CommandError):
        _issue(operator.username, "--status-lookup")
    assert not django_user_model.objects.get(pk=operator.pk).has_perm(VIEW_ANY_CLAIM_STATUS)


# --- in the desk -----------------------------------------------------------------------------
def test_the_desk_issues_a_token_shown_once(make_user, client, api):
    admin, agency = make_user(Role.SYSTEM_ADMIN), make_user(Role.AGENCY_CLIENT)
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    client.force_login(admin)
    response = client.post(
        "/desk/auth/user/",
        {"action": "issue_api_token", "_selected_action": [agency.pk, clerk.pk]},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=agency)
    assert not ApiToken.objects.filter(user=clerk).exists()  # not an API account
    page = response.content.decode()
    start = page.index(token.prefix)
    key = page[start : page.index("<", start)].strip()
    assert hashlib.sha256(key.encode()).hexdigest() == token.key_hash
    assert _call(api, key).status_code == 200
    # The list shows the prefix, never the key or its hash.
    listing = client.get("/desk/meter_service/apitoken/").content.decode()
    assert token.prefix in listing and key not in listing and token.key_hash not in listing
    assert client.get(f"/desk/meter_service/apitoken/{token.pk}/change/").status_code == 200


def test_the_desk_revokes_a_token_audited(make_user, client, api):
    admin, agency = make_user(Role.SYSTEM_ADMIN), make_user(Role.AGENCY_CLIENT)
    kept, revoked = token_create(user=agency), token_create(user=agency)
    client.force_login(admin)
    client.post(
        "/desk/meter_service/apitoken/",
        {"action": "revoke", "_selected_action": [revoked.token.pk]},
    )
    token = ApiToken.objects.get(pk=revoked.token.pk)
    assert token.revoked_at is not None and token.revoked_by == admin
    assert _call(api, revoked.key).status_code == 401
    assert _call(api, kept.key).status_code == 200
    event = DocumentEvent.objects.get(event_type="api_token_revoked")
    assert event.actor == admin and event.parameters == {"prefix": token.prefix}


def test_only_the_system_administrator_sees_the_tokens(make_user, client):
    token_create(user=make_user(Role.AGENCY_CLIENT))
    client.force_login(make_user(Role.SERVICE_MANAGER))
    assert client.get("/desk/meter_service/apitoken/").status_code == 403


# --- programs holding a DRF token keep working ----------------------------------------------
def test_the_migration_keeps_drf_tokens_working_as_hashes(make_user, api, settings):
    user = make_user(Role.AGENCY_CLIENT)
    old = DrfToken.objects.create(user=user)
    migration = importlib.import_module("apps.meter_service.migrations.0016_api_tokens_hashed")
    from django.apps import apps

    migration.hash_drf_tokens(apps, None)
    assert not DrfToken.objects.exists()  # the plain-text keys are gone
    token = ApiToken.objects.get(user=user)
    assert token.prefix == old.key[:8]
    days = settings.METER_SERVICE["API_TOKEN_DAYS"]
    assert token.expires_at > timezone.now() + datetime.timedelta(days=days - 1)
    assert _call(api, old.key).status_code == 200
