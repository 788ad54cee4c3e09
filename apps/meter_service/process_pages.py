"""The public page of the service process: its steps as a chart, and who does what."""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from apps.meter_service.engine.diagram import lane_names, translated_bpmn
from apps.meter_service.engine.selectors import lane_label
from apps.meter_service.engine.services import process_version_active

# What each lane (a role) does in the process, for subscribers reading the chart.
LANE_EXPLANATIONS = {
    "subscriber": _(
        "Files the claim and pays the fee. If the technician could not reach the meter, "
        "gives access to it within the time allowed, or the claim is closed."
    ),
    "system": _(
        "Records the payment, sends you text messages about the visit, watches the service "
        "time and closes the claim with its result."
    ),
    "technician": _(
        "Schedules the visit and tests the meter, at your address with a portable prover or "
        "on the laboratory bench."
    ),
    "emergency_crew": _("Replaces a meter found faulty and records the new meter and its seals."),
    "billing_officer": _(
        "Corrects your bills from the test result, or charges the damage if the meter was "
        "tampered with."
    ),
    "service_manager": _(
        "Approves large bill corrections and is alerted when a claim runs late, so that it is "
        "done within the service time."
    ),
}


@dataclass(frozen=True)
class Lane:
    code: str
    label: str
    explanation: str | Promise  # translated when shown


def _lanes(xml: str) -> list[Lane]:
    """The lanes of a (not translated) BPMN file, top to bottom, with what each role does."""
    lanes = []
    for _lane_id, code in lane_names(xml):
        lanes.append(
            Lane(code=code, label=lane_label(code), explanation=LANE_EXPLANATIONS.get(code, ""))
        )
    return lanes


@require_safe
def process_public(request):
    """The meter test process for everyone: the chart, and the role of each lane. No login."""
    bpmn = process_version_active().bpmn  # as diagram.public_diagram_xml(), lanes by code
    diagram = {"xml": translated_bpmn(bpmn), "completed": [], "current": [], "ended": ""}
    return render(request, "process/public.html", {"diagram": diagram, "lanes": _lanes(bpmn)})
