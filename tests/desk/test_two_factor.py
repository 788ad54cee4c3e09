"""Two-factor sign-in to the desk: after the password, a code from an authenticator app
(TOTP), required for the roles of STAFF_TOTP_REQUIRED_ROLES; backup codes; wrong codes
counted with wrong passwords; a lost phone reset by the administrator, audited.

Before, the password alone signed anyone in, the system administrator included."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.meter_service import two_factor
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.rule_settings import rule_defaults
from apps.meter_service.permissions import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN, CODE, ENROL, DESK = "/desk/login/", "/desk/login/code/", "/desk/two-factor/", "/desk/"


@pytest.fixture(autouse=True)
def _site_default(settings):
    """The site's default: the administrator and the service manager must use a code."""
    default = rule_defaults()["STAFF_TOTP_REQUIRED_ROLES"]
    assert set(default) == {Role.SYSTEM_ADMIN, Role.SERVICE_MANAGER}
    settings.METER_SERVICE = {**settings.METER_SERVICE, "STAFF_TOTP_REQUIRED_ROLES": default}
    cache.clear()
    yield
    cache.clear()


def code_now(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app shows now for the device (from its secret)."""
    number = totp(device.bin_key, step=device.step, t0=device.t0 - steps_ahead * device.step)
    return f"{number:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    right = {code_now(device, steps_ahead=n) for n in (-2, -1, 0, 1, 2)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in right)


def unthrottle(device: TOTPDevice) -> None:
    """Forget django-otp's own wait after a wrong code (a second or more), not the limits."""
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def enrolled(user) -> tuple[TOTPDevice, list[str]]:
    device = two_factor.enrolment_device(user)
    codes = two_factor.enrolment_confirm(
        user=user, device=device, code=code_now(device), actor=user
    )
    device.refresh_from_db()
    # The code just used cannot be used again (replay); the tests sign in a step later.
    device.last_t -= 2
    device.save()
    return device, codes


def password_step(client: Client, user):
    return client.post(LOGIN, {"username": user.username, "password": PASSWORD})


def test_a_required_role_is_not_signed_in_by_the_password_but_sent_to_enrol(make_user):
    manager = make_user(Role.SERVICE_MANAGER)
    client = Client()
    response = password_step(client, manager)
    assert response.status_code == 302 and response["Location"] == ENROL
    assert not signed_in(client)
    assert client.get(DESK).status_code == 302  # nothing in the desk yet
    assert client.get("/api/v1/claims/").status_code in (401, 403)
    page = client.get(ENROL)
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    content = page.content.decode()
    assert "<svg" in content and two_factor.secret_text(device) in content
    assert 'dir="rtl"' in content
    # A wrong code does not enrol; the right one, typed with Persian digits, signs in.
    response = client.post(ENROL, {"code": wrong_code(device)})
    assert not signed_in(client) and not TOTPDevice.objects.filter(confirmed=True).exists()
    unthrottle(device)
    response = client.post(ENROL, {"code": to_persian_digits(code_now(device))})
    assert signed_in(client)
    device.refresh_from_db()
    assert device.confirmed
    codes = response.context["backup_codes"]  # shown once, here
    assert len(codes) == two_factor.BACKUP_CODES
    assert all(code in response.content.decode() for code in codes)
    # Kept as keyed hashes: the database holds none of the codes shown.
    stored = set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True))
    assert stored == {two_factor.backup_code_hash(manager, code) for code in codes}
    assert not stored & set(codes)
    assert client.get(DESK).status_code == 200
    assert client.get(ENROL).content.decode().count(codes[0]) == 0  # never again
    assert DocumentEvent.objects.filter(
        event_type="two_factor_enrolled", object_id=str(manager.pk), actor=manager
    ).exists()


def test_an_enrolled_user_signs_in_with_the_code_in_persian_digits(make_user):
    admin = make_user(Role.SYSTEM_ADMIN)
    device, _codes = enrolled(admin)
    client = Client()
    response = password_step(client, admin)
    assert response["Location"] == CODE and not signed_in(client)
    assert client.get(DESK).status_code == 302
    assert 'autocomplete="one-time-code"' in client.get(CODE).content.decode()
    client.post(CODE, {"code": wrong_code(device)})
    assert not signed_in(client)
    unthrottle(device)
    response = client.post(CODE, {"code": " " + to_persian_digits(code_now(device)) + " "})
    assert response.status_code == 302 and response["Location"] == DESK
    assert signed_in(client) and client.get(DESK).status_code == 200
    assert client.get("/api/v1/claims/").status_code == 200  # the session, verified


