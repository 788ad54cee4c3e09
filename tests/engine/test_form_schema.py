"""User task forms as form-js schemas: the converter from formData, the server's checks of a
submission, and a version whose form drops a field the application needs."""

from __future__ import annotations

import copy
import datetime
import importlib
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from apps.meter_service.engine import handlers, runner, services, validation
from apps.meter_service.engine.form_schema import (
    SchemaForm,
    check_forms,
    schema_fields,
    schemas_from_bpmn,
    task_data,
)
from apps.meter_service.engine.forms import form_for, forms_of, task_fields, workflow_forms
from apps.meter_service.engine.models import ProcessVersion
from apps.meter_service.engine.versions import process_version_diff, process_version_files

FORMDATA_BPMN = (Path(__file__).parent / "data" / "formdata_1405.bpmn").read_text(encoding="utf-8")


def _form(components, data, **kwargs):
    schema = {"type": "default", "components": components}
    return SchemaForm(data, fields=schema_fields(schema, "Form_test"), **kwargs)


def _errors(form) -> dict[str, list[str]]:
    assert not form.is_valid()
    return {key: [str(m) for m in messages] for key, messages in form.errors.items()}


# --- the converter ------------------------------------------------------------------------
def test_every_shipped_form_is_the_conversion_of_its_formdata():
    """The shipped schemas are what the converter makes of the formData the BPMN had."""
    converted = schemas_from_bpmn(FORMDATA_BPMN)
    shipped = workflow_forms()
    assert sorted(converted) == sorted(shipped) == sorted(handlers.FORM_FIELDS_NEEDED)
    assert converted == shipped


def test_the_converted_forms_keep_each_field_its_type_rules_and_labels():
    forms = schemas_from_bpmn(FORMDATA_BPMN)
    by_key = {f.key: f for schema in forms.values() for f in schema_fields(schema)}
    assert by_key["test_type"].type == "select" and by_key["test_type"].required
    assert [o.value for o in by_key["visit_time"].options] == ["morning", "afternoon"]
    assert by_key["visit_date"].type == "datetime" and by_key["visit_date"].label == "Visit date"
    assert by_key["damage_rial"].decimal_digits == 0 and by_key["damage_rial"].minimum == 0
    error = by_key["error_percent"]
    assert (error.type, error.minimum, error.maximum) == ("number", -100, 100)
    assert error.decimal_digits == 3 and not error.required
    assert by_key["new_serial"].max_length == 40 and by_key["new_serial"].type == "textfield"
    assert by_key["notes"].type == "textarea" and by_key["notes"].max_length == 500
    assert by_key["stopped"].type == "checkbox"
    # Both languages: English from the file, Persian from the catalogue.
    assert by_key["outcome"].label == "Outcome of the visit"
    assert by_key["outcome"].label_fa == "نتیجه بازدید"
    assert {o.value: o.label_fa for o in by_key["outcome"].options}["no_access"]


def test_a_converted_form_accepts_and_refuses_as_the_formdata_form_did():
    [fields] = [
        schema_fields(s) for k, s in schemas_from_bpmn(FORMDATA_BPMN).items() if k == "Task_replace"
    ]
    form = SchemaForm(
        {"old_final_reading": "۱۲۳۴٫۵", "new_serial": "GT-۱۲", "new_initial_reading": "0"},
        fields=fields,
    )
    assert form.is_valid(), form.errors
    assert task_data(form.cleaned_data) == {
        "old_final_reading": 1234.5,
        "new_serial": "GT-12",
        "new_initial_reading": 0.0,
        "seal_numbers": None,
    }
    refused = SchemaForm({"old_final_reading": "-1", "new_initial_reading": "1"}, fields=fields)
    assert set(_errors(refused)) == {"old_final_reading", "new_serial"}


def test_the_migration_gives_every_stored_version_the_schemas_of_its_formdata(db):
    version = ProcessVersion.objects.create(
        number=90, bpmn=FORMDATA_BPMN, dmn_files={}, checksum="x" * 64, forms={}
    )
    # Read before the migration too: a version without forms has those of its formData.
    assert forms_of(version) == workflow_forms()
    migration = importlib.import_module("apps.meter_service.migrations.0026_process_version_forms")
    migration.forms_from_form_data(django_apps, None)
    version.refresh_from_db()
    assert version.forms == workflow_forms()
    assert version.bpmn == FORMDATA_BPMN  # the file and its checksum are left as they were


