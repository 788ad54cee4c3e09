"""Portal sign-in by a one-time code sent by SMS."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.doctype.notification.services import message_templates_ensure_defaults
from apps.meter_service.doctype.otp import rules
from apps.meter_service.doctype.otp.models import OtpChallenge
from apps.meter_service.doctype.otp.services import otp_request, otp_verify, portal_user_for
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

MOBILE = "09127654321"
T0 = timezone.make_aware(datetime.datetime(2024, 8, 2, 10, 0))


def seconds(n: float) -> datetime.datetime:
    return T0 + datetime.timedelta(seconds=n)


@pytest.fixture
def subscriber(make_subscriber):
    message_templates_ensure_defaults()
    return make_subscriber(mobile=MOBILE)


@pytest.fixture
def request_code(fake_sms, django_capture_on_commit_callbacks):
    """Ask for a code as the portal would; return (challenge, code read from the fake's SMS)."""

    def ask(identifier: str, *, ip: str = "10.0.0.1", now=None):
        with django_capture_on_commit_callbacks(execute=True):
            challenge = otp_request(identifier=identifier, ip=ip, now=now)
        code = fake_sms.last_code(challenge.mobile) if challenge.subscriber_id else None
        return challenge, code

    return ask


def error_code(caught) -> str:
    return caught.value.error_list[0].code


def test_the_code_is_texted_to_the_mobile_on_record_and_verifies(
    subscriber, request_code, fake_sms
):
    challenge, code = request_code(subscriber.subscription_number)

    [sms] = fake_sms.messages(MOBILE)
    assert challenge.subscriber == subscriber
    assert challenge.mobile == MOBILE
    assert challenge.requester_ip == "10.0.0.1"
    assert to_persian_digits(code) in sms["message"]  # shown with Persian digits
    assert "۲ دقیقه" in sms["message"]
    assert otp_verify(challenge_id=challenge.pk, code=code) == subscriber
    challenge.refresh_from_db()
    assert challenge.used_at is not None
    assert challenge.attempts == 1
    assert DocumentEvent.objects.filter(event_type="otp_verified").count() == 1


def test_a_bill_id_and_persian_digits_are_accepted(subscriber, request_code):
    challenge, code = request_code(to_persian_digits(subscriber.bill_id))

    assert challenge.subscriber == subscriber
    assert otp_verify(challenge_id=challenge.pk, code=to_persian_digits(code)) == subscriber


def test_only_a_hash_of_the_code_is_stored(subscriber, request_code):
    challenge, code = request_code(subscriber.subscription_number)

    persian = to_persian_digits(code)
    stored = [
        *OtpChallenge.objects.values_list("code_hash", "identifier", "mobile"),
        *SmsMessage.objects.values_list("body", "to", "provider_message_id"),
        *(str(p) for p in DocumentEvent.objects.values_list("parameters", flat=True)),
    ]
    text = repr(stored)
    assert code not in text and persian not in text
    assert challenge.code_hash.startswith("hmac-sha256$")
    assert SmsMessage.objects.get().body.count("•") == len(code)


def test_a_wrong_code_counts_a_try_and_the_last_try_locks(subscriber, request_code, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "OTP_MAX_ATTEMPTS": 3}
    challenge, code = request_code(subscriber.subscription_number)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    with pytest.raises(ValidationError) as first:
        otp_verify(challenge_id=challenge.pk, code=wrong)
    with pytest.raises(ValidationError):
        otp_verify(challenge_id=challenge.pk, code=wrong)
    with pytest.raises(ValidationError) as third:
        otp_verify(challenge_id=challenge.pk, code=wrong)
    with pytest.raises(ValidationError) as right_too_late:
        otp_verify(challenge_id=challenge.pk, code=code)

    assert error_code(first) == "otp_wrong"
    assert first.value.error_list[0].params == {"left": 2}
    assert error_code(third) == "otp_locked"
    assert error_code(right_too_late) == "otp_locked"
    challenge.refresh_from_db()
    assert challenge.attempts == 3
    assert challenge.used_at is None


def test_malformed_code_is_refused_without_counting(subscriber, request_code):
    challenge, _code = request_code(subscriber.subscription_number)

    with pytest.raises(ValidationError) as caught:
        otp_verify(challenge_id=challenge.pk, code="12ab")

    assert error_code(caught) == "otp_format"
    challenge.refresh_from_db()
    assert challenge.attempts == 0


def test_an_expired_code_is_refused(subscriber, request_code):
    challenge, code = request_code(subscriber.subscription_number, now=T0)

    with pytest.raises(ValidationError) as caught:
        otp_verify(challenge_id=challenge.pk, code=code, now=seconds(120))

    assert error_code(caught) == "otp_expired"
    assert otp_verify(challenge_id=challenge.pk, code=code, now=seconds(119)) == subscriber


def test_the_clock_can_be_frozen_with_timezone_now(subscriber, request_code, monkeypatch):
    challenge, code = request_code(subscriber.subscription_number)
    later = timezone.now() + datetime.timedelta(minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: later)

    with pytest.raises(ValidationError) as caught:
        otp_verify(challenge_id=challenge.pk, code=code)

    assert error_code(caught) == "otp_expired"


def test_a_used_code_is_refused(subscriber, request_code):
    challenge, code = request_code(subscriber.subscription_number)
    otp_verify(challenge_id=challenge.pk, code=code)

    with pytest.raises(ValidationError) as caught:
        otp_verify(challenge_id=challenge.pk, code=code)

    assert error_code(caught) == "otp_used"


def test_an_unknown_challenge_looks_expired():
    with pytest.raises(ValidationError) as caught:
        otp_verify(challenge_id=424242, code="123456")

    assert error_code(caught) == "otp_expired"


def test_a_new_code_replaces_the_earlier_one(subscriber, request_code):
    first, first_code = request_code(subscriber.subscription_number, now=T0)
    second, second_code = request_code(subscriber.subscription_number, now=seconds(61))

    with pytest.raises(ValidationError) as caught:
        otp_verify(challenge_id=first.pk, code=first_code, now=seconds(62))

    assert error_code(caught) == "otp_expired"
    assert otp_verify(challenge_id=second.pk, code=second_code, now=seconds(62)) == subscriber


# --- rate limits --------------------------------------------------------------------------


def test_a_second_code_must_wait(subscriber, request_code):
    request_code(subscriber.subscription_number, now=T0)

    with pytest.raises(ValidationError) as caught:
        request_code(subscriber.bill_id, now=seconds(20))  # the same subscription by bill ID

    assert error_code(caught) == "otp_resend_wait"
    assert caught.value.error_list[0].params == {"seconds": 40}
    with translation.override("en"):
        assert "Wait 40 seconds" in caught.value.messages[0]


def test_at_most_three_codes_per_window(subscriber, request_code, fake_sms):
    for n in range(3):
        request_code(subscriber.subscription_number, now=seconds(61 * n), ip=f"10.0.0.{n}")

    with pytest.raises(ValidationError) as caught:
        request_code(subscriber.subscription_number, now=seconds(61 * 3), ip="10.0.0.9")

    assert error_code(caught) == "otp_subscription_limit"
    assert caught.value.error_list[0].params == {"minutes": 7}  # the first leaves at 600 s
    assert len(fake_sms.messages(MOBILE)) == 3
    request_code(subscriber.subscription_number, now=seconds(601), ip="10.0.0.9")


def test_too_many_codes_from_one_ip(make_subscriber, subscriber, request_code, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "OTP_IP_MAX_PER_WINDOW": 2}
    others = [make_subscriber(), make_subscriber()]
    request_code(subscriber.subscription_number, ip="10.1.1.1", now=T0)
    request_code(others[0].subscription_number, ip="10.1.1.1", now=seconds(1))

    with pytest.raises(ValidationError) as caught:
        request_code(others[1].subscription_number, ip="10.1.1.1", now=seconds(2))

    assert error_code(caught) == "otp_ip_limit"
    request_code(others[1].subscription_number, ip="10.1.1.2", now=seconds(2))


def test_the_limits_are_settings(subscriber, request_code, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "OTP_RESEND_SECONDS": 0}
    request_code(subscriber.subscription_number, now=T0)

    request_code(subscriber.subscription_number, now=seconds(1))


def test_code_length_and_lifetime_are_settings(subscriber, request_code, settings, fake_sms):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "OTP_LENGTH": 4, "OTP_TTL_SECONDS": 300}
    challenge, code = request_code(subscriber.subscription_number, now=T0)

    assert len(code) == 4
    assert challenge.expires_at == seconds(300)
    assert "۵ دقیقه" in fake_sms.messages(MOBILE)[-1]["message"]
    assert otp_verify(challenge_id=challenge.pk, code=code, now=seconds(299)) == subscriber


