"""Sign-in to the subscriber portal with a one-time code sent by SMS.

The portal calls `otp_request()` with what the subscriber typed, shows
`rules.CODE_SENT_MESSAGE` and keeps the challenge's id in the session; then `otp_verify()` with
the code typed, and `portal_user_for()` to get the account to log in.

The answer to a request does not tell whether the subscription exists: for an unknown one a
challenge is made all the same (no subscriber, no SMS), is rate limited the same way, and
fails verification like a wrong code. Only a malformed identifier is refused outright.
"""

from __future__ import annotations

import datetime
import ipaddress

from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.identifiers import normalize_subscription_key, to_persian_digits
from apps.meter_service.doctype.notification import rules as message_rules
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.doctype.notification.services import message_render, sms_send
from apps.meter_service.doctype.otp import events, rules
from apps.meter_service.doctype.otp.error_codes import OtpErrorCode
from apps.meter_service.doctype.otp.models import OtpChallenge
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.selectors import subscriber_by_key
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import Role

PORTAL_USERNAME_PREFIX = "sub-"

UNUSABLE_ACCOUNT_MESSAGE = _(
    "This subscription's portal account cannot be used to sign in; please contact the service desk."
)


def _clean_ip(ip: str) -> str:
    try:
        return str(ipaddress.ip_address((ip or "").strip()))
    except ValueError:
        return ""


def _find_subscriber(identifier: str) -> Subscriber | None:
    """Return the subscriber with this subscription number, else with this bill ID (the
    identifier normalised by rules.normalize_identifier)."""
    return subscriber_by_key(
        normalize_subscription_key(identifier), queryset=Subscriber.objects.select_for_update()
    )


def _own_challenges(subscriber: Subscriber | None, identifier: str) -> QuerySet[OtpChallenge]:
    if subscriber is not None:
        return OtpChallenge.objects.filter(subscriber=subscriber)
    return OtpChallenge.objects.filter(subscriber__isnull=True, identifier=identifier)


def _recent(queryset: QuerySet[OtpChallenge], since: datetime.datetime) -> list[datetime.datetime]:
    return list(
        queryset.filter(created_at__gt=since)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )


@transaction.atomic
def otp_request(
    *, identifier: str, ip: str = "", now: datetime.datetime | None = None
) -> OtpChallenge:
    """Send a sign-in code to the mobile on record of a subscription; return the challenge.

    `identifier` is a subscription number or a bill ID, in any digits. Raises ValidationError
    for a malformed identifier and when a rate limit is reached (per IP address, and per
    subscription: a least wait between codes and a most per window). A new code replaces the
    subscription's earlier ones. Only a hash of the code is stored, and the SMS log keeps the
    text with the code masked.
    """
    now = now or timezone.now()
    identifier = rules.normalize_identifier(identifier)
    ip = _clean_ip(ip)
    window_start = now - datetime.timedelta(seconds=rules.otp_setting("OTP_WINDOW_SECONDS"))
    if ip:
        rules.check_window(
            recent=_recent(OtpChallenge.objects.filter(requester_ip=ip), window_start),
            limit=rules.otp_setting("OTP_IP_MAX_PER_WINDOW"),
            now=now,
            message=rules.IP_LIMIT_MESSAGE,
            code=OtpErrorCode.OTP_IP_LIMIT,
        )
    subscriber = _find_subscriber(identifier)
    own = _own_challenges(subscriber, identifier)
    recent = _recent(own, window_start)
    rules.check_resend(last_sent=recent[-1] if recent else None, now=now)
    rules.check_window(
        recent=recent,
        limit=rules.otp_setting("OTP_MAX_PER_WINDOW"),
        now=now,
        message=rules.SUBSCRIPTION_LIMIT_MESSAGE,
        code=OtpErrorCode.OTP_SUBSCRIPTION_LIMIT,
    )
    length = rules.otp_setting("OTP_LENGTH")
    ttl = rules.otp_setting("OTP_TTL_SECONDS")
    code = rules.generate_code(length)
    own.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    challenge = OtpChallenge.objects.create(
        subscriber=subscriber,
        identifier=identifier,
        mobile=subscriber.mobile if subscriber else "",
        code_hash=rules.hash_code(code),
        created_at=now,
        expires_at=now + datetime.timedelta(seconds=ttl),
        requester_ip=ip or None,
    )
    if subscriber is not None:
        challenge.sms_message = _send_code(subscriber, code, ttl)
        if challenge.sms_message is not None:
            challenge.save(update_fields=["sms_message"])
        events.otp_requested_event(subscriber=subscriber, challenge=challenge)
    return challenge