def test_the_checksum_of_files_is_the_same_with_their_converted_forms():
    forms = schemas_from_bpmn(FORMDATA_BPMN)
    assert services.files_checksum(FORMDATA_BPMN, {}, forms) == services.files_checksum(
        FORMDATA_BPMN, {}
    )
    changed = copy.deepcopy(forms)
    changed["Task_access"]["components"][1]["label"] = "Where is the meter"
    assert services.files_checksum(FORMDATA_BPMN, {}, changed) != services.files_checksum(
        FORMDATA_BPMN, {}
    )


def test_the_shipped_version_keeps_its_forms_and_the_bpmn_names_them_by_key(db):
    version = services.process_version_active()
    assert version.forms == workflow_forms()
    assert "formData" not in version.bpmn
    spec, _subs = runner.version_spec(version)
    task = spec.task_specs["Task_schedule"]
    assert [f.key for f in task_fields(task, version.forms)] == [
        "test_type",
        "visit_date",
        "visit_time",
    ]


# --- a submission checked against its schema ------------------------------------------------
TEXT = {"type": "textfield", "key": "serial", "label": "Serial"}


@pytest.mark.parametrize(
    ("component", "value", "cleaned"),
    [
        ({**TEXT, "validate": {"pattern": "[A-Z]{2}-[0-9]+"}}, "GT-۱۲۳", "GT-123"),
        ({**TEXT, "validate": {"minLength": 2, "maxLength": 4}}, "abcd", "abcd"),
        ({"type": "textarea", "key": "serial", "label": "Notes"}, "two\nlines", "two\nlines"),
        ({"type": "number", "key": "serial", "decimalDigits": 0}, "۴۲", 42),
        ({"type": "number", "key": "serial", "validate": {"min": -1, "max": 1}}, "-0٫5", -0.5),
        ({"type": "checkbox", "key": "serial", "label": "Done"}, "on", True),
        (
            {"type": "select", "key": "serial", "values": [{"label": "A", "value": "a"}]},
            "a",
            "a",
        ),
        (
            {"type": "radio", "key": "serial", "values": [{"label": "B", "value": "b"}]},
            "b",
            "b",
        ),
    ],
)
def test_each_type_accepts_what_it_should(component, value, cleaned):
    form = _form([component], {"serial": value})
    assert form.is_valid(), form.errors
    assert task_data(form.cleaned_data)["serial"] == cleaned


@pytest.mark.parametrize(
    ("component", "value"),
    [
        ({**TEXT, "validate": {"required": True}}, ""),
        ({**TEXT, "validate": {"pattern": "[A-Z]{2}-[0-9]+"}}, "gt-1"),
        ({**TEXT, "validate": {"pattern": "[0-9]+"}}, "12x"),  # the whole value must match
        ({**TEXT, "validate": {"minLength": 3}}, "ab"),
        ({**TEXT, "validate": {"maxLength": 3}}, "abcd"),
        ({"type": "number", "key": "serial", "decimalDigits": 0}, "1.5"),
        ({"type": "number", "key": "serial", "validate": {"min": 0}}, "-1"),
        ({"type": "number", "key": "serial", "validate": {"max": 10}}, "۱۱"),
        ({"type": "number", "key": "serial"}, "ten"),
        ({"type": "checkbox", "key": "serial", "validate": {"required": True}}, ""),
        (
            {"type": "select", "key": "serial", "values": [{"label": "A", "value": "a"}]},
            "z",
        ),
        (
            {"type": "radio", "key": "serial", "values": [{"label": "B", "value": "b"}]},
            "a",
        ),
        ({"type": "datetime", "subtype": "date", "key": "serial"}, "1405/13/40"),
    ],
)
def test_each_type_refuses_what_it_should(component, value):
    assert set(_errors(_form([component], {"serial": value}))) == {"serial"}


