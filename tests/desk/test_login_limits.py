"""Password sign-ins are limited per account and per address: 50 wrong passwords and then
the right one signed a desk user in; and one attacker must not lock out everyone else."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.meter_service.limits.models import RateCount
from apps.meter_service.permissions import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
DESK_LOGIN = "/desk/login/"
OFFICE_LOGIN = "/office/login/"


def _from(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def _desk_login(client: Client, username: str, password: str):
    return client.post(DESK_LOGIN, {"username": username, "password": password})


def test_fifty_wrong_passwords_then_the_right_one_is_refused(make_user):
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    attacker = _from("198.51.100.66")
    for _attempt in range(50):
        _desk_login(attacker, clerk.username, "wrong")
    response = _desk_login(attacker, clerk.username, PASSWORD)
    assert "_auth_user_id" not in attacker.session
    assert "try again in" in response.content.decode() or "دقیقه" in response.content.decode()


def test_the_account_waits_but_other_accounts_and_addresses_do_not(make_user, settings):
    clerk, manager = make_user(Role.SERVICE_DESK_CLERK), make_user(Role.SERVICE_MANAGER)
    limit = settings.METER_SERVICE["LOGIN_FAILURES_PER_ACCOUNT"]
    attacker = _from("198.51.100.66")
    for _attempt in range(limit):
        _desk_login(attacker, clerk.username, "wrong")
    # The guessed account waits, from anywhere; another account signs in, from anywhere.
    _desk_login(_from("203.0.113.7"), clerk.username, PASSWORD)
    other = _from("203.0.113.8")
    _desk_login(other, manager.username, PASSWORD)
    assert "_auth_user_id" in other.session
    # A right password before the limit clears the account's count.
    RateCount.objects.all().delete()
    for _attempt in range(limit - 1):
        _desk_login(attacker, clerk.username, "wrong")
    _desk_login(_from("203.0.113.9"), clerk.username, PASSWORD)
    _desk_login(attacker, clerk.username, "wrong")
    late = _from("203.0.113.10")
    _desk_login(late, clerk.username, PASSWORD)
    assert "_auth_user_id" in late.session


def test_one_address_guessing_many_accounts_waits(make_user, settings):
    limit = settings.METER_SERVICE["LOGIN_FAILURES_PER_ADDRESS"]
    attacker = _from("198.51.100.66")
    for number in range(limit):
        _desk_login(attacker, f"nobody-{number}", "wrong")
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    _desk_login(attacker, clerk.username, PASSWORD)
    assert "_auth_user_id" not in attacker.session
    visitor = _from("203.0.113.7")
    _desk_login(visitor, clerk.username, PASSWORD)
    assert "_auth_user_id" in visitor.session


def test_office_guesses_lock_the_guessed_operator_only(make_user, make_office):
    office = make_office()
    victim, colleague = (
        make_user(Role.COUNTER_OFFICE_OPERATOR),
        make_user(Role.COUNTER_OFFICE_OPERATOR),
    )
    office.users.add(victim, colleague)
    attacker = _from("198.51.100.66")
    for _attempt in range(12):
        attacker.post(OFFICE_LOGIN, {"username": victim.username, "password": "wrong"})
    assert (
        attacker.post(OFFICE_LOGIN, {"username": victim.username, "password": PASSWORD}).status_code
        == 429
    )
    colleague_client = _from("203.0.113.7")
    colleague_client.post(OFFICE_LOGIN, {"username": colleague.username, "password": PASSWORD})
    assert "_auth_user_id" in colleague_client.session
