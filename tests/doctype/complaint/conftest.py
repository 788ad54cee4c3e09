"""Complaint fixtures: topics loaded, an officer who owns the meter-test queue, a claim."""

import pytest
from helpdesk.models import Queue

from apps.meter_service.doctype.complaint.services import complaint_file
from apps.meter_service.permissions import Role
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401


@pytest.fixture
def act(django_capture_on_commit_callbacks, fake_sms):  # noqa: F811
    """Call a service and run what it hands to jobs on commit (SMS to the fake provider)."""

    def call(service, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return service(*args, **kwargs)

    return call


@pytest.fixture
def topics(roles):
    return {q.slug: q for q in Queue.objects.all()}


@pytest.fixture
def officer(make_user, topics):
    user = make_user(Role.COMPLAINTS_OFFICER, email="officer@gas.example")
    Queue.objects.filter(slug="meter-test").update(default_owner=user)
    topics["meter-test"].refresh_from_db()
    return user


@pytest.fixture
def subscriber_user(make_user, installed):
    user = make_user(Role.SUBSCRIBER)
    subscriber = installed.subscriber
    subscriber.user = user
    subscriber.save(update_fields=["user"])
    return user


@pytest.fixture
def file_complaint(topics, officer, act):
    """Return a factory filing a portal complaint about a claim (or with other arguments)."""

    def make(*, claim=None, actor=None, topic="meter-test", **overrides):
        fields = {
            "actor": actor,
            "channel": "portal",
            "topic": topics[topic],
            "title": "تست کنتور انجام نشد",
            "description": "مأمور در زمان اعلام‌شده نیامد.",
            "claim": claim,
        }
        fields.update(overrides)
        return act(complaint_file, **fields)

    return make
