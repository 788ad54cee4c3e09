"""A process file that the application cannot run safely is refused, and nothing is saved."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.engine import services, validation
from apps.meter_service.engine.models import ProcessVersion
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _before_process_end(bpmn: str, xml: str) -> str:
    return _replace(bpmn, "\n  </bpmn:process>", f"\n    {xml}\n  </bpmn:process>")


def malformed(bpmn, dmn):
    return bpmn[: len(bpmn) // 2], dmn


def script_task(bpmn, dmn):
    xml = '<bpmn:scriptTask id="Task_script"><bpmn:script>import os</bpmn:script></bpmn:scriptTask>'
    return _before_process_end(bpmn, xml), dmn


def lane_not_a_role(bpmn, dmn):
    return _replace(bpmn, 'name="technician">', 'name="Technicians">'), dmn


def unknown_topic(bpmn, dmn):
    return _replace(bpmn, 'camunda:topic="inspection.tolerance"', 'camunda:topic="shell.run"'), dmn


def attribute_access(bpmn, dmn):
    return _replace(bpmn, ">not sla_warned<", ">claim.__class__ is None<"), dmn


def unknown_function(bpmn, dmn):
    return _replace(bpmn, ">access_due()<", ">open('/etc/passwd')<"), dmn


def dmn_syntax_error(bpmn, dmn):
    broken = _replace(dmn["test_verdict.dmn"], "&gt; mpe<", "&gt; mpe +<")
    return bpmn, {**dmn, "test_verdict.dmn": broken}


def dmn_not_xml(bpmn, dmn):
    return bpmn, {**dmn, "fee_refund.dmn": dmn["fee_refund.dmn"][:200]}


def fails_the_schema(bpmn, dmn):
    return _replace(bpmn, 'isExecutable="true"', 'isExecutable="maybe"'), dmn


def unknown_message(bpmn, dmn):
    return _replace(bpmn, 'name="claim_cancelled" />', 'name="claim_reopened" />'), dmn


def unknown_field_type(bpmn, dmn):
    # A form written as Camunda formData, as files made before forms were schemas.
    form_data = (
        "<bpmn:extensionElements><camunda:formData>"
        '<camunda:formField id="visit_date" label="Visit date" type="file" />'
        "</camunda:formData></bpmn:extensionElements>"
    )
    task = 'camunda:formKey="Task_access">'
    return _replace(bpmn, task, task + form_data), dmn


BROKEN = {
    "malformed XML": (malformed, "The BPMN file is not well-formed XML"),
    "a script task": (script_task, "Script tasks are not allowed"),
    "a lane not named by a role": (lane_not_a_role, "Lane Technicians is not a role"),
    "an unknown service topic": (unknown_topic, "names an unknown topic shell.run"),
    "attribute access in an expression": (attribute_access, "attribute access (.) is not allowed"),
    "an unknown function in an expression": (
        unknown_function,
        "open() is not a function processes may call",
    ),
    "a DMN entry with a syntax error": (dmn_syntax_error, "not a valid expression"),
    "a DMN file that is not XML": (dmn_not_xml, "fee_refund.dmn is not well-formed XML"),
    "a BPMN that fails the XSD": (fails_the_schema, "The process does not validate"),
    "a message the application never sends": (unknown_message, "Message claim_reopened"),
    "a form field of an unknown type": (unknown_field_type, "has an unknown type file"),
}


@pytest.fixture
def active():
    return services.process_version_active()


def test_the_shipped_files_validate(db):
    bpmn, dmn = services.workflow_files()
    assert validation.validate_files(bpmn, dmn, "meter_test") is not None
    version = services.process_version_create(bpmn=bpmn, dmn_files=dmn, note="first")
    assert version.number == 1 and version.is_active is None


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_service_refuses_and_saves_nothing(active, case):
    change, message = BROKEN[case]
    bpmn, dmn = change(*services.workflow_files())
    events = DocumentEvent.objects.count()
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.process_version_create(bpmn=bpmn, dmn_files=dmn, note=case)
    assert message in " ".join(refused.value.messages)
    assert ProcessVersion.objects.count() == 1
    assert DocumentEvent.objects.count() == events


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_the_desk_shows_why_and_saves_nothing(client, make_user, active, case):
    change, message = BROKEN[case]
    bpmn, dmn = change(*services.workflow_files())
    client.force_login(make_user(Role.SERVICE_MANAGER))
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post(
        reverse("admin:meter_service_processversion_add"),
        {
            "bpmn": SimpleUploadedFile("meter_test.bpmn", bpmn.encode()),
            "dmn": [SimpleUploadedFile(name, xml.encode()) for name, xml in dmn.items()],
            "note": case,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    # The message is HTML-escaped in the page.
    assert message.replace("'", "&#x27;") in page, case
    assert ProcessVersion.objects.count() == 1


def test_the_desk_shows_the_refusal_in_the_users_language(client, make_user, active):
    bpmn, _dmn = script_task(*services.workflow_files())
    client.force_login(make_user(Role.SERVICE_MANAGER))  # Persian: the default
    response = client.post(
        reverse("admin:meter_service_processversion_add"),
        {"bpmn": SimpleUploadedFile("meter_test.bpmn", bpmn.encode()), "note": "x"},
    )
    with translation.override("fa"):
        expected = translation.gettext(
            "Script tasks are not allowed; use a service task with a topic."
        )
    assert expected in response.content.decode()


def test_a_refused_first_upload_leaves_no_version_at_all(client, make_user):
    """On a new site the upload also makes version 1 of the shipped files; refused, neither."""
    bpmn, _dmn = script_task(*services.workflow_files())
    client.force_login(make_user(Role.SYSTEM_ADMIN))
    ProcessVersion.objects.all().delete()  # a site set up before versions were kept
    response = client.post(
        reverse("admin:meter_service_processversion_add"),
        {"bpmn": SimpleUploadedFile("meter_test.bpmn", bpmn.encode()), "note": "x"},
    )
    assert response.status_code == 200
    assert ProcessVersion.objects.count() == 0
