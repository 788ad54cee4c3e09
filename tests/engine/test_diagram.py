"""The process chart: the BPMN translated for people, a claim's progress, the public page."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation
from lxml import etree

from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.engine.diagram import (
    BPMN_NS,
    claim_diagram_state,
    lane_names,
    public_diagram_xml,
    translatable_names,
    translated_bpmn,
)
from apps.meter_service.engine.form_schema import schema_fields
from apps.meter_service.engine.forms import workflow_forms
from apps.meter_service.engine.services import WORKFLOWS_DIR
from apps.meter_service.permissions import Role
from apps.meter_service.process_pages import LANE_EXPLANATIONS
from apps.meter_service.workflows import labels

BPMN = (WORKFLOWS_DIR / "meter_test.bpmn").read_text(encoding="utf-8")


def _names(xml: str) -> dict[str, str]:
    root = etree.fromstring(xml.encode())
    return {e.get("id"): e.get("name") for e in root.iter() if e.get("id") and e.get("name")}


def _labels_source_strings() -> set[str]:
    """The strings labels.py hands to makemessages, read from its source as xgettext does."""
    source = (WORKFLOWS_DIR / "labels.py").read_text(encoding="utf-8")
    return set(re.findall(r'gettext_noop\(\s*"((?:[^"\\]|\\.)*)"\s*\)', source))


# --- the labels list ---------------------------------------------------------------------


def test_every_name_in_the_bpmn_is_in_labels():
    names = translatable_names(BPMN)
    assert "Schedule the test" in names  # a task
    assert "within tolerance" in names  # a sequence flow
    assert "Meter test service" in names  # the pool
    assert "technician" not in names  # lanes are role codes, shown as the role's label
    assert "fee_paid" not in names  # message names are the engine's, never shown
    missing = [name for name in names if name not in labels.LABELS]
    assert missing == [], f"add these to apps/meter_service/workflows/labels.py: {missing}"
    # And makemessages sees them: each is a literal gettext_noop() call.
    assert set(labels.LABELS) <= _labels_source_strings()


def test_every_label_of_the_shipped_forms_is_in_labels():
    """The forms' English labels are msgids too: a form without a Persian label shows the
    catalogue's."""
    names = set()
    for schema in workflow_forms().values():
        for field in schema_fields(schema):
            names.add(field.label)
            names.update(option.label for option in field.options)
    assert "Morning (8-12)" in names  # a choice
    assert "Visit date" in names  # a date's dateLabel
    missing = sorted(names - set(labels.LABELS))
    assert missing == [], f"add these to apps/meter_service/workflows/labels.py: {missing}"


def test_every_lane_is_a_role_or_the_system():
    codes = [code for _lane_id, code in lane_names(BPMN)]
    assert codes
    assert set(codes) <= {*Role.values, "system"}


# --- translation -------------------------------------------------------------------------


def test_translated_bpmn_in_persian():
    with translation.override("fa"):
        names = _names(translated_bpmn(BPMN))
        technician = str(Role.TECHNICIAN.label)
        subscriber = str(Role.SUBSCRIBER.label)
    assert names["Start_filed"] == "ثبت درخواست"
    assert names["Event_fee_paid"] == "پرداخت هزینه"
    assert names["Participant_gas_company"] == "سامانه تست کنتور"
    assert names["Lane_technician"] == technician != "technician"
    assert names["Lane_subscriber"] == subscriber != "subscriber"
    # Lanes named by role code never show the code.
    assert names["Lane_system"] != "system"
    # Message names are matched by the engine: untouched.
    assert names["Message_fee_paid"] == "fee_paid"


def test_translated_bpmn_in_english_keeps_the_file_names():
    with translation.override("en"):
        xml = translated_bpmn(BPMN)
    names = _names(xml)
    assert names["Start_filed"] == "Claim filed"
    assert names["Lane_technician"] == "Meter technician"
    assert names["Lane_system"] == "Automatic steps"
    assert names["Flow_Gateway_verdict_Task_close_no_fault"] == "within tolerance"
    # Same process: the same ids, flows, expressions and diagram.
    before = etree.fromstring(BPMN.encode())
    after = etree.fromstring(xml.encode())
    assert [e.get("id") for e in before.iter()] == [e.get("id") for e in after.iter()]
    flows = f"{{{BPMN_NS}}}conditionExpression"
    assert [e.text for e in before.iter(flows)] == [e.text for e in after.iter(flows)]


def test_translated_bpmn_refuses_entities():
    hostile = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}"><bpmn:process id="p" name="&x;"/>'
        "</bpmn:definitions>"
    )
    with translation.override("en"), pytest.raises(etree.XMLSyntaxError):
        translated_bpmn(hostile)


# --- a claim's progress ------------------------------------------------------------------


