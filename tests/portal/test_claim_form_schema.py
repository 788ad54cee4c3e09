"""The process's claim form: further details asked in the portal, from the start event's
form-js schema, checked by the server and kept with the claim and in its process data."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.engine import services, validation
from apps.meter_service.engine.models import ProcessInstance
from tests.portal.test_claims import form_data, new_claim_url

pytestmark = pytest.mark.django_db

START = '<bpmn:startEvent id="Start_filed" name="Claim filed"'
CLAIM_FORM = {
    "type": "default",
    "id": "Claim_more",
    "components": [
        {
            "type": "radio",
            "key": "meter_place",
            "label": "Where is the meter?",
            "values": [
                {"label": "Outside", "value": "outside"},
                {"label": "Inside", "value": "inside"},
            ],
            "validate": {"required": True},
            "properties": {"label_fa": "کنتور کجاست؟", "label_fa:inside": "داخل"},
        },
        {
            "type": "number",
            "key": "floor",
            "label": "Floor",
            "decimalDigits": 0,
            "validate": {"min": 0, "max": 60},
        },
    ],
}


def _with_claim_form(form=CLAIM_FORM) -> tuple[str, dict[str, str], dict]:
    bpmn, dmn = services.workflow_files()
    bpmn = bpmn.replace(START, START + ' camunda:formKey="Claim_more"', 1)
    return bpmn, dmn, {**services.workflow_forms(), "Claim_more": form}


@pytest.fixture
def claim_form_active(db):
    bpmn, dmn, forms = _with_claim_form()
    version = services.process_version_create(bpmn=bpmn, dmn_files=dmn, forms=forms)
    return services.process_version_activate(version=version)


def test_the_portal_asks_the_further_details_and_keeps_them(
    portal_client, installed, tariffs, claim_form_active
):
    page = portal_client.get(new_claim_url(installed)).content.decode()
    assert 'name="more-meter_place"' in page and "کنتور کجاست؟" in page and "داخل" in page

    response = portal_client.post(
        new_claim_url(installed), form_data(**{"more-meter_place": "inside", "more-floor": "۳"})
    )
    assert response.status_code == 302, response.context and response.context["form"].errors
    claim = Claim.objects.get()
    assert claim.extra_fields == {"meter_place": "inside", "floor": 3}
    # The process starts with them, for its gateways and tables to read.
    instance = ProcessInstance.objects.get(claim=claim)
    assert instance.version == claim_form_active
    assert '"meter_place": "inside"' in json.dumps(instance.state)


@pytest.mark.parametrize(
    ("more", "field"),
    [
        ({"more-floor": "2"}, "more-meter_place"),  # required
        ({"more-meter_place": "roof"}, "more-meter_place"),  # not an option
        ({"more-meter_place": "inside", "more-floor": "۶۱"}, "more-floor"),  # above max
        ({"more-meter_place": "inside", "more-admin": "1"}, None),  # not a field of the form
    ],
)
def test_bad_further_details_file_nothing(
    portal_client, installed, tariffs, claim_form_active, more, field
):
    response = portal_client.post(new_claim_url(installed), form_data(**more))
    assert response.status_code == 200
    assert not Claim.objects.exists()
    html = response.content.decode()
    assert 'id="error-summary"' in html
    if field:
        assert f'name="{field}"' in html and "field--invalid" in html
    else:
        assert "admin" in " ".join(response.context["form"].non_field_errors())


def test_without_a_claim_form_the_portal_asks_nothing_more(portal_client, installed, tariffs):
    page = portal_client.get(new_claim_url(installed)).content.decode()
    assert 'id="more-details"' not in page
    assert portal_client.post(new_claim_url(installed), form_data()).status_code == 302
    assert Claim.objects.get().extra_fields == {}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key": "reason"}, "may not use the names reason"),
        ({"key": "claim_id"}, "may not use the names claim_id"),
        ({"key": "outcome"}, "may not use the names outcome"),
    ],
)
def test_a_claim_form_may_not_take_the_claims_own_names(change, message):
    form = {**CLAIM_FORM, "components": [{**CLAIM_FORM["components"][1], **change}]}
    bpmn, dmn, forms = _with_claim_form(form)
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(bpmn, dmn, "meter_test", forms=forms)
    assert message in " ".join(refused.value.messages)


def test_a_start_event_naming_a_missing_form_is_refused():
    bpmn, dmn, forms = _with_claim_form()
    del forms["Claim_more"]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(bpmn, dmn, "meter_test", forms=forms)
    assert "The start event names the form Claim_more" in " ".join(refused.value.messages)


def test_the_desk_shows_the_further_details_labelled(
    portal_client, installed, tariffs, claim_form_active, make_user
):
    portal_client.post(
        new_claim_url(installed), form_data(**{"more-meter_place": "inside", "more-floor": "12"})
    )
    claim = Claim.objects.get()
    desk = Client()
    desk.force_login(make_user("service_desk_clerk"))
    page = desk.get(reverse("admin:meter_service_claim_change", args=[claim.pk])).content.decode()
    assert "کنتور کجاست؟: داخل" in page and "Floor: ۱۲" in page