# --- unknown subscriptions ----------------------------------------------------------------


def test_an_unknown_subscription_gets_the_same_answer_and_no_sms(
    subscriber, request_code, fake_sms
):
    challenge, _ = request_code("99999999")

    assert challenge.pk is not None
    assert challenge.subscriber is None
    assert fake_sms.messages() == []
    with pytest.raises(ValidationError) as caught:
        otp_verify(challenge_id=challenge.pk, code="123456")
    assert error_code(caught) == "otp_wrong"


def test_an_unknown_subscription_is_rate_limited_alike(subscriber, request_code):
    request_code("99999999", now=T0)

    with pytest.raises(ValidationError) as caught:
        request_code("۹۹۹۹۹۹۹۹", now=seconds(10))

    assert error_code(caught) == "otp_resend_wait"


@pytest.mark.parametrize("typed", ["", "abc", "12345678901234", "۱۲a"])
def test_a_malformed_identifier_is_refused(typed):
    with pytest.raises(ValidationError) as caught:
        otp_request(identifier=typed)

    assert error_code(caught) == "otp_identifier"
    assert not OtpChallenge.objects.exists()


def test_no_template_means_no_sms_but_the_same_answer(
    make_subscriber, fake_sms, django_capture_on_commit_callbacks
):
    subscriber = make_subscriber()  # no templates loaded

    with django_capture_on_commit_callbacks(execute=True):
        challenge = otp_request(identifier=subscriber.subscription_number)

    assert challenge.subscriber == subscriber
    assert challenge.sms_message is None
    assert fake_sms.messages() == []