@pytest.mark.django_db
def test_claim_without_process_has_no_diagram(make_claim):
    claim = make_claim()
    claim.process.delete()
    claim.refresh_from_db()
    assert claim_diagram_state(claim) is None


@pytest.mark.django_db
def test_filed_claim_waits_for_the_fee(make_claim):
    claim = make_claim()
    state = claim_diagram_state(claim)
    assert state["completed"] == ["Start_filed", "Flow_Start_filed_Gateway_fee"]
    assert state["current"] == ["Gateway_fee"]
    assert state["ended"] == ""


@pytest.mark.django_db
def test_paid_claim_moves_to_scheduling(make_claim):
    claim = claim_mark_paid(claim=make_claim(), reference="x")
    with translation.override("fa"):
        state = claim_diagram_state(claim)
    assert "Event_fee_paid" in state["completed"]
    assert "Gateway_fork" in state["completed"]
    # The flows taken are marked, the others are not.
    assert "Flow_Gateway_fee_Event_fee_paid" in state["completed"]
    assert "Flow_Gateway_fork_Task_schedule" in state["completed"]
    assert "Flow_Gateway_fee_Event_cancelled" not in state["completed"]
    assert "Event_cancelled" not in state["completed"]
    # Now: the technician's step, and the service-level clock's first timer.
    assert "Task_schedule" in state["current"]
    assert "Event_sla_warn" in state["current"]
    assert "Task_test" not in state["current"]  # predicted, not reached
    assert not set(state["completed"]) & set(state["current"])
    assert state["ended"] == ""
    assert _names(state["xml"])["Start_filed"] == "ثبت درخواست"
    # Every id marked is an element of the diagram.
    assert set(state["completed"]) | set(state["current"]) <= set(_names(BPMN)) | _flow_ids()


@pytest.mark.django_db
def test_cancelled_claim_ends_at_cancelled(make_claim, make_user):
    from apps.meter_service.doctype.claim.services import claim_cancel

    claim = make_claim()
    claim_cancel(claim=claim, actor=make_user(Role.SERVICE_DESK_CLERK), reason="test")
    state = claim_diagram_state(claim)
    assert state["ended"] == "End_cancelled"
    assert "End_cancelled" in state["completed"]
    assert "Event_cancelled" in state["completed"]
    assert "Event_fee_paid" not in state["completed"]
    assert state["current"] == []


def _flow_ids() -> set[str]:
    root = etree.fromstring(BPMN.encode())
    return {e.get("id") for e in root.iter(f"{{{BPMN_NS}}}sequenceFlow")}


# --- the public page and the desk ----------------------------------------------------------


@pytest.mark.django_db
def test_public_page_is_persian_without_login(client, roles):
    response = client.get(reverse("process_public"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'lang="fa"' in html
    assert 'dir="rtl"' in html
    assert "vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" in html
    assert "//cdn" not in html and "unpkg" not in html
    data = json.loads(
        re.search(
            r'<script id="process-public-data" type="application/json">(.*?)</script>', html, re.S
        ).group(1)
    )
    names = _names(data["xml"])
    assert names["Start_filed"] == "ثبت درخواست"
    assert names["Event_fee_paid"] == "پرداخت هزینه"
    with translation.override("fa"):
        assert names["Lane_technician"] == str(Role.TECHNICIAN.label)
        assert str(Role.EMERGENCY_CREW.label) in html  # the roles explained
        assert str(LANE_EXPLANATIONS["technician"]) in html
    assert data["completed"] == [] and data["current"] == []


@pytest.mark.django_db
def test_public_diagram_is_the_active_version(roles):
    from apps.meter_service.engine.services import process_version_active

    with translation.override("en"):
        xml = public_diagram_xml()
    assert _names(xml) == _names(translated_bpmn_en(process_version_active().bpmn))


def translated_bpmn_en(xml: str) -> str:
    with translation.override("en"):
        return translated_bpmn(xml)


@pytest.mark.django_db
def test_portal_home_links_to_the_process(client, roles, tariffs):
    response = client.get(reverse("portal:home"))
    assert reverse("process_public") in response.content.decode()


@pytest.mark.django_db
def test_desk_claim_page_shows_the_process(client, make_user, make_claim):
    claim = claim_mark_paid(claim=make_claim(), reference="x")
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = client.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="claim-process"' in html
    data = json.loads(
        re.search(
            r'<script id="claim-process-diagram-data" type="application/json">(.*?)</script>',
            html,
            re.S,
        ).group(1)
    )
    assert "Task_schedule" in data["current"]
    assert "Event_fee_paid" in data["completed"]


@pytest.mark.django_db
def test_desk_claim_page_without_process_has_no_chart(client, make_user, make_claim):
    claim = make_claim()
    claim.process.delete()
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = client.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))
    assert response.status_code == 200
    assert 'id="claim-process"' not in response.content.decode()
