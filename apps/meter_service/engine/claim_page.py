"""What the desk's claim page shows of the process: open steps, outcome, step history."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from apps.meter_service import permissions
from apps.meter_service.audit.history import HistoryRow, document_events
from apps.meter_service.audit.history import history_rows as rows_of
from apps.meter_service.audit.labels import event_label
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.display import local_digits, rial_text
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.sla.selectors import sla_worked_seconds
from apps.meter_service.engine import runner
from apps.meter_service.engine.events import ProcessEvents
from apps.meter_service.engine.form_schema import SchemaField, schema_fields, start_form_key
from apps.meter_service.engine.forms import forms_of, task_fields
from apps.meter_service.engine.models import ProcessVersion
from apps.meter_service.engine.selectors import claim_sla, claim_tasks, lane_label

# Form values worth showing in the history (the rest stay in the step's data).
_SHOWN_FIELDS = (
    "visit_date",
    "visit_time",
    "outcome",
    "error_percent",
    "stopped",
    "tampered",
    "new_serial",
    "correction_rial",
    "correction_note",
    "decision",
    "damage_rial",
    "available_from",
)


def open_steps_html(claim: Claim, user: Actor) -> str:
    """The claim's open steps: a link to each for those whose role may do it."""
    rows: list[tuple[str, str, str]] = []
    for task in claim_tasks(claim=claim).filter(completed_at__isnull=True):
        name = gettext(task.name)
        if permissions.may_work_lane(user, task.lane):
            url = reverse("admin:meter_service_processtask_change", args=[task.pk])
            name = format_html('<a class="meter-link" href="{}">{}</a>', url, name)
        rows.append((name, lane_label(task.lane), format_datetime(task.ready_at)))
    if not rows:
        ended = getattr(getattr(claim, "process", None), "end_event", "")
        return gettext("None: the process has ended.") if ended else "—"
    return format_html_join(
        "", '<div class="py-1">{} <span class="text-base-500">({} · {})</span></div>', rows
    )


def _form_fields(version: ProcessVersion | None, element_id: str) -> dict[str, SchemaField]:
    """The form fields of a step in a version, by key (empty for an unknown step)."""
    if version is None:
        return {}
    spec, _subprocesses = runner.version_spec(version)
    task_spec = spec.task_specs.get(element_id)
    if task_spec is None:
        return {}
    return {f.key: f for f in task_fields(task_spec, forms_of(version))}