def test_an_odd_ip_is_ignored(subscriber, request_code):
    challenge, _ = request_code(subscriber.subscription_number, ip="not-an-ip")

    assert challenge.requester_ip is None


# --- the portal account -------------------------------------------------------------------


def test_portal_user_for_creates_links_and_is_idempotent(subscriber, roles):
    user = portal_user_for(subscriber)
    again = portal_user_for(subscriber)

    subscriber.refresh_from_db()
    assert again == user
    assert user.username == f"sub-{subscriber.subscription_number}"
    assert not user.has_usable_password()
    assert not user.is_staff and not user.is_superuser
    assert list(user.groups.values_list("name", flat=True)) == [Role.SUBSCRIBER]
    assert subscriber.user == user
    [linked] = DocumentEvent.objects.filter(event_type="subscriber_updated")
    assert linked.parameters["source"] == "portal"
    assert "user" in linked.parameters["changes"]
    assert User.objects.filter(username=user.username).count() == 1


def test_portal_user_for_keeps_an_account_already_linked(subscriber, roles):
    existing = User.objects.create_user(username="sara-portal")
    subscriber_update(subscriber=subscriber, user=existing)

    user = portal_user_for(subscriber)

    assert user == existing
    assert user.groups.filter(name=Role.SUBSCRIBER).exists()


def test_portal_user_for_refuses_a_staff_account(subscriber, make_user):
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    subscriber_update(subscriber=subscriber, user=clerk)

    with pytest.raises(ValidationError) as caught:
        portal_user_for(subscriber)

    assert error_code(caught) == "portal_account_unusable"


def test_hashing_is_salted_and_checked_in_constant_time():
    first, second = rules.hash_code("123456"), rules.hash_code("123456")

    assert first != second
    assert rules.code_matches("123456", first) and rules.code_matches("123456", second)
    assert not rules.code_matches("123457", first)
    assert not rules.code_matches("123456", "md5$x$y")
