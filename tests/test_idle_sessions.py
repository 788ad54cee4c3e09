"""Signed-in sessions end after a while without requests: staff after 30 minutes, a
subscriber after 15 (settings). They lasted 14 days with no idle limit."""

from __future__ import annotations

import time

import pytest

from apps.meter_service.middleware import IdleSessionMiddleware
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db
KEY = IdleSessionMiddleware.KEY


def _idle_for(client, minutes: float) -> None:
    session = client.session
    session[KEY] = int(time.time() - minutes * 60)
    session.save()


def test_a_staff_session_ends_after_thirty_idle_minutes(client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    assert client.get("/desk/").status_code == 200
    assert client.session.get_expiry_age() == 30 * 60
    _idle_for(client, 29)
    assert client.get("/desk/").status_code == 200  # active again: the clock restarts
    assert time.time() - client.session[KEY] < 5
    _idle_for(client, 31)
    response = client.get("/desk/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_a_subscriber_session_ends_sooner(client, make_user, settings):
    client.force_login(make_user(Role.SUBSCRIBER))
    assert client.get("/portal/claims/").status_code == 200
    _idle_for(client, 16)
    response = client.get("/portal/claims/")
    assert response.status_code == 302
    settings.METER_SERVICE = {**settings.METER_SERVICE, "SUBSCRIBER_SESSION_IDLE_MINUTES": 60}
    client.force_login(make_user(Role.SUBSCRIBER))
    client.get("/portal/claims/")
    _idle_for(client, 16)
    assert client.get("/portal/claims/").status_code == 200
