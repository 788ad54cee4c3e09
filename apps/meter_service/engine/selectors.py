"""Reads of the service process: lanes as roles, a task's service level, a claim's steps."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.sla.calendar import load_calendar
from apps.meter_service.doctype.sla.models import SlaClock, SlaState
from apps.meter_service.doctype.sla.selectors import sla_due_at, sla_state_at
from apps.meter_service.engine.models import ProcessTask
from apps.meter_service.permissions import Role


def lane_label(lane: str) -> str:
    """A lane's name for people: the role it stands for, translated."""
    if lane in Role.values:
        return str(Role(lane).label)
    if lane == "system":
        return gettext("Automatic steps")
    return lane


@dataclass(frozen=True)
class TaskSla:
    state: str
    state_label: str
    due_at: datetime.datetime | None


def claim_sla(claim: Claim, now: datetime.datetime) -> TaskSla | None:
    """The claim's service level at `now`: state, due time (None without a clock)."""

    try:
        clock = claim.sla_clock
    except SlaClock.DoesNotExist:
        return None
    if clock.stopped_at is not None:
        return TaskSla(state=clock.state, state_label=str(SlaState(clock.state).label), due_at=None)
    calendar = load_calendar(since=clock.started_at.date())  # one holiday read for both
    state = sla_state_at(clock, now, calendar=calendar)
    return TaskSla(
        state=state,
        state_label=str(SlaState(state).label),
        due_at=sla_due_at(clock, 1.0, now, calendar=calendar),
    )


def task_sla(task: ProcessTask, now: datetime.datetime) -> TaskSla | None:
    """The claim's service level as seen from one of its tasks, read once per task row."""
    # Kept on the row itself (a dynamic attribute the model does not declare).
    if not hasattr(task, "_sla"):
        task._sla = claim_sla(task.instance.claim, now)  # type: ignore[attr-defined]
    sla: TaskSla | None = task._sla  # type: ignore[attr-defined]
    return sla


def claim_tasks(*, claim: Claim) -> QuerySet[ProcessTask]:
    """The claim's process steps done by people and open now, oldest first."""
    return (
        ProcessTask.objects.filter(instance__claim=claim)
        .select_related("completed_by")
        .order_by("ready_at", "id")
    )


def open_tasks_for(*, user: Actor, claim: Claim) -> QuerySet[ProcessTask]:
    """The claim's open steps this user may complete."""
    return claim_tasks(claim=claim).filter(
        completed_at__isnull=True, lane__in=permissions.lanes_of(user)
    )