def test_the_code_step_is_only_for_a_session_that_gave_the_password(make_user):
    admin = make_user(Role.SYSTEM_ADMIN)
    device, _codes = enrolled(admin)
    client = Client()
    response = client.post(CODE, {"code": code_now(device)})
    assert response["Location"] == LOGIN and not signed_in(client)


def test_a_backup_code_signs_in_once(make_user):
    admin = make_user(Role.SYSTEM_ADMIN)
    _device, codes = enrolled(admin)
    first = Client()
    password_step(first, admin)
    first.post(CODE, {"code": codes[0].upper()})
    assert signed_in(first)
    again = Client()
    password_step(again, admin)
    again.post(CODE, {"code": codes[0]})
    assert not signed_in(again)


def test_wrong_codes_count_towards_the_sign_in_limits(make_user, settings):
    admin = make_user(Role.SYSTEM_ADMIN)
    device, _codes = enrolled(admin)
    limit = settings.METER_SERVICE["LOGIN_FAILURES_PER_ACCOUNT"]
    attacker = Client(REMOTE_ADDR="198.51.100.66")
    for attempt in range(limit):
        if attempt % 3 == 0:
            # The right password again must not clear the count of wrong codes.
            password_step(attacker, admin)
        attacker.post(CODE, {"code": wrong_code(device)})
        unthrottle(device)  # django-otp's own wait would refuse sooner
    response = attacker.post(CODE, {"code": code_now(device)})
    assert not signed_in(attacker)
    assert "دقیقه" in response.content.decode() or "minutes" in response.content.decode()
    # The account waits, from anywhere: the password step too.
    elsewhere = Client(REMOTE_ADDR="203.0.113.7")
    password_step(elsewhere, admin)
    assert not signed_in(elsewhere) and elsewhere.get(CODE).status_code == 302


def test_other_roles_use_the_password_alone_until_they_enrol(make_user):
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    client = Client()
    password_step(client, clerk)
    assert signed_in(client) and client.get(DESK).status_code == 200
    # The clerk enrols from the desk, and is asked for the code from then on.
    device = TOTPDevice.objects.get(user=clerk) if client.get(ENROL).status_code == 200 else None
    assert device is not None
    client.post(ENROL, {"code": code_now(device)})
    assert client.get(DESK).status_code == 200  # this session showed the code
    later = Client()
    assert password_step(later, clerk)["Location"] == CODE and not signed_in(later)


def test_a_session_without_the_second_factor_cannot_use_the_desk(make_user):
    manager = make_user(Role.SERVICE_MANAGER)
    client = Client()
    client.force_login(manager)  # a session from before the code was required
    assert client.get(DESK)["Location"].startswith(LOGIN)
    assert client.get(ENROL)["Location"] == LOGIN  # nor enrol without the password
    assert client.get("/api/v1/claims/").status_code == 401  # nor the API with the session
    enrolled_admin = make_user(Role.SYSTEM_ADMIN)
    enrolled(enrolled_admin)
    other = Client()
    other.force_login(enrolled_admin)
    assert other.get(DESK).status_code == 302
    assert other.get(ENROL).status_code == 302  # cannot swap the device without the code


def test_the_administrator_resets_a_lost_phone_audited(make_user):
    admin, manager = make_user(Role.SYSTEM_ADMIN), make_user(Role.SERVICE_MANAGER)
    admin_device, _codes = enrolled(admin)
    enrolled(manager)
    desk = Client()
    password_step(desk, admin)
    desk.post(CODE, {"code": code_now(admin_device)})
    response = desk.post(
        "/desk/auth/user/", {"action": "reset_two_factor", "_selected_action": [manager.pk]}
    )
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert not StaticToken.objects.filter(device__user=manager).exists()
    event = DocumentEvent.objects.get(event_type="two_factor_reset")
    assert event.actor == admin and event.object_id == str(manager.pk)
    # The manager enrols again at the next sign-in.
    assert password_step(Client(), manager)["Location"] == ENROL


def test_only_a_user_administrator_may_reset(make_user):
    manager, clerk = make_user(Role.SERVICE_MANAGER), make_user(Role.SERVICE_DESK_CLERK)
    device, _codes = enrolled(clerk)
    desk = Client()
    manager_device, _ = enrolled(manager)
    password_step(desk, manager)
    desk.post(CODE, {"code": code_now(manager_device)})
    desk.post("/desk/auth/user/", {"action": "reset_two_factor", "_selected_action": [clerk.pk]})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
