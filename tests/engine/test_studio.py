"""The process studio: drafts, their validation, a dry run that leaves nothing, deploy."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.engine import services, studio
from apps.meter_service.engine.models import ProcessVersion

pytestmark = pytest.mark.django_db

RENAMED = 'name="Schedule the test visit (studio)"'


def _shipped_with_new_label() -> tuple[str, dict[str, str]]:
    bpmn, dmn = services.workflow_files()
    old = 'id="Task_schedule" name="'
    start = bpmn.index(old) + len(old)
    end = bpmn.index('"', start)
    return bpmn[: start - len('name="')] + RENAMED[:-1] + bpmn[end:], dmn


def _unsafe(bpmn: str) -> str:
    """A gateway condition that reaches for Python internals."""
    marker = "<bpmn:conditionExpression"
    start = bpmn.index(marker)
    body_start = bpmn.index(">", start) + 1
    body_end = bpmn.index("</bpmn:conditionExpression>", body_start)
    return bpmn[:body_start] + "().__class__.__bases__[0].__subclasses__()" + bpmn[body_end:]


@pytest.fixture
def active(db):
    return services.process_version_active()


def test_a_draft_is_kept_and_never_active(active, make_user):
    manager = make_user("service_manager")
    bpmn, dmn = _shipped_with_new_label()
    draft = studio.process_draft_save(bpmn=bpmn, dmn_files=dmn, note="rename", actor=manager)
    assert draft.is_draft and draft.is_active is None and draft.number == active.number + 1
    again = studio.process_draft_save(bpmn=bpmn + "\n", dmn_files=dmn, draft=draft, actor=manager)
    assert again.pk == draft.pk and ProcessVersion.objects.count() == 2
    assert DocumentEvent.objects.filter(event_type="process_draft_saved").count() == 2
    # New claims start on the active version, and a draft is no migration target.
    assert services.process_version_active() == active
    with pytest.raises(ValidationError):
        services.process_version_activate(version=draft, actor=manager)


def test_a_draft_must_be_well_formed_xml(active):
    with pytest.raises(ValidationError):
        studio.process_draft_save(bpmn="<bpmn:definitions", dmn_files={})
    assert not ProcessVersion.objects.filter(is_draft=True).exists()


def test_validation_names_the_unsafe_expression_and_deploy_refuses_it(active):
    bpmn, dmn = services.workflow_files()
    draft = studio.process_draft_save(bpmn=_unsafe(bpmn), dmn_files=dmn)
    problems = studio.process_draft_problems(draft)
    assert len(problems) == 1
    assert problems[0].elements, problems[0].message
    assert all(element in problems[0].message for element in problems[0].elements)
    with pytest.raises(ValidationError):
        studio.process_draft_deploy(draft=draft)
    draft.refresh_from_db()
    assert draft.is_draft and ProcessVersion.objects.get(is_active=True) == active


def test_a_good_draft_validates_clean(active):
    bpmn, dmn = _shipped_with_new_label()
    draft = studio.process_draft_save(bpmn=bpmn, dmn_files=dmn)
    assert studio.process_draft_problems(draft) == []


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_app_config("meter_service").get_models()
    }


@pytest.mark.django_db(transaction=True)
def test_a_dry_run_goes_through_the_steps_and_leaves_nothing(
    roles, installed, tariffs, make_user, fake_sms
):
    active = services.process_version_active()
    manager = make_user("service_manager")
    bpmn, dmn = _shipped_with_new_label()
    draft = studio.process_draft_save(bpmn=bpmn, dmn_files=dmn, actor=manager)
    before, sms_before = _row_counts(), len(fake_sms.messages())

    run = studio.process_dry_run(
        version=draft,
        samples={"Task_test": {"outcome": "tested", "error_percent": "1.0"}},
        actor=manager,
    )

    assert "Task_schedule" in run.path and "Task_test" in run.path, (run.path, run.stopped)
    schedule = next(t for t in run.tasks if t.element == "Task_schedule")
    assert {f["id"] for f in schedule.fields} >= {"visit_date"}
    assert run.completed and run.end_event.startswith("End_"), (run.path, run.stopped)
    assert "fee_paid" in run.messages
    assert _row_counts() == before
    assert len(fake_sms.messages()) == sms_before
    assert ProcessVersion.objects.get(is_active=True) == active


def test_deploy_activates_the_draft_and_is_audited(active, make_user):
    manager = make_user("service_manager")
    bpmn, dmn = _shipped_with_new_label()
    draft = studio.process_draft_save(bpmn=bpmn, dmn_files=dmn, actor=manager)
    deployed = studio.process_draft_deploy(draft=draft, actor=manager)
    assert deployed.pk == draft.pk and deployed.is_active and not deployed.is_draft
    assert services.process_version_active() == deployed
    events = DocumentEvent.objects.filter(object_id=str(draft.pk)).values_list(
        "event_type", flat=True
    )
    assert {"process_version_deployed", "process_version_activated"} <= set(events)
    with pytest.raises(ValidationError):
        studio.process_draft_deploy(draft=deployed, actor=manager)


# --- who may use the studio --------------------------------------------------------------------
STUDIO_PAGES = ["studio", "studio_save", "studio_validate", "studio_dry_run", "studio_deploy"]


@pytest.mark.parametrize("role", ["service_manager", "system_admin"])
def test_the_studio_opens_for_the_service_manager_and_the_administrator(
    client, active, make_user, role
):
    from django.urls import reverse

    client.force_login(make_user(role))
    url = reverse("admin:meter_service_processversion_studio", args=[active.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"bpmn-modeler.production.min.js" in response.content


@pytest.mark.parametrize(
    "role", ["service_desk_clerk", "technician", "billing_officer", "complaints_officer"]
)
def test_other_roles_get_403(client, active, make_user, role):
    from django.urls import reverse

    client.force_login(make_user(role))
    bpmn, dmn = _shipped_with_new_label()
    draft = studio.process_draft_save(bpmn=bpmn, dmn_files=dmn)
    for name in STUDIO_PAGES:
        url = reverse(f"admin:meter_service_processversion_{name}", args=[draft.pk])
        response = client.post(url, "{}", content_type="application/json")
        assert response.status_code == 403, (name, response.status_code)
    assert ProcessVersion.objects.get(pk=draft.pk).is_draft


def _url(name: str, pk: int) -> str:
    from django.urls import reverse

    return reverse(f"admin:meter_service_processversion_{name}", args=[pk])


def test_the_desk_saves_validates_and_deploys_through_json(client, active, make_user):
    import json

    from django.urls import reverse

    client.force_login(make_user("service_manager"))
    menu = client.get(reverse("admin:meter_service_processversion_studio_active"))
    assert menu.status_code == 302 and menu.url == _url("studio", active.pk)

    bpmn, dmn = services.workflow_files()
    saved = client.post(
        _url("studio_save", active.pk),
        json.dumps({"bpmn": _unsafe(bpmn), "dmn": dmn, "note": "unsafe"}),
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    draft = ProcessVersion.objects.get(pk=saved.json()["id"])
    assert draft.is_draft and draft.note == "unsafe"
    assert saved.json()["studio_url"] == _url("studio", draft.pk)

    checked = client.post(_url("studio_validate", draft.pk)).json()
    assert checked["diff"] is None and len(checked["problems"]) == 1
    assert checked["problems"][0]["elements"]
    refused = client.post(_url("studio_deploy", draft.pk))
    assert refused.status_code == 400 and refused.json()["errors"]
    # The upload's activation page leads a draft to the studio instead.
    assert client.post(_url("activate", draft.pk)).url == _url("studio", draft.pk)

    fixed = client.post(
        _url("studio_save", draft.pk),
        json.dumps({"bpmn": _shipped_with_new_label()[0], "dmn": dmn}),
        content_type="application/json",
    )
    assert fixed.json()["id"] == draft.pk
    checked = client.post(_url("studio_validate", draft.pk)).json()
    assert checked["problems"] == []
    assert [c["id"] for c in checked["diff"]["changed"]] == ["Task_schedule"]

    deployed = client.post(_url("studio_deploy", draft.pk))
    assert deployed.status_code == 200 and deployed.json()["url"] == _url("change", draft.pk)
    assert services.process_version_active().pk == draft.pk


def test_the_desk_refuses_what_is_not_a_draft_request(client, active, make_user):
    client.force_login(make_user("system_admin"))
    assert client.post(_url("studio_save", active.pk), "[1]", content_type="x").status_code == 400
    assert client.post(_url("studio_deploy", active.pk)).status_code == 400
    assert client.get(_url("studio_deploy", active.pk)).status_code == 405
    assert ProcessVersion.objects.count() == 1


# --- the form designer ----------------------------------------------------------------------
def test_the_studio_opens_the_versions_forms(client, active, make_user):
    from django.urls import reverse

    client.force_login(make_user("service_manager"))
    page = client.get(reverse("admin:meter_service_processversion_studio", args=[active.pk]))
    assert page.status_code == 200
    assert page.context["studio_data"]["forms"] == active.forms
    html = page.content.decode()
    assert "vendor/form-js/form-editor" in html and 'id="studio-form-editor"' in html


def test_the_desk_saves_a_form_into_the_draft_and_checks_it(client, active, make_user):
    import json

    client.force_login(make_user("service_manager"))
    bpmn, dmn = services.workflow_files()
    forms = json.loads(json.dumps(active.forms))
    access = forms["Task_access"]["components"]
    access.append({"type": "textfield", "key": "gate_code", "label": "Gate code"})
    access[0]["properties"]["label_fa"] = "در دسترس از"
    saved = client.post(
        _url("studio_save", active.pk),
        {"bpmn": bpmn, "dmn": dmn, "forms": forms},
        content_type="application/json",
    )
    assert saved.status_code == 200, saved.content
    draft = ProcessVersion.objects.get(pk=saved.json()["id"])
    assert draft.is_draft and draft.forms["Task_access"]["components"][-1]["key"] == "gate_code"
    assert draft.checksum != active.checksum
    checked = client.post(_url("studio_validate", draft.pk)).json()
    assert checked["problems"] == [] and checked["diff"]["forms"] == ["Task_access"]

    # A form the server cannot check is not even kept...
    broken = json.loads(json.dumps(forms))
    broken["Task_access"]["components"].append({"type": "filepicker", "key": "photo"})
    refused = client.post(
        _url("studio_save", draft.pk),
        {"bpmn": bpmn, "dmn": dmn, "forms": broken},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "filepicker" in " ".join(refused.json()["errors"])
    draft.refresh_from_db()
    assert draft.forms["Task_access"]["components"][-1]["key"] == "gate_code"

    # ...and one that drops a field a step's handler reads is kept as a draft, but refused
    # by the checks and at deploy.
    dropped = json.loads(json.dumps(forms))
    dropped["Task_schedule"]["components"] = [
        c for c in dropped["Task_schedule"]["components"] if c["key"] != "visit_date"
    ]
    assert (
        client.post(
            _url("studio_save", draft.pk),
            {"bpmn": bpmn, "dmn": dmn, "forms": dropped},
            content_type="application/json",
        ).status_code
        == 200
    )
    problems = client.post(_url("studio_validate", draft.pk)).json()["problems"]
    assert len(problems) == 1 and "visit_date" in problems[0]["message"]
    assert problems[0]["elements"] == ["Task_schedule"]
    assert client.post(_url("studio_deploy", draft.pk)).status_code == 400
    draft.refresh_from_db()
    assert draft.is_draft


def test_a_dry_run_fills_the_forms_of_the_draft(active, installed, tariffs, fake_sms):
    forms = {key: dict(schema) for key, schema in active.forms.items()}
    schedule = forms["Task_schedule"] = {
        **forms["Task_schedule"],
        "components": [
            *active.forms["Task_schedule"]["components"],
            {"type": "number", "key": "visitors", "decimalDigits": 0, "validate": {"min": 2}},
        ],
    }
    bpmn, dmn = services.workflow_files()
    draft = studio.process_draft_save(bpmn=bpmn, dmn_files=dmn, forms=forms)
    run = studio.process_dry_run(version=draft)
    [task] = [t for t in run.tasks if t.element == "Task_schedule"]
    assert task.data["visitors"] == "2" and not task.errors
    assert [f["id"] for f in task.fields][-1] == schedule["components"][-1]["key"]
