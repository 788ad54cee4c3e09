"""The desk's History button and the audit trail: events, in Persian, never raw codes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from apps.meter_service.doctype.payment.services import payment_record_in_person
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.engine.services import process_complete_task
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


def fa(text: str) -> str:
    with translation.override("fa"):
        return translation.gettext(text)


@pytest.fixture
def worked_claim(make_claim, make_user):
    """An in-person claim paid at the desk (a payment document) and scheduled."""
    claim = make_claim(channel="in_person", payment_method="in_person")
    payment_record_in_person(claim=claim, actor=make_user(Role.SERVICE_DESK_CLERK, "cashier"))
    task = ProcessTask.objects.get(instance__claim=claim, element_id="Task_schedule")
    process_complete_task(
        task_id=task.task_id,
        user=make_user(Role.TECHNICIAN),
        data={"test_type": "field", "visit_date": "1405/09/10", "visit_time": "morning"},
    )
    return claim


def test_the_claims_history_button_shows_its_whole_history(client, make_user, worked_claim):
    client.force_login(make_user(Role.SERVICE_MANAGER, "manager"))

    response = client.get(reverse("admin:meter_service_claim_history", args=[worked_claim.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="document-history"' in html
    for label in (
        "Claim filed",
        "Fee paid",
        "Payment received",  # the payment document's own event
        "Process started",
        "Schedule the test",
        "Test visit scheduled",
    ):
        assert fa(label) in html, label
    for code in ("claim_filed", "payment_paid", "process_step", "claim_visit_scheduled"):
        assert code not in html
    assert "cashier" in html  # who took the fee


def test_any_documents_history_lists_its_audit_events(client, make_user, installed):
    from apps.meter_service.doctype.subscriber.services import subscriber_update

    client.force_login(make_user(Role.SYSTEM_ADMIN, "root"))
    subscriber = installed.subscriber
    subscriber_update(subscriber=subscriber, city="تاکستان")

    response = client.get(reverse("admin:meter_service_subscriber_history", args=[subscriber.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="document-history"' in html
    assert fa("Subscriber changed") in html
    with translation.override("fa"):
        city = str(subscriber._meta.get_field("city").verbose_name)
    assert city in html and ">city<" not in html  # the changed field, by its name


def test_the_audit_list_shows_event_names_not_codes(client, make_user, worked_claim):
    client.force_login(make_user(Role.SYSTEM_ADMIN, "root"))

    response = client.get(reverse("admin:meter_service_documentevent_changelist"))

    html = response.content.decode()
    assert fa("Payment received") in html
    assert ">payment_paid<" not in html and ">claim_filed<" not in html
    filtered = client.get(
        reverse("admin:meter_service_documentevent_changelist"), {"event_type": "payment_paid"}
    )
    assert filtered.status_code == 200
    assert list(filtered.context["cl"].queryset.values_list("event_type", flat=True)) == [
        "payment_paid"
    ]