def _send_code(subscriber: Subscriber, code: str, ttl: int) -> SmsMessage | None:
    values = message_rules.otp_values(code=code, ttl_seconds=ttl)
    body = message_render(key=message_rules.OTP_CODE, values=values)
    if body is None:
        return None
    return sms_send(
        to=subscriber.mobile,
        body=body,
        template_key=message_rules.OTP_CODE,
        redact=[code, to_persian_digits(code)],
    )


def otp_verify(*, challenge_id: int, code: str, now: datetime.datetime | None = None) -> Subscriber:
    """Return the subscriber whose code this is, marking the challenge used.

    Raises ValidationError for a used, expired or locked challenge and for a wrong code; a
    wrong code counts as a try even though the error is raised, so do not call this inside a
    transaction that the error would roll back. Persian digits are accepted.
    """
    now = now or timezone.now()
    length = rules.otp_setting("OTP_LENGTH")
    typed = rules.normalize_code(code, length=length)
    with transaction.atomic():
        challenge = (
            OtpChallenge.objects.select_for_update()
            .select_related("subscriber")
            .filter(pk=challenge_id)
            .first()
        )
        if challenge is None:
            raise ValidationError(rules.EXPIRED_MESSAGE, code=OtpErrorCode.OTP_EXPIRED)
        rules.check_can_verify(challenge, now=now)
        challenge.attempts += 1
        matches = rules.code_matches(typed, challenge.code_hash)
        # Signed in: the code matches a challenge of a known subscriber.
        subscriber = challenge.subscriber if matches else None
        if subscriber is not None:
            challenge.used_at = now
        challenge.save(update_fields=["attempts", "used_at"])
        if subscriber is not None:
            events.otp_verified_event(subscriber=subscriber, challenge=challenge)
    if subscriber is None:
        raise rules.wrong_code_error(challenge)
    return subscriber


@transaction.atomic
def portal_user_for(subscriber: Subscriber) -> User:
    """Return the subscriber's portal account, creating and linking it the first time.

    The account is "sub-<subscription number>", with no usable password (it signs in by
    code only), in the subscriber group and not staff. The link is written through
    subscriber_update, so the audit trail shows it. An account already linked is kept, unless
    it is inactive or staff: a code sent to a subscriber's mobile never signs anyone in to the
    desk.
    """
    subscriber = Subscriber.objects.select_for_update().select_related("user").get(pk=subscriber.pk)
    group, _created = Group.objects.get_or_create(name=Role.SUBSCRIBER)
    user = subscriber.user
    if user is None:
        username = f"{PORTAL_USERNAME_PREFIX}{subscriber.subscription_number}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, first_name=subscriber.name[:150])
            user.set_unusable_password()
            user.save()
    if not user.is_active or user.is_staff or user.is_superuser:
        raise ValidationError(UNUSABLE_ACCOUNT_MESSAGE, code=OtpErrorCode.PORTAL_ACCOUNT_UNUSABLE)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    if subscriber.user_id != user.pk:
        subscriber = subscriber_update(subscriber=subscriber, user=user, source="portal")
    return user


def otp_challenges_purge(*, before: datetime.datetime) -> int:
    """Delete challenges created before a moment; return how many (for a periodic job).

    Rate limits count the challenges of the last OTP_WINDOW_SECONDS: keep at least those.
    """
    deleted, _per_model = OtpChallenge.objects.filter(created_at__lt=before).delete()
    return deleted