def _value_text(field: SchemaField | None, value: Any) -> str:
    if value is True:
        return gettext("yes")
    if field is not None and field.options:
        return dict(field.option_choices()).get(value, str(value))
    if field is not None and field.type == "datetime":
        try:
            return format_date(datetime.date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if field is not None and field.type == "number" and field.decimal_digits == 0:
        return rial_text(value)  # the whole numbers shown are amounts in Rial
    return local_digits(value)


def _data_text(data: dict[str, Any], fields: dict[str, SchemaField]) -> str:
    shown = []
    for key in _SHOWN_FIELDS:
        if data.get(key) in (None, "", False):
            continue
        field = fields.get(key)
        label = field.shown_label() if field is not None else key
        shown.append(f"{label}: {_value_text(field, data[key])}")
    return "؛ ".join(shown)


def claim_details_html(claim: Claim) -> str:
    """The answers to the process's claim form, labelled from the form of the claim's
    version ("—" for none)."""
    values = claim.extra_fields or {}
    if not values:
        return "—"
    fields: dict[str, SchemaField] = {}
    version = getattr(getattr(claim, "process", None), "version", None)
    if version is not None:
        key = start_form_key(version.bpmn)
        schema = forms_of(version).get(key) if key else None
        if schema is not None:
            fields = {f.key: f for f in schema_fields(schema, key)}
    rows = []
    for name, value in values.items():
        field = fields.get(name)
        if value in (None, ""):
            continue
        label = field.shown_label() if field is not None else name
        if value is False:
            text = gettext("no")
        elif field is not None and field.type == "number":
            text = local_digits(value)
        else:
            text = _value_text(field, value)
        rows.append((label, text))
    if not rows:
        return "—"
    return format_html_join("", "<div>{}: {}</div>", rows)


def task_step_text(params: dict[str, Any], version: ProcessVersion | None) -> tuple[str, str]:
    """A person's step of the process as (title, detail): the step's name, translated, and
    the values it was given, then where the process went."""
    name = params.get("step_name") or ""
    title = gettext(name) if name else ""  # gettext("") is the catalogue's header
    fields = _form_fields(version, params.get("step") or "")
    detail = _data_text(params.get("data") or {}, fields)
    nxt = ", ".join(gettext(n) for n in params.get("to") or [])
    if nxt:
        detail = f"{detail} → {nxt}" if detail else f"→ {nxt}"
    return title, detail


def automatic_step_text(params: dict[str, Any]) -> str:
    """What an automatic move of the process was (for the full history): its start, a
    message, a timer or a move to another version, and the steps it opened."""
    kind = params.get("kind")
    if kind == "start":
        text = gettext("Process started")
    elif kind == "message":
        text = gettext("Message received: %(name)s") % {"name": params.get("step") or ""}
    elif kind == "timer":
        text = gettext("A timer fired")
    elif kind == "migrate":
        text = gettext("Moved to process version %(n)s") % {
            "n": (params.get("data") or {}).get("to_version", "")
        }
    else:
        text = str(kind or "")
    nxt = ", ".join(gettext(n) for n in params.get("to") or [])
    return f"{text} → {nxt}" if nxt else text


def history_html(events: Iterable[DocumentEvent], version: ProcessVersion | None = None) -> str:
    """Every event of the claim, oldest first, with who did it and, for steps, the data."""
    rows = []
    for event in events:
        params = event.parameters or {}
        if event.event_type == ProcessEvents.PROCESS_STEP:
            if params.get("kind") != "task":
                continue  # starts, messages and timers show as the claim's own events
            title, detail = task_step_text(params, version)
        else:
            title, detail = event_label(event.event_type), ""
        who = (event.actor.get_full_name() or event.actor.username) if event.actor else ""
        rows.append((format_datetime(event.at), title, who, detail))
    return format_html_join(
        "",
        '<div class="py-1">{} — <strong>{}</strong> <span class="text-base-500">{}</span>'
        '<div class="text-xs text-base-500">{}</div></div>',
        rows,
    )


def history_rows(claim: Claim) -> list[HistoryRow]:
    """The claim's whole history for the desk's History page: its own events, every step of
    its process (automatic ones too), and the events of its payments, bill charges, tests,
    work orders, corrections, adjustment lines and complaints."""
    import dataclasses

    related: list[QuerySet[Any]] = []
    for relation in claim._meta.related_objects:
        model = relation.related_model
        if isinstance(model, str):  # "self", only before the models are loaded
            continue
        if relation.one_to_many and model._meta.app_label == "meter_service":
            related.append(model._default_manager.filter(**{relation.field.name: claim}))
    events = list(document_events(claim, related))
    process = getattr(claim, "process", None)
    version = process.version if process is not None else None
    rows = []
    for event, row in zip(events, rows_of(claim, events), strict=True):
        params = event.parameters or {}
        if event.event_type == ProcessEvents.PROCESS_STEP:
            if params.get("kind") == "task":
                title, detail = task_step_text(params, version)
            else:
                title, detail = event_label(event.event_type), automatic_step_text(params)
            row = dataclasses.replace(row, label=title, detail=detail)
        rows.append(row)
    return rows


def sla_html(claim: Claim) -> str:
    """The claim's service level: state, working time used of the target, due time."""
    from django.utils import timezone

    now = timezone.now()
    sla = claim_sla(claim, now)
    if sla is None:
        return "—"
    clock = claim.sla_clock  # read by claim_sla already
    parts = [
        format_html('<span class="meter-sla meter-sla-{}">{}</span>', sla.state, sla.state_label),
        gettext("%(used).1f of %(target).0f working hours used")
        % {"used": sla_worked_seconds(clock, now) / 3600, "target": clock.target_seconds / 3600},
    ]
    if clock.paused and not clock.stopped_at:
        parts.append(gettext("paused: waiting on the subscriber"))
    if sla.due_at:
        parts.append(gettext("due %(when)s") % {"when": format_datetime(sla.due_at)})
    return format_html_join(" · ", "{}", ((p,) for p in parts))
