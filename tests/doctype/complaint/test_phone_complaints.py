"""Complaints by phone: the call centre logs one against the caller's subscription (found
by subscription number or bill ID typed in Persian digits), it gets the same answer deadline
as a portal complaint, and the operator sees it afterwards."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.complaint import rules, services
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.sla.calendar import add_working_seconds
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

FILE = reverse("admin:meter_service_complaint_file")
LIST = reverse("admin:meter_service_complaint_changelist")


@pytest.fixture
def operator(client, make_user, topics):
    user = make_user(Role.CALL_CENTRE_OPERATOR)
    client.force_login(user)
    return user


@pytest.mark.parametrize("key", ["subscription_number", "bill_id"])
def test_the_call_centre_logs_a_phone_complaint_with_the_portals_deadline(
    client, operator, installed, topics, act, key
):
    subscriber = installed.subscriber
    assert client.get(FILE).status_code == 200
    assert FILE in client.get(reverse("admin:index")).content.decode()  # in the menu
    response = client.post(
        FILE,
        {
            "channel": "phone",
            "topic": topics["billing"].pk,
            "title": "قبض اشتباه",
            "description": "مبلغ قبض این دوره دو برابر شده است.",
            "complainant_name": "",
            "contact_mobile": "",
            "contact_email": "",
            "subscriber": to_persian_digits(getattr(subscriber, key)),
            "claim": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.filed_by, complaint.subscriber) == (
        "phone",
        operator,
        subscriber,
    )
    assert complaint.complainant_name == subscriber.name
    assert complaint.contact_mobile == subscriber.mobile

    # The answer is due as a portal complaint's filed at the same moment would be.
    assert complaint.due_at == add_working_seconds(complaint.filed_at, rules.sla_seconds())
    assert complaint.ticket.due_date == complaint.due_at
    portal = act(
        services.complaint_file,
        actor=None,
        channel="portal",
        topic=topics["billing"],
        title="قبض",
        description="متن",
        subscriber=subscriber,
        now=complaint.filed_at,
    )
    assert portal.due_at == complaint.due_at

    # The operator sees it afterwards: on its page and in the list, without the officers'
    # action forms.
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["may_act"] is False
    listing = client.get(LIST, {"q": to_persian_digits(complaint.tracking_code)})
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [complaint]
