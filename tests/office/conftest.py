"""Fixtures of the counter-office portal: two offices, an operator of each, walk-in data."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.meter_service.core.identifiers import build_payment_id
from apps.meter_service.doctype.claim.services import claim_file
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.doctype.meter.services import meter_install
from apps.meter_service.permissions import Role
from tests.conftest import claim_fields


@pytest.fixture
def office_a(make_office):
    return make_office(code="28110231", name="دفتر پیشخوان ۲۳۱")


@pytest.fixture
def office_b(make_office):
    return make_office(code="28110418", name="دفتر پیشخوان ۴۱۸", city="تاکستان")


@pytest.fixture
def make_operator(make_user):
    """Return a factory: make_operator(*offices) -> a counter-office operator of them."""

    def make(*offices, **extra):
        user = make_user(Role.COUNTER_OFFICE_OPERATOR, **extra)
        for office in offices:
            office_set_operators(office=office, users=[*office.users.all(), user])
        return user

    return make


@pytest.fixture
def operator_a(make_operator, office_a):
    return make_operator(office_a, first_name="مهدی", last_name="نوری")


@pytest.fixture
def operator_b(make_operator, office_b):
    return make_operator(office_b)


@pytest.fixture
def office_client(client, operator_a):
    """A client logged in as the operator of office A."""
    client.force_login(operator_a)
    return client


@pytest.fixture
def make_installation(make_subscriber, make_meter):
    """Return a factory of subscribers with a meter installed at reading 100 in 2022."""

    def make(subscriber_fields=None, **meter_fields):
        subscriber = make_subscriber(**(subscriber_fields or {}))
        return meter_install(
            subscriber=subscriber,
            meter=make_meter(**meter_fields),
            installed_on=datetime.date(2022, 3, 21),
            initial_reading=Decimal("100"),
        )

    return make


@pytest.fixture
def file_office_claim(tariffs):
    """Return a factory filing a counter-office claim through the service, as an operator."""

    def file(installation, office, actor, now=None):
        subscriber = installation.subscriber
        fields = claim_fields(
            channel="counter_office",
            payment_method="counter_office",
            last_bill_id=subscriber.bill_id,
            last_payment_id=build_payment_id(subscriber.bill_id, 2_350_000, 5, 6),
        )
        if now is not None:
            fields["last_reading_date"] = timezone.localdate(now)
        return claim_file(
            subscriber=subscriber, counter_office=office, actor=actor, now=now, **fields
        )

    return file
