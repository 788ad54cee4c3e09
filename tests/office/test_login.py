"""Logging in to the counter-office portal: operators of an active office only."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.meter_service.doctype.counter_office.services import office_update
from apps.meter_service.office.views import OFFICE_SESSION_KEY
from apps.meter_service.permissions import Role
from tests.conftest import PASSWORD

LOGIN = reverse("office:login")
DASHBOARD = reverse("office:dashboard")


@pytest.fixture(autouse=True)
def _fresh_login_limits():
    """Each test starts with a clean cache (the failed sign-ins are counted in the database,
    which each test's transaction leaves as it found it)."""
    cache.clear()


def _login(client, user, **extra):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD, **extra})


def test_operator_logs_in_and_works_at_their_office(client, operator_a, office_a):
    response = _login(client, operator_a)

    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert client.session[OFFICE_SESSION_KEY] == office_a.pk
    page = client.get(DASHBOARD)
    assert page.status_code == 200
    assert office_a.name in page.content.decode()


def test_login_returns_to_the_page_asked_for(client, operator_a):
    wanted = reverse("office:claim_list")
    response = client.get(wanted)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)

    response = _login(client, operator_a, next=wanted)
    assert response["Location"] == wanted


def test_login_page_is_persian_and_styled_like_the_portal(client):
    page = client.get(LOGIN).content.decode()
    assert 'lang="fa" dir="rtl"' in page
    assert "meter_service/css/portal.css" in page
    assert "گذرواژه" in page  # Django's own Persian label


def test_wrong_password_is_refused(client, operator_a):
    response = client.post(LOGIN, {"username": operator_a.username, "password": "wrong"})
    assert response.status_code == 200
    assert "لطفا نام کاربری و گذرواژه‌ای قابل قبول وارد کنید" in response.content.decode()
    assert "_auth_user_id" not in client.session


def _page(response) -> str:
    """The login page without its CSRF token (a new one each time)."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


def _wrong_password_answer(client, user):
    return client.post(LOGIN, {"username": user.username, "password": "wrong"})


@pytest.mark.parametrize(
    "role",
    [Role.SUBSCRIBER, Role.SERVICE_DESK_CLERK, Role.SYSTEM_ADMIN, Role.AGENCY_CLIENT],
)
def test_a_right_password_of_another_account_gets_the_wrong_password_answer(
    client, make_user, role
):
    """Telling "not an operator" from "wrong password" confirmed a guessed staff password."""
    user = make_user(role)

    wrong = _wrong_password_answer(client, user)
    right = _login(client, user)

    assert right.status_code == wrong.status_code == 200
    assert _page(right) == _page(wrong)
    assert "لطفا نام کاربری و گذرواژه‌ای قابل قبول وارد کنید" in _page(right)
    assert "_auth_user_id" not in client.session


def test_operator_of_no_active_office_gets_the_wrong_password_answer(
    client, operator_a, office_a, make_operator
):
    office_update(office=office_a, is_active=False)
    lone = make_operator()  # holds the role, operates no office at all

    for user in (operator_a, lone):
        wrong = _wrong_password_answer(client, user)
        right = _login(client, user)
        assert right.status_code == wrong.status_code == 200
        assert _page(right) == _page(wrong)
        assert "_auth_user_id" not in client.session


def test_a_refused_right_password_counts_towards_the_limit(client, make_user):
    """Were it not counted, the next try being locked or not would tell the guess was right."""
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    for _attempt in range(9):
        _wrong_password_answer(client, clerk)

    assert _login(client, clerk).status_code == 200  # the tenth failure
    assert _wrong_password_answer(client, clerk).status_code == 429
    assert _login(client, clerk).status_code == 429


def test_deactivating_the_office_ends_the_operators_access(office_client, office_a):
    assert office_client.get(DASHBOARD).status_code == 200
    office_update(office=office_a, is_active=False)

    response = office_client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_logged_in_subscriber_is_sent_to_the_office_login(client, make_user):
    client.force_login(make_user(Role.SUBSCRIBER))

    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    page = client.get(response["Location"]).content.decode()
    assert 'name="password"' in page


def test_operator_of_several_offices_chooses_the_current_one(
    client, make_operator, office_a, office_b
):
    both = make_operator(office_a, office_b)

    response = _login(client, both)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("office:choose"))
    assert OFFICE_SESSION_KEY not in client.session
    # No page of the portal until an office is chosen.
    assert client.get(DASHBOARD)["Location"].startswith(reverse("office:choose"))

    response = client.post(reverse("office:choose"), {"office": office_b.pk})
    assert response.status_code == 302
    assert client.session[OFFICE_SESSION_KEY] == office_b.pk
    page = client.get(DASHBOARD).content.decode()
    assert office_b.name in page and reverse("office:choose") in page


def test_operator_cannot_choose_another_operators_office(client, operator_a, office_b):
    client.force_login(operator_a)

    response = client.post(reverse("office:choose"), {"office": office_b.pk})

    assert response.status_code == 200
    assert client.session.get(OFFICE_SESSION_KEY) != office_b.pk


def test_failed_logins_are_limited(client, operator_a, settings):
    for _attempt in range(10):
        client.post(LOGIN, {"username": operator_a.username, "password": "wrong"})

    response = _login(client, operator_a)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_logout(office_client):
    response = office_client.post(reverse("office:logout"))
    assert response["Location"] == LOGIN
    assert "_auth_user_id" not in office_client.session
