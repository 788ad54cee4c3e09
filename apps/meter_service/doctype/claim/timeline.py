"""A claim's status timeline as the portals show it: labelled events, no personal data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.labels import EVENT_LABELS
from apps.meter_service.doctype.claim.events import ClaimEvents
from apps.meter_service.doctype.claim.selectors import claim_timeline
from apps.meter_service.doctype.process_steps import ProcessEvents

# Events of the payment side (gateway sessions) belong to the claim's payment, not its status.
GENERIC_LABEL = _("Claim updated")
BILL_CHARGED_LABEL = _("Fee added to the next gas bill")
RESCHEDULED_LABEL = _("Test visit scheduled again")
NO_ACCESS_EXPIRED_LABEL = _("Closed: the meter could not be reached in time")

# People's steps as the subscriber reads them: what happened, not the step's to-do name
# ("Test the meter" for a visit that found no access would say the test was done). A step
# missing here keeps its own name; None hides it.
STEP_LABELS: dict[str, dict[str | None, Promise | None]] = {
    # The claim's own claim_visit_scheduled event tells the visit, at the same moment.
    "Task_schedule": {None: None},
    "Task_test": {
        "tested": _("Meter tested"),
        "no_access": _("The technician could not reach the meter"),
        None: _("Meter tested"),
    },
    "Task_access": {None: _("Access to the meter offered")},
    "Task_replace": {None: _("Meter replaced")},
    "Task_correction": {None: _("Bill correction worked out")},
    "Task_approve": {"approve": _("Bill correction approved"), "return": None, None: None},
    "Task_tamper_charge": {None: _("Damage charge set")},
}
# Which field of a step's data picks its label.
STEP_LABEL_FIELD = {"Task_test": "outcome", "Task_approve": "decision"}


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    label: str
    at: datetime.datetime


# Staff-side events: the process's own bookkeeping and service-level notices.
# Events recorded on the claim for staff only (registered by the doctypes that record them,
# through registries.py): the subscriber's timeline leaves them out.
INTERNAL_EVENTS: set[str] = set()


def keep_from_subscribers(*event_types: str) -> None:
    INTERNAL_EVENTS.update(str(event_type) for event_type in event_types)


def _step_label(params: dict) -> str | None:
    """A people's step as the subscriber reads it; None when it is not theirs to see."""
    step = params.get("step") or ""
    labels = STEP_LABELS.get(step)
    if labels is None:
        name = params.get("step_name") or ""
        # gettext("") is the catalogue's header, never an empty label.
        return gettext(name) if name else ""
    value = (params.get("data") or {}).get(STEP_LABEL_FIELD.get(step, ""))
    label = labels.get(value, labels[None])
    return str(label) if label is not None else None


def _label(event, seen: set[str], paid: bool) -> str | None:
    """The event's label, or None when the subscriber's timeline leaves it out."""
    params = event.parameters or {}
    if event.event_type in INTERNAL_EVENTS:
        return None
    if event.event_type == ProcessEvents.PROCESS_STEP:
        # People's steps only (a test done, a meter replaced); starts, messages and timers
        # already show as the claim's own events.
        return _step_label(params) if params.get("kind") == "task" else None
    if event.event_type == ClaimEvents.CLAIM_PAID and str(params.get("reference", "")).startswith(
        "bill:"
    ):
        return str(BILL_CHARGED_LABEL)
    if event.event_type == ClaimEvents.CLAIM_VISIT_SCHEDULED and event.event_type in seen:
        return str(RESCHEDULED_LABEL)  # after no access: a second visit
    if event.event_type == ClaimEvents.CLAIM_EXPIRED and paid:
        return str(NO_ACCESS_EXPIRED_LABEL)  # a paid claim only expires for want of access
    return str(EVENT_LABELS.get(event.event_type, GENERIC_LABEL))


def timeline_entries(*, claim) -> list[TimelineEntry]:
    """Return the claim's events, oldest first, with labels and times only.

    Nothing from the events' data is passed on (payment references, actors, reasons), so the
    same list is safe for the public status lookup.
    """
    entries: list[TimelineEntry] = []
    seen: set[str] = set()
    for event in claim_timeline(claim=claim):
        label = _label(event, seen, paid=ClaimEvents.CLAIM_PAID in seen)
        seen.add(event.event_type)
        if label:
            entries.append(TimelineEntry(kind=event.event_type, label=label, at=event.at))
    return entries
