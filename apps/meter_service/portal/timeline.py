"""A claim's status timeline as the portals show it: labelled events, no personal data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.labels import EVENT_LABELS
from apps.meter_service.doctype.claim.selectors import claim_timeline

# Events of the payment side (gateway sessions) belong to the claim's payment, not its status.
GENERIC_LABEL = _("Claim updated")
BILL_CHARGED_LABEL = _("Fee added to the next gas bill")


@dataclass(frozen=True)
class TimelineEntry:
    kind: str
    label: str
    at: datetime.datetime


# Staff-side events: the process's own bookkeeping and service-level notices.
INTERNAL_EVENTS = {"sla_warned", "sla_escalated"}


def _shown(event) -> bool:
    if event.event_type in INTERNAL_EVENTS:
        return False
    if event.event_type == "process_step":
        # People's steps only (a test done, a meter replaced); starts, messages and timers
        # already show as the claim's own events.
        return (event.parameters or {}).get("kind") == "task"
    return True


def _label(event) -> str:
    if event.event_type == "process_step":
        return gettext((event.parameters or {}).get("step_name") or "")
    if event.event_type == "claim_paid" and str(
        (event.parameters or {}).get("reference", "")
    ).startswith("bill:"):
        return BILL_CHARGED_LABEL
    return EVENT_LABELS.get(event.event_type, GENERIC_LABEL)


def timeline_entries(*, claim) -> list[TimelineEntry]:
    """Return the claim's events, oldest first, with labels and times only.

    Nothing from the events' data is passed on (payment references, actors, reasons), so the
    same list is safe for the public status lookup.
    """
    return [
        TimelineEntry(kind=event.event_type, label=_label(event), at=event.at)
        for event in claim_timeline(claim=claim)
        if _shown(event)
    ]