def test_a_date_is_jalali_in_persian_with_persian_digits_and_iso_in_english():
    date = {"type": "datetime", "subtype": "date", "key": "day", "dateLabel": "Day"}
    with translation.override("fa"):
        form = _form([date], {"day": "۱۴۰۵/۰۱/۰۱"})
        assert form.is_valid(), form.errors
        assert task_data(form.cleaned_data) == {"day": "2026-03-21"}
    with translation.override("en"):
        form = _form([date], {"day": "2026-03-21"})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == datetime.date(2026, 3, 21)


def test_keys_the_schema_does_not_have_are_refused():
    form = _form([TEXT], {"serial": "a", "is_admin": "1", "csrfmiddlewaretoken": "t"})
    with translation.override("en"):
        assert _errors(form) == {"__all__": ["This form has no field is_admin."]}
    with translation.override("fa"):
        form = _form([TEXT], {"serial": "a", "is_admin": "1"})
        assert _errors(form) == {"__all__": ["این فرم فیلد is_admin ندارد."]}


def test_required_if_and_the_handlers_rule_are_kept():
    components = [
        {"type": "select", "key": "outcome", "values": [{"value": "a"}, {"value": "b"}]},
        {**TEXT, "properties": {"required_if": "outcome=b"}},
    ]
    assert _form(components, {"outcome": "a"}).is_valid()
    assert set(_errors(_form(components, {"outcome": "b"}))) == {"serial"}

    def rule(data):
        if data["serial"] == "no":
            raise ValidationError({"serial": "Not that one."})

    assert _errors(_form(components, {"outcome": "a", "serial": "no"}, extra_rule=rule)) == {
        "serial": ["Not that one."]
    }


def test_labels_are_shown_in_the_active_language():
    component = {
        "type": "select",
        "key": "when",
        "label": "Visit time",
        "values": [{"label": "Morning", "value": "am"}],
        "properties": {"label_fa": "زمان بازدید", "label_fa:am": "صبح"},
    }
    with translation.override("fa"):
        field = _form([component], None).fields["when"]
        assert field.label == "زمان بازدید" and list(field.choices) == [("", "—"), ("am", "صبح")]
    with translation.override("en"):
        field = _form([component], None).fields["when"]
        assert field.label == "Visit time" and list(field.choices)[1] == ("am", "Morning")


# --- schemas refused -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("components", "message"),
    [
        ([{"type": "filepicker", "key": "x"}], "unknown type filepicker"),
        ([{"type": "textfield", "key": "a b"}], "needs a key"),
        ([{"type": "textfield", "key": "x"}, {"type": "number", "key": "x"}], "x twice"),
        ([{"type": "select", "key": "x"}], "needs its options"),
        ([{"type": "textfield", "key": "x", "validate": {"pattern": "("}}], "not a regular"),
        ([{"type": "textfield", "key": "x", "validate": {"pattern": "(a+)+$"}}], "forever"),
        ([{"type": "textfield", "key": "x", "validate": {"pattern": "(a|ab)*c"}}], "forever"),
        ([{"type": "textfield", "key": "x", "validate": {"pattern": "(a)\\1"}}], "forever"),
        ([{"type": "textfield", "key": "x", "validate": {"min": 1}}], "unknown rule min"),
        ([{"type": "number", "key": "x", "validate": {"min": "one"}}], "must be a number"),
        ([{"type": "number", "key": "x", "validate": {"min": 2, "max": 1}}], "least allowed"),
        ([{"type": "datetime", "key": "x", "subtype": "datetime"}], "a date only"),
        ([{"type": "textfield", "key": "x", "properties": {"required_if": "y=1"}}], "names no"),
        ([{"type": "text", "text": "Read me"}], "unknown type text"),
        ([{"type": "textfield", "key": "x", "conditional": {"hide": "=y"}}], "by a condition"),
        ([{"type": "textfield", "key": "x", "label": "=upper(y)"}], "label is an expression"),
    ],
)
def test_a_schema_the_server_cannot_check_is_refused(components, message):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        check_forms({"Form_x": {"components": components}})
    assert message in " ".join(refused.value.messages)


