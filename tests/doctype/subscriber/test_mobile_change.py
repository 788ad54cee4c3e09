"""A changed mobile is told to the old number, whichever door changed it."""

from __future__ import annotations

import pytest

from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.doctype.notification.selectors import active_template
from apps.meter_service.doctype.notification.services import message_template_update
from apps.meter_service.doctype.subscriber.services import subscriber_update, subscriber_upsert
from apps.meter_service.permissions import Role
from tests.conftest import subscriber_fields

pytestmark = pytest.mark.django_db

OLD, NEW = "09121234567", "09359876543"


@pytest.fixture
def clerk(make_user):
    return make_user(Role.SERVICE_DESK_CLERK)


@pytest.fixture
def subscriber(make_subscriber):
    return make_subscriber(mobile=OLD)


def _texts_to(fake_sms, mobile: str) -> list[str]:
    return [m["message"] for m in fake_sms.messages(mobile)]


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run what waits for the commit (the text's delivery) when the block ends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_the_old_number_is_told_and_not_the_new_one(subscriber, clerk, fake_sms, committed):
    """A clerk (or an intruder at a clerk's desk) could move a subscription's texts and
    sign-in codes to another number without the holder hearing of it."""
    with committed():
        subscriber_update(subscriber=subscriber, actor=clerk, mobile=NEW)

    [text] = _texts_to(fake_sms, OLD)
    assert to_persian_digits(subscriber.subscription_number) in text
    assert to_persian_digits("6543") in text  # the new number's last four digits only
    assert NEW not in normalize_digits(text) and "98765" not in normalize_digits(text)
    assert not _texts_to(fake_sms, NEW)
    sms = SmsMessage.objects.get(to=OLD)
    assert sms.template_key == "subscriber_mobile_changed"


def test_an_import_changing_the_mobile_tells_the_old_number(subscriber, clerk, fake_sms, committed):
    fields = subscriber_fields(subscriber.subscription_number, mobile=NEW)
    fields["national_id"] = subscriber.national_id
    with committed():
        subscriber_upsert(actor=clerk, **fields)

    assert len(_texts_to(fake_sms, OLD)) == 1


def test_no_text_when_the_mobile_stays(subscriber, clerk, fake_sms, committed):
    with committed():
        subscriber_update(subscriber=subscriber, actor=clerk, mobile=OLD, city="تاکستان")

    assert not SmsMessage.objects.exists()
    assert not _texts_to(fake_sms, OLD)


def test_the_text_is_an_editable_template(subscriber, clerk, fake_sms, make_user, committed):
    template = active_template(key="subscriber_mobile_changed")
    message_template_update(
        template=template,
        actor=make_user(Role.SYSTEM_ADMIN),
        body_fa="شماره اشتراک {subscription_number} عوض شد: ...{new_mobile_end}",
    )
    with committed():
        subscriber_update(subscriber=subscriber, actor=clerk, mobile=NEW)

    [text] = _texts_to(fake_sms, OLD)
    assert text.startswith("شماره اشتراک ") and text.endswith(to_persian_digits("...6543"))
