"""Two-factor sign-in in a real browser: a service manager enrols an authenticator app from
the QR page (the code computed from the secret shown), then signs in with a code."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from django_otp.oath import hotp, totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.rule_settings import rule_defaults
from apps.meter_service.permissions import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Set to a folder to keep screenshots of the pages, to look at them.
SCREENSHOTS = os.environ.get("METER_SCREENSHOTS")


def _shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _code(secret_shown: str) -> str:
    secret = secret_shown.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key):06d}"


def _code_after(secret_shown: str, last_step: int) -> str:
    """The app's code for the time step after `last_step`: the code a step's boundary cannot
    push out of the server's window (it moves its drift when it accepts a code late)."""
    secret = secret_shown.replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{hotp(key, last_step + 1):06d}"


def _password(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/desk/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def test_a_manager_enrols_then_signs_in_with_a_code(page, live_server, make_user, settings):
    required = rule_defaults()["STAFF_TOTP_REQUIRED_ROLES"]
    settings.METER_SERVICE = {**settings.METER_SERVICE, "STAFF_TOTP_REQUIRED_ROLES": required}
    manager = make_user(Role.SERVICE_MANAGER)
    _password(page, live_server, manager.username)
    page.wait_for_url(f"{live_server.url}/desk/two-factor/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.locator("#totp-qr svg").is_visible()
    secret = page.inner_text("#totp-secret").strip()
    _shot(page, "two_factor_enrol")
    page.fill("input[name=code]", to_persian_digits(_code(secret)))
    page.click("#two-factor-enrol-form button[type=submit]")
    codes = page.locator("#backup-codes li")
    codes.first.wait_for()
    assert codes.count() == 8
    _shot(page, "two_factor_backup_codes")
    page.click("text=ادامه به میز کار")
    page.wait_for_url(f"{live_server.url}/desk/")

    page.context.clear_cookies()
    _password(page, live_server, manager.username)
    page.wait_for_url(f"{live_server.url}/desk/login/code/")
    _shot(page, "two_factor_code")
    # The enrolment's code cannot be used again: the app's next one signs in.
    device = TOTPDevice.objects.get(user=manager, confirmed=True)
    page.fill("input[name=code]", _code_after(secret, device.last_t))
    page.click("#two-factor-code-form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    assert page.evaluate("document.documentElement.lang") == "fa"
