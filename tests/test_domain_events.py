"""Domain events: published in the caller's transaction, to the subscribers registered when
the app is ready; a required event nobody handles fails instead of dropping its effect."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.meter_service.core import domain_events
from apps.meter_service.doctype.claim.domain_events import ClaimFiledOnBill
from apps.meter_service.doctype.subscriber.domain_events import MobileChanged


@dataclass(frozen=True)
class Happened:
    value: int


@pytest.fixture
def clean_registry(monkeypatch):
    monkeypatch.setattr(domain_events, "_subscribers", domain_events.defaultdict(list))


def test_subscribers_get_the_event_in_order_once_each(clean_registry):
    seen = []
    first, second = (
        (lambda event: seen.append(("first", event.value))),
        (lambda event: seen.append(("second", event.value))),
    )
    domain_events.subscribe(Happened, first)
    domain_events.subscribe(Happened, second)
    domain_events.subscribe(Happened, first)  # asked twice, called once
    domain_events.publish(Happened(7))
    assert seen == [("first", 7), ("second", 7)]


def test_a_required_event_without_subscribers_fails(clean_registry):
    domain_events.publish(Happened(1))  # optional: nothing happens
    with pytest.raises(ImproperlyConfigured):
        domain_events.publish(Happened(1), required=True)


def test_a_handler_that_raises_stops_the_publisher(clean_registry):
    def refuse(event):
        raise ValueError("no")

    domain_events.subscribe(Happened, refuse)
    with pytest.raises(ValueError):
        domain_events.publish(Happened(1))


def test_the_apps_events_have_their_subscribers():
    assert domain_events._subscribers[ClaimFiledOnBill]
    assert domain_events._subscribers[MobileChanged]
