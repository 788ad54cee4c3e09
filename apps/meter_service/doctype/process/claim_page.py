"""What the desk's claim page shows of the process: open steps, outcome, step history."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.audit.labels import event_label
from apps.meter_service.doctype.process.selectors import claim_tasks, lane_label
from apps.meter_service.jalali import format_datetime

# Form values worth showing in the history, with their labels (the rest stay in the data).
_VALUE_LABELS = {
    "visit_date": _("Visit date"),
    "outcome": _("Outcome of the visit"),
    "error_percent": _("Measured error (%)"),
    "stopped": _("Meter stopped"),
    "tampered": _("Seal broken or meter tampered with"),
    "new_serial": _("New meter: serial number"),
    "correction_rial": _("Correction (Rial; negative is a credit to the subscriber)"),
    "decision": _("Decision"),
    "damage_rial": _("Damage charge (Rial)"),
    "available_from": _("Available from"),
}


def open_steps_html(claim, user) -> str:
    """The claim's open steps: a link to each for those whose role may do it."""
    rows = []
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
        "", '<div class="py-1">{} <span class="text-base-500">({}, {})</span></div>', rows
    )


def _data_text(data: dict) -> str:
    shown = []
    for key, label in _VALUE_LABELS.items():
        if data.get(key) not in (None, "", False):
            value = data[key]
            shown.append(f"{label}: {gettext('yes') if value is True else value}")
    return "؛ ".join(shown)


def history_html(events) -> str:
    """Every event of the claim, oldest first, with who did it and, for steps, the data."""
    rows = []
    for event in events:
        params = event.parameters or {}
        if event.event_type == "process_step":
            if params.get("kind") != "task":
                continue  # starts, messages and timers show as the claim's own events
            title = gettext(params.get("step_name") or "")
            detail = _data_text(params.get("data") or {})
            nxt = ", ".join(gettext(n) for n in params.get("to") or [])
            if nxt:
                detail = f"{detail} → {nxt}" if detail else f"→ {nxt}"
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


def sla_html(claim) -> str:
    """The claim's service level: state, working time used of the target, due time."""
    from django.utils import timezone

    from apps.meter_service.doctype.sla.models import SlaClock, SlaState
    from apps.meter_service.doctype.sla.selectors import (
        sla_due_at,
        sla_state_at,
        sla_worked_seconds,
    )

    clock = SlaClock.objects.filter(claim=claim).first()
    if clock is None:
        return "—"
    now = timezone.now()
    state = clock.state if clock.stopped_at else sla_state_at(clock, now)
    worked_hours = sla_worked_seconds(clock, now) / 3600
    due = sla_due_at(clock, 1.0, now)
    parts = [
        format_html('<span class="meter-sla meter-sla-{}">{}</span>', state, SlaState(state).label),
        gettext("%(used).1f of %(target).0f working hours used")
        % {"used": worked_hours, "target": clock.target_seconds / 3600},
    ]
    if clock.paused and not clock.stopped_at:
        parts.append(gettext("paused: waiting on the subscriber"))
    if due and not clock.stopped_at:
        parts.append(gettext("due %(when)s") % {"when": format_datetime(due)})
    return format_html_join(" · ", "{}", ((p,) for p in parts))