def test_a_version_whose_form_drops_a_field_the_application_needs_is_refused(db):
    bpmn, dmn = services.workflow_files()
    forms = workflow_forms()
    forms["Task_replace"]["components"] = [
        c for c in forms["Task_replace"]["components"] if c["key"] != "new_serial"
    ]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        services.process_version_create(bpmn=bpmn, dmn_files=dmn, forms=forms)
    assert "The form of Task_replace cannot be used: it has no field new_serial" in (
        " ".join(refused.value.messages)
    )
    assert not ProcessVersion.objects.exists()


@pytest.mark.parametrize(
    ("task", "change", "message"),
    [
        ("Task_test", {"stopped": {"type": "textfield"}}, "stopped must be a yes/no field"),
        (
            "Task_approve",
            {"decision": {"values": [{"label": "Approve", "value": "approve"}]}},
            "decision must offer return",
        ),
    ],
)
def test_a_form_that_changes_a_needed_field_is_refused(task, change, message):
    bpmn, dmn = services.workflow_files()
    forms = workflow_forms()
    for component in forms[task]["components"]:
        component.update(change.get(component["key"], {}))
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(bpmn, dmn, "meter_test", forms=forms)
    assert message in " ".join(refused.value.messages)


def test_a_form_key_without_a_form_is_refused():
    bpmn, dmn = services.workflow_files()
    forms = workflow_forms()
    del forms["Task_access"]
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(bpmn, dmn, "meter_test", forms=forms)
    assert "names the form Task_access, which the version does not have" in (
        " ".join(refused.value.messages)
    )


def test_a_form_may_add_fields_and_change_labels():
    bpmn, dmn = services.workflow_files()
    forms = workflow_forms()
    forms["Task_access"]["components"].append(
        {"type": "textfield", "key": "gate_code", "label": "Gate code"}
    )
    forms["Task_access"]["components"][0]["properties"]["label_fa"] = "از تاریخ"
    assert validation.validate_files(bpmn, dmn, "meter_test", forms=forms) is not None


def test_a_step_completed_by_its_own_page_may_not_require_more():
    bpmn, dmn = services.workflow_files()
    forms = workflow_forms()
    forms["Task_replace"]["components"].append(
        {"type": "textfield", "key": "crew_note", "validate": {"required": True}}
    )
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        validation.validate_files(bpmn, dmn, "meter_test", forms=forms)
    assert "crew_note is required, but the step's own page never asks for it" in (
        " ".join(refused.value.messages)
    )
    forms["Task_replace"]["components"][-1]["validate"] = {}  # optional: accepted
    assert validation.validate_files(bpmn, dmn, "meter_test", forms=forms) is not None


def test_the_test_steps_rule_holds_whatever_its_form_is_called(db):
    bpmn, dmn = services.workflow_files()
    bpmn = bpmn.replace('camunda:formKey="Task_test"', 'camunda:formKey="Form_test_2"')
    forms = workflow_forms()
    forms["Form_test_2"] = forms.pop("Task_test")
    version = services.process_version_create(bpmn=bpmn, dmn_files=dmn, forms=forms)
    spec, _subs = runner.version_spec(version)
    built = form_for(spec.task_specs["Task_test"], {"outcome": "tested"}, forms=version.forms)
    assert "error_percent" in _errors(built)


def test_the_comparison_names_the_forms_that_changed(db, client, make_user):
    active = services.process_version_active()
    bpmn, dmn = services.workflow_files()
    forms = workflow_forms()
    forms["Task_access"]["components"][1]["label"] = "Where the meter is"
    version = services.process_version_create(bpmn=bpmn, dmn_files=dmn, forms=forms)
    diff = process_version_diff(active, version)
    assert diff.forms_changed == ["Task_access"] and not diff.forms_added and not diff.is_empty
    assert "Where the meter is" in dict(process_version_files(version))["Task_access.form"]
    client.force_login(make_user("service_manager"))
    url = reverse("admin:meter_service_processversion_change", args=[version.pk])
    page = client.get(url).content.decode()
    with translation.override("fa"):
        card = translation.gettext("Forms of the people's steps")
    assert card in page and "Task_access" in page.split(card)[1]
    download = client.get(
        reverse("admin:meter_service_processversion_file", args=[version.pk, "Task_access.form"])
    )
    assert download["Content-Type"].startswith("application/json")
