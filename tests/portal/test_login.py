"""Logging in to the portal with a subscription number (or bill ID) and a code by SMS."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user
from django.urls import reverse
from django.utils import translation

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.otp import rules as otp_rules
from apps.meter_service.permissions import Role, has_role
from apps.meter_service.portal.views import LOGIN_SESSION_KEY

pytestmark = pytest.mark.django_db

LOGIN = "/portal/login/"
MOBILE = "09121234567"  # the mobile of the `installed` subscription


def fa(message, **params) -> str:
    with translation.override("fa"):
        text = str(message)
    return text % params if params else text


@pytest.fixture(autouse=True)
def _message_templates(db):
    """The SMS texts, among them the sign-in code's, as a fresh site has them."""
    from apps.meter_service.doctype.notification.services import message_templates_ensure_defaults

    message_templates_ensure_defaults()


@pytest.fixture
def ask_code(client, fake_sms, django_capture_on_commit_callbacks):
    """Return a function doing step one; the SMS goes out when the transaction commits."""

    def ask(identifier: str, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(LOGIN, {"identifier": identifier, **extra})

    return ask


def test_login_with_the_code_texted_to_the_subscriber(client, installed, fake_sms, ask_code):
    subscriber = installed.subscriber

    response = ask_code(to_persian_digits(subscriber.subscription_number))
    assert response.status_code == 302
    assert response["Location"] == LOGIN
    step_two = client.get(LOGIN)
    assert 'name="code"' in step_two.content.decode()
    said = fa(
        otp_rules.CODE_SENT_MESSAGES["subscription_number"],
        identifier=to_persian_digits(subscriber.subscription_number),
    )
    assert said in step_two.content.decode()

    code = fake_sms.last_code(MOBILE)
    response = client.post(LOGIN, {"code": to_persian_digits(code)})

    assert response.status_code == 302
    assert response["Location"] == reverse("portal:claim_list")
    user = get_user(client)
    subscriber.refresh_from_db()
    assert user.is_authenticated and subscriber.user == user
    assert has_role(user, Role.SUBSCRIBER) and not user.is_staff
    assert client.get(reverse("portal:claim_list")).status_code == 200


def test_the_bill_id_works_too_and_next_is_followed(client, installed, fake_sms, ask_code):
    target = reverse("portal:claim_start")
    client.get(f"{LOGIN}?next={target}")
    ask_code(installed.subscriber.bill_id, next=target)

    response = client.post(LOGIN, {"code": fake_sms.last_code(MOBILE)})

    assert response["Location"] == target


def test_a_next_to_another_site_is_ignored(client, installed, fake_sms, ask_code):
    ask_code(installed.subscriber.subscription_number, next="https://evil.example/")

    response = client.post(LOGIN, {"code": fake_sms.last_code(MOBILE)})

    assert response["Location"] == reverse("portal:claim_list")


def test_a_wrong_code_is_refused(client, installed, fake_sms, ask_code):
    ask_code(installed.subscriber.subscription_number)
    code = fake_sms.last_code(MOBILE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    response = client.post(LOGIN, {"code": wrong})

    assert response.status_code == 200
    left = otp_rules.otp_setting("OTP_MAX_ATTEMPTS") - 1
    assert fa(otp_rules.WRONG_CODE_MESSAGE, left=left) in response.content.decode()
    assert [e.code for e in response.context["form"].errors.as_data()["code"]] == ["otp_wrong"]
    assert not get_user(client).is_authenticated
    # The right code still works afterwards.
    assert client.post(LOGIN, {"code": code}).status_code == 302
    assert get_user(client).is_authenticated


def test_an_unknown_subscription_gets_the_same_answer_and_no_sms(client, db, fake_sms, ask_code):
    response = ask_code("9999999")

    assert response.status_code == 302
    assert response["Location"] == LOGIN
    assert fake_sms.messages() == []
    response = client.post(LOGIN, {"code": "123456"})
    assert response.status_code == 200
    assert not get_user(client).is_authenticated


def test_asking_again_too_soon_shows_the_rate_limit(client, installed, fake_sms, ask_code):
    ask_code(installed.subscriber.subscription_number)
    client.get(f"{LOGIN}?restart=1")

    response = ask_code(installed.subscriber.subscription_number)

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert [e.code for e in errors.as_data()] == ["otp_resend_wait"]
    assert errors[0] in response.content.decode()  # the wait, in Persian, on the page
    assert len(fake_sms.messages(MOBILE)) == 1


def test_letters_are_refused_before_any_code_is_sent(client, db, fake_sms, ask_code):
    response = ask_code("abc-123")

    assert response.status_code == 200
    assert "identifier" in response.context["form"].errors
    assert fake_sms.messages() == []


def test_log_out(portal_client):
    assert get_user(portal_client).is_authenticated

    response = portal_client.post(reverse("portal:logout"))

    assert response["Location"] == reverse("portal:home")
    assert not get_user(portal_client).is_authenticated
    assert portal_client.get(reverse("portal:logout")).status_code == 405


def test_a_logged_in_subscriber_skips_the_login_page(portal_client):
    response = portal_client.get(LOGIN)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:claim_list")


def test_staff_cannot_use_the_subscriber_pages(client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    assert client.get(reverse("portal:claim_list")).status_code == 403


def test_an_unknown_bill_id_is_named_and_nothing_is_revealed(client, installed, ask_code):
    """A well-formed bill ID that is no one's: the page says "if this bill ID is ours", in
    the same words it would use for a subscriber's, and no SMS goes out."""
    from apps.meter_service.core.identifiers import build_bill_id

    unknown = build_bill_id("7654321", "281", 3)
    response = ask_code(to_persian_digits(unknown))
    assert response.status_code == 302
    page = client.get(LOGIN).content.decode()
    said = fa(otp_rules.CODE_SENT_MESSAGES["bill_id"], identifier=to_persian_digits(unknown))
    assert said in page
    assert fa(otp_rules.CODE_SENT_MESSAGE) not in page


def test_a_mistyped_bill_id_says_the_check_digit_is_wrong(client, installed, ask_code):
    """Not "a code was sent": the check digit shows the bill ID was mistyped."""
    from apps.meter_service.core.validators import MESSAGES

    bill_id = installed.subscriber.bill_id
    mistyped = bill_id[:-1] + str((int(bill_id[-1]) + 1) % 10)
    response = ask_code(to_persian_digits(mistyped))
    assert response.status_code == 200
    assert fa(MESSAGES["bill_id_checksum"]) in response.content.decode()
    assert LOGIN_SESSION_KEY not in client.session
