"""Two-factor sign-in to the desk: a password, then a 6-digit code from an authenticator app
(TOTP, django-otp), or one of the one-time backup codes shown at enrolment.

A password alone never signs a user with a device, or of a role in STAFF_TOTP_REQUIRED_ROLES,
in: the session only remembers for PENDING_SECONDS whose password was right (PENDING_KEY),
and the user is signed in when the code is (or, not enrolled yet, when the new device is
confirmed). Wrong codes count with wrong passwords in login_limits, per account and address,
and django-otp's own throttle slows each device further. A session signed in otherwise (one
from before, or whose device was reset) is not let into the desk (sites.py, has_permission).
"""

from __future__ import annotations

import re
import time
from base64 import b32encode
from typing import Any

import qrcode
import qrcode.image.svg
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.models import User
from django.db import transaction
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.core.rule_reader import rule_in_force
from apps.meter_service.permissions import has_role
from apps.meter_service.staff_events import StaffEvents

PENDING_KEY = "meter_desk_two_factor_pending"
PENDING_SECONDS = 300
BACKUP_CODES = 8
# The device name of the desk's authenticator app and of its backup codes.
DEVICE_NAME = "desk"


def required_for(user) -> bool:
    """Return True when the user's role must use a second factor (STAFF_TOTP_REQUIRED_ROLES)."""
    roles = rule_in_force("STAFF_TOTP_REQUIRED_ROLES") or ()
    return bool(roles) and has_role(user, *roles)


def confirmed_device(user) -> TOTPDevice | None:
    """Return the user's confirmed authenticator app, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def needs_second_factor(user) -> bool:
    """Return True when a password alone must not sign the user in to the desk."""
    return required_for(user) or confirmed_device(user) is not None


def is_satisfied(request) -> bool:
    """Return True when the signed-in user has shown the second factor this session, or
    needs none."""
    user = request.user
    # OTPMiddleware's is_verified() is `otp_device is not None`; a user signed in during this
    # request (finish_sign_in) has the attribute but not the method.
    verified = getattr(user, "otp_device", None) is not None
    return verified or not needs_second_factor(user)


# --- between the password and the code ------------------------------------------------------
def start_pending(request, user, *, next_url: str) -> None:
    """Remember, for PENDING_SECONDS, that this session gave the user's right password."""
    request.session.cycle_key()  # a fixed session id must not carry over to the next step
    request.session[PENDING_KEY] = {
        "user": user.pk,
        "backend": user.backend,
        "next": next_url,
        "at": time.time(),
    }


def pending(request) -> tuple[User, dict[str, Any]] | None:
    """Return (user, state) of the session's pending sign-in, or None (none, or too old)."""
    state = request.session.get(PENDING_KEY)
    if not state or time.time() - state.get("at", 0) > PENDING_SECONDS:
        return None
    user = get_user_model().objects.filter(pk=state["user"], is_active=True).first()
    return (user, state) if user is not None else None


def finish_sign_in(request, user, *, backend: str, device) -> None:
    """Sign the user in with the device that checked the code (the session is verified)."""
    request.session.pop(PENDING_KEY, None)
    user.otp_device = device  # django_otp stores it in the session on user_logged_in
    auth_login(request, user, backend=backend)


def normalise_code(text: str) -> str:
    """Return a typed code as stored: Persian/Arabic-Indic digits made ASCII, no spaces."""
    code = normalize_digits(text or "")
    return "".join(code.split()).replace("-", "").lower()


def backup_code_hash(user, code: str) -> str:
    """Return the stored form of a backup code: a keyed hash, never the code itself.

    django-otp keeps static tokens as typed and looks them up by equality, so the hash must
    be deterministic: an HMAC under the site's secret key and the user's id (the same code
    of two users stores differently). 16 base32 characters fit django-otp's token column.
    Changing the secret key voids the backup codes; the authenticator app still works.
    """
    digest = salted_hmac("meter.two_factor.backup", f"{user.pk}:{code}", algorithm="sha256")
    return b32encode(digest.digest()).decode()[:16].lower()


def verify_code(user, code: str):
    """Return the device (authenticator app or backup codes) that accepts the code, or None.

    A backup code is used up; the app's code cannot be used twice (django-otp keeps the last
    time step), and each device's throttle grows with every wrong code.
    """
    code = normalise_code(code)
    if not code:
        return None
    with transaction.atomic():
        if code.isdigit():
            device = confirmed_device(user)
            if device is not None and device.verify_token(code):
                return device
            return None
        stored = backup_code_hash(user, code)
        for device in StaticDevice.objects.filter(user=user, confirmed=True):
            if device.verify_token(stored):
                return device
    return None


# --- enrolment ---------------------------------------------------------------------------------
def enrolment_device(user) -> TOTPDevice:
    """Return the user's device being enrolled (unconfirmed), made on first use."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """Return the device's secret as authenticator apps take it typed (base32, in fours)."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """Return the device's otpauth:// address as an inline SVG QR code (made here, offline)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    # Shown at a size phones scan well; the viewBox keeps it sharp (no inline style needed).
    return re.sub(r'^<svg width="[^"]*" height="[^"]*"', '<svg width="192" height="192"', svg)


@transaction.atomic
def enrolment_confirm(*, user, device: TOTPDevice, code: str, actor) -> list[str] | None:
    """Confirm the enrolled device with its first code; return the new backup codes (shown
    once), or None for a wrong code. The user's earlier devices and backup codes go."""
    if device.user_id != user.pk or device.confirmed:
        return None
    code = normalise_code(code)
    if not code.isdigit() or not device.verify_token(code):
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    StaticDevice.objects.filter(user=user).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    backup = StaticDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _number in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create(
        StaticToken(device=backup, token=backup_code_hash(user, code)) for code in codes
    )
    record_event(document=user, event_type=StaffEvents.TWO_FACTOR_ENROLLED, actor=actor)
    return codes


@transaction.atomic
def devices_reset(*, user, actor) -> bool:
    """Remove the user's authenticator app and backup codes (a lost phone); return True when
    there were any. The user enrols again at the next sign-in if the role requires it."""
    removed = TOTPDevice.objects.filter(user=user).delete()[0]
    removed += StaticDevice.objects.filter(user=user).delete()[0]
    if removed:
        record_event(document=user, event_type=StaffEvents.TWO_FACTOR_RESET, actor=actor)
    return bool(removed)
