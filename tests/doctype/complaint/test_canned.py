"""Canned responses: written by the service manager in the desk with their placeholders
checked, audited, offered on a complaint's page by topic, and filling the answer box with
the complaint's values (no JavaScript needed); the officer edits and sends it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from helpdesk.models import FollowUp

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.core.tracking import display
from apps.meter_service.doctype.complaint import rules, services
from apps.meter_service.doctype.complaint.models import CannedResponse
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

ADD = reverse("admin:meter_service_cannedresponse_add")
TEXT = (
    "{complainant_name} گرامی، شکایت {complaint_number} ({topic}) دربارهٔ درخواست "
    "{claim_tracking_code} تا {due_date} پاسخ داده می‌شود. {officer_name}"
)


def _page(complaint) -> str:
    return reverse("admin:meter_service_complaint_change", args=[complaint.pk])


@pytest.fixture
def complaint(file_complaint, make_claim):
    return file_complaint(claim=make_claim())


def test_the_shipped_responses_are_loaded_and_valid(roles):
    rows = json.loads((Path(settings.FIXTURE_DIRS[0]) / services.CANNED_FIXTURE).read_text())
    titles = {row["fields"]["title"] for row in rows}
    assert set(CannedResponse.objects.values_list("title", flat=True)) >= titles
    for response in CannedResponse.objects.all():
        rules.check_canned_response(
            title=response.title, body_fa=response.body_fa, body_en=response.body_en
        )
    # Loading again adds nothing and keeps what staff changed.
    CannedResponse.objects.update(is_active=False)
    assert services.canned_responses_ensure_defaults() == []
    assert not CannedResponse.objects.filter(is_active=True).exists()


def test_an_unknown_placeholder_is_refused_and_nothing_written(roles):
    CannedResponse.objects.all().delete()
    events = DocumentEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.canned_response_save(
            actor=None, title="پاسخ", body_fa="شماره {tracking}", body_en="{complaint_number"
        )
    assert error.value.error_dict["body_fa"][0].code == "unknown_placeholder"
    assert error.value.error_dict["body_en"][0].code == "unmatched_brace"
    assert not CannedResponse.objects.exists()
    assert DocumentEvent.objects.count() == events


def test_the_manager_writes_one_in_the_desk_and_it_is_audited(client, make_user, topics):
    client.force_login(make_user(Role.SERVICE_MANAGER))
    data = {"title": "پاسخ قبض", "topic": topics["billing"].pk, "body_fa": "{nope}"}
    data |= {"body_en": "", "is_active": "on"}
    refused = client.post(ADD, data)
    assert refused.status_code == 200 and "{nope}" in refused.content.decode()
    assert not CannedResponse.objects.filter(title="پاسخ قبض").exists()

    data["body_fa"] = "شکایت {complaint_number} بررسی شد."
    assert client.post(ADD, data).status_code == 302
    response = CannedResponse.objects.get(title="پاسخ قبض")
    assert response.topic == topics["billing"]
    event = DocumentEvent.objects.get(event_type="canned_response_created")
    assert event.parameters["changed"]["topic"] == [None, "billing"]
    change = reverse("admin:meter_service_cannedresponse_change", args=[response.pk])
    data["is_active"] = ""
    assert client.post(change, data).status_code == 302
    changed = DocumentEvent.objects.get(event_type="canned_response_changed")
    assert changed.parameters["changed"] == {"is_active": [True, False]}


def test_officers_use_but_do_not_write_them(client, officer):
    client.force_login(officer)
    assert client.get(reverse("admin:meter_service_cannedresponse_changelist")).status_code == 200
    assert client.get(ADD).status_code == 403


def test_picking_one_fills_the_answer_with_the_complaints_values(
    client, officer, complaint, topics
):
    officer.first_name, officer.last_name = "مریم", "احمدی"
    officer.save()
    CannedResponse.objects.all().delete()
    mine = services.canned_response_save(
        actor=None, title="پیگیری", body_fa=TEXT, body_en="Dear {complainant_name}"
    )
    services.canned_response_save(
        actor=None, title="فقط قبض", body_fa="قبض", topic=topics["billing"]
    )
    services.canned_response_save(actor=None, title="خاموش", body_fa="-", is_active=False)
    client.force_login(officer)

    page = client.get(_page(complaint))
    picker = page.context["canned_form"]
    offered = [label for value, label in picker.fields["canned"].choices if value]
    # Not another topic's, nor a switched-off one.
    assert offered == ["پیگیری", "پیگیری (به انگلیسی)"]

    filled = client.get(_page(complaint), {"canned": str(mine.pk)})
    text = filled.context["message_form"].initial["text"]
    code = to_persian_digits(display(complaint.tracking_code))
    claim_code = to_persian_digits(display(complaint.claim.tracking_code))
    assert text.startswith(f"{complaint.complainant_name} گرامی")
    assert code in text and claim_code in text
    assert rules.topic_label(complaint.ticket.queue) in text
    assert format_date(complaint.due_at) in text  # the Jalali day, Persian digits
    assert text.endswith("مریم احمدی")
    assert "{" not in text
    assert code in filled.content.decode()  # in the answer box of the page itself
    english = client.get(_page(complaint), {"canned": f"{mine.pk}-en"})
    assert english.context["message_form"].initial["text"] == (f"Dear {complaint.complainant_name}")
    # An unknown pick leaves the box empty.
    other = client.get(_page(complaint), {"canned": "999999"})
    assert not other.context["message_form"].initial.get("text")

    # The officer edits it and sends it as an answer.
    sent = text + "\nبازدید فردا انجام می‌شود."
    response = client.post(
        reverse("admin:meter_service_complaint_message", args=[complaint.pk]),
        {"text": sent, "kind": "answer"},
    )
    assert response.status_code == 302
    assert FollowUp.objects.filter(ticket=complaint.ticket).latest("id").comment == sent
