"""A user task's form: the form-js schema its `camunda:formKey` names in the version.

The schemas are the version's `forms` (engine/form_schema.py says what they may hold). A
version saved before forms were data has its forms as Camunda `formData` in the BPMN file;
those are read as the same schemas (`form_schema.schemas_from_bpmn`), so old versions and
running claims keep their forms. Labels are shown in the active language; dates are Jalali
in Persian.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.datastructures import MultiValueDict
from SpiffWorkflow.specs.base import TaskSpec

from apps.meter_service.engine import handlers
from apps.meter_service.engine.form_schema import (
    Schema,
    SchemaField,
    SchemaForm,
    schema_fields,
    schemas_from_bpmn,
    task_data,
)
from apps.meter_service.engine.models import ProcessVersion

# The formData of versions saved before forms were data (read, converted, never written).
FIELD_TYPES = ("string", "long", "decimal", "boolean", "date", "enum")
CONSTRAINTS = ("required", "min", "max", "minlength", "maxlength", "required_if", "readonly")

TaskForm = SchemaForm

__all__ = ["TaskForm", "form_for", "form_key", "task_data", "task_fields", "version_forms"]


# The shipped forms: workflows/forms/<formKey>.form, form-js schemas.
FORMS_DIR = Path(__file__).resolve().parents[1] / "workflows" / "forms"


@functools.cache
def _shipped_forms() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(FORMS_DIR.glob("*.form"))}


def workflow_forms() -> dict[str, Schema]:
    """The user task forms as the repository ships them, by formKey."""
    return {key: json.loads(text) for key, text in _shipped_forms().items()}


def version_forms(bpmn: str, forms: Mapping[str, Schema] | None) -> dict[str, Schema]:
    """Every form of a version: its schemas, over the ones its BPMN's formData makes.

    None (files that come without forms, as a BPMN file uploaded alone): the shipped forms
    for the keys the BPMN names and does not write as formData."""
    if forms is None:
        forms = workflow_forms()
    return {**schemas_from_bpmn(bpmn), **forms}


def forms_of(version: ProcessVersion) -> dict[str, Schema]:
    """The version's forms; one saved without any has those of its BPMN's formData."""
    if version.forms:
        return dict(version.forms)
    return schemas_from_bpmn(version.bpmn)


def form_key(task_spec: TaskSpec) -> str:
    """The key of a user task's form: its camunda:formKey, else its id ("" for other steps)."""
    form = getattr(task_spec, "form", None)
    if form is None:
        return ""
    return str(getattr(form, "key", "") or task_spec.bpmn_id or "")


def task_fields(task_spec: TaskSpec, forms: Mapping[str, Schema]) -> list[SchemaField]:
    """The fields of the task's form (none for a task without a form)."""
    key = form_key(task_spec)
    schema = forms.get(key) if key else None
    return schema_fields(schema, key) if schema is not None else []


def form_for(
    task_spec: TaskSpec,
    data: Mapping[str, Any] | None = None,
    files: MultiValueDict[str, UploadedFile] | None = None,
    *,
    forms: Mapping[str, Schema],
) -> TaskForm:
    """The task's form, from its schema in `forms` (a version's, see forms_of)."""
    return TaskForm(
        data,
        files,
        fields=task_fields(task_spec, forms),
        # By the step (the rule is about what the step records), else by its form's key.
        extra_rule=handlers.FORM_RULES.get(task_spec.bpmn_id or "")
        or handlers.FORM_RULES.get(form_key(task_spec)),
    )
