"""Actions on the service process: start an instance, complete a task, pass a message in,
fire timers, upload and activate versions, move instances between versions.

Every action loads the claim's instance under a row lock, runs the engine, and saves the new
state, the open tasks, the SLA clock and the audit trail in the caller's transaction: a step
and the data it changes commit together or not at all.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from apps.meter_service import permissions
from apps.meter_service.audit.events import batched_events, record_event
from apps.meter_service.core.bulk_sql import insert_objects
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.custom_field import selectors as custom_fields
from apps.meter_service.doctype.custom_field import services as custom_field_services
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.sla import services as sla
from apps.meter_service.engine import handlers, runner
from apps.meter_service.engine.error_codes import ProcessErrorCode
from apps.meter_service.engine.events import ProcessEvents
from apps.meter_service.engine.form_schema import (
    Schema,
    schema_fields,
    schemas_from_bpmn,
    start_form_key,
)
from apps.meter_service.engine.forms import (
    TaskForm,
    form_for,
    forms_of,
    task_data,
    version_forms,
    workflow_forms,
)
from apps.meter_service.engine.models import (
    InstanceStatus,
    ProcessInstance,
    ProcessTask,
    ProcessVersion,
)
from apps.meter_service.engine.validation import validate_files
from apps.meter_service.reference_data import reference

logger = logging.getLogger("meter_service.process")

PROCESS_ID = "meter_test"
WORKFLOWS_DIR = Path(__file__).resolve().parents[1] / "workflows"
SUBSCRIBER_LANE = "subscriber"

# The note of the version installed from the shipped files: stored in English (data), shown
# through the catalogue (version_note), so sites installed earlier read it translated too.
SHIPPED_VERSION_NOTE = gettext_noop("meter_test.bpmn as shipped")


def version_note(version: ProcessVersion) -> str:
    """A version's note as the desk shows it: the shipped note translated, others as typed."""
    if not version.note:
        return "—"
    return _(version.note) if version.note == SHIPPED_VERSION_NOTE else version.note


HISTORY = TaskState.COMPLETED | TaskState.STARTED | TaskState.ERROR


def actor_user(actor: Actor) -> User | None:
    """The actor as the user a record keeps: None for an anonymous visitor or nobody."""
    return actor if isinstance(actor, User) and actor.is_authenticated else None


class ProcessConflict(ValidationError):
    """Someone else moved the process first (the task is done, or the state changed)."""


# --- versions -------------------------------------------------------------------------------
def files_checksum(
    bpmn: str, dmn_files: dict[str, str], forms: Mapping[str, Schema] | None = None
) -> str:
    # Only the forms the BPMN's own formData does not make: a version saved before forms
    # were data keeps its checksum, and the same files with or without converted forms match.
    made = schemas_from_bpmn(bpmn) if forms else {}
    own = {key: schema for key, schema in (forms or {}).items() if made.get(key) != schema}
    files: dict[str, Any] = {"bpmn": bpmn, "dmn": dmn_files}
    if own:
        files["forms"] = own
    payload = json.dumps(files, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def workflow_files() -> tuple[str, dict[str, str]]:
    """The process as the repository ships it: meter_test.bpmn and every DMN file."""
    bpmn = (WORKFLOWS_DIR / f"{PROCESS_ID}.bpmn").read_text(encoding="utf-8")
    dmn = {p.name: p.read_text(encoding="utf-8") for p in sorted(WORKFLOWS_DIR.glob("*.dmn"))}
    return bpmn, dmn


@transaction.atomic
def process_version_create(
    *,
    bpmn: str,
    dmn_files: dict[str, str],
    forms: Mapping[str, Schema] | None = None,
    note: str = "",
    actor: Actor = None,
) -> ProcessVersion:
    """Validate the files and keep them as the next version (not active yet).

    `forms` are the user tasks' form-js schemas by formKey (None: the shipped ones); a
    BPMN file that still writes its forms as Camunda formData gets them converted.
    """
    validate_files(bpmn, dmn_files, PROCESS_ID, forms=forms)
    all_forms = version_forms(bpmn, forms)
    checksum = files_checksum(bpmn, dmn_files, all_forms)
    same = ProcessVersion.objects.filter(
        process_id=PROCESS_ID, checksum=checksum, is_draft=False
    ).first()
    if same is not None:
        raise ValidationError(
            _("These files are version %(n)s already.") % {"n": local_digits(same.number)},
            code=ProcessErrorCode.SAME_FILES,
        )
    last = (
        ProcessVersion.objects.select_for_update()
        .filter(process_id=PROCESS_ID)
        .aggregate(n=Max("number"))["n"]
    )
    version = ProcessVersion.objects.create(
        process_id=PROCESS_ID,
        number=(last or 0) + 1,
        bpmn=bpmn,
        dmn_files=dmn_files,
        forms=all_forms,
        checksum=checksum,
        note=note,
        uploaded_by=actor_user(actor),
    )
    record_event(
        document=version,
        event_type=ProcessEvents.PROCESS_VERSION_UPLOADED,
        actor=actor,
        parameters={},
    )
    return version


@transaction.atomic
def process_version_activate(*, version: ProcessVersion, actor: Actor = None) -> ProcessVersion:
    """New claims start on this version from now; running claims keep theirs."""
    if version.is_draft:
        raise ValidationError(
            _("Version %(n)s is a draft: deploy it from the process studio.")
            % {"n": local_digits(version.number)},
            code=ProcessErrorCode.DRAFT,
        )
    ProcessVersion.objects.select_for_update().filter(process_id=version.process_id).update(
        is_active=None
    )
    version.is_active = True
    version.activated_at = timezone.now()
    version.save(update_fields=["is_active", "activated_at"])
    record_event(
        document=version,
        event_type=ProcessEvents.PROCESS_VERSION_ACTIVATED,
        actor=actor,
        parameters={},
    )
    return version


def process_version_active() -> ProcessVersion:
    """The version new claims start on; the repository's files become version 1 if none."""
    version = ProcessVersion.objects.filter(process_id=PROCESS_ID, is_active=True).first()
    if version is not None:
        return version
    bpmn, dmn = workflow_files()
    try:
        with transaction.atomic():
            version = process_version_create(
                bpmn=bpmn, dmn_files=dmn, forms=workflow_forms(), note=SHIPPED_VERSION_NOTE
            )
            return process_version_activate(version=version)
    except (IntegrityError, ValidationError):
        # Another request on a new site made version 1 at the same moment: use that one.
        return ProcessVersion.objects.get(process_id=PROCESS_ID, is_active=True)


# --- running --------------------------------------------------------------------------------
@dataclass
class _Step:
    """What one action did, for the audit trail."""

    kind: str
    step: str = ""
    step_name: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    # The people's steps open once it ran; None: read from the workflow when it is saved.
    to: list[str] | None = None


def _run_engine(workflow: BpmnWorkflow, step: _Step) -> None:
    """Run automatic steps and due timers until only people's steps and timers wait."""

    def did_run(task: SpiffTask) -> None:
        if task.task_spec.bpmn_name:
            step.ran.append(task.task_spec.bpmn_id)
        if task.task_spec.bpmn_id:
            handlers.step_done(task.task_spec.bpmn_id, task.data)

    for _round in range(50):
        workflow.refresh_timers()
        workflow.do_engine_steps(did_complete_task=did_run)
        if not [t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual]:
            return
    raise RuntimeError("the process does not settle: a loop without a waiting step")


def _open_user_tasks(workflow: BpmnWorkflow) -> list[SpiffTask]:
    tasks: list[SpiffTask] = workflow.get_tasks(state=TaskState.READY, manual=True)
    return tasks


def _next_timer(workflow: BpmnWorkflow) -> datetime.datetime | None:
    """The earliest moment a timer the process waits on comes due (None: no timer)."""
    due: list[datetime.datetime] = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        value = task.internal_data.get("event_value")
        if isinstance(value, dict):  # a cycle timer
            value = value.get("next")
        if not isinstance(value, str):
            continue
        try:
            moment = TimerEventDefinition.parse_time_or_duration(value)
        except (ValueError, TypeError):
            continue
        if isinstance(moment, datetime.datetime):
            due.append(moment)
    return min(due) if due else None


def _waits_on_subscriber(workflow: BpmnWorkflow) -> bool:
    return any(
        task.task_spec.lane == SUBSCRIBER_LANE
        for task in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
    )


def _save(
    instance: ProcessInstance,
    workflow: BpmnWorkflow,
    steps: list[_Step],
    actor: Actor,
    *,
    created: bool = False,
) -> ProcessInstance:
    """Save the engine state (refusing a lost race), sync the open tasks, clock and trail.

    `steps`: what ran since the state was loaded, one audit event each. `created`: the
    instance is new (not in the database yet) and its clock already set.
    """
    now = runner.now()
    before = instance.revision
    completed = workflow.is_completed()
    end_event: str = ""
    if completed:
        ends = [t for t in workflow.get_tasks(state=TaskState.COMPLETED) if t.task_spec.bpmn_id]
        ends = [t for t in ends if t.task_spec.__class__.__name__ == "EndEvent"]
        end_event = ends[-1].task_spec.bpmn_id if ends else ""
    fields: dict[str, Any] = {
        "state": runner.dump(workflow),
        "version": instance.version,
        "revision": before + 1,
        "status": InstanceStatus.COMPLETED if completed else InstanceStatus.RUNNING,
        "next_timer_at": None if completed else _next_timer(workflow),
        "updated_at": now,
        "end_event": end_event,
        "ended_at": now if completed else None,
    }
    if created:
        for name, value in fields.items():
            setattr(instance, name, value)
        instance.save(force_insert=True)
    else:
        saved = ProcessInstance.objects.filter(pk=instance.pk, revision=before).update(**fields)
        if saved != 1:
            raise ProcessConflict(
                _("Someone else moved this claim on at the same time; reload and try again."),
                code=ProcessErrorCode.PROCESS_CONFLICT,
            )
        for name, value in fields.items():
            setattr(instance, name, value)

    open_tasks = {t.id: t for t in _open_user_tasks(workflow)}
    known = (
        set()
        if created
        else set(
            ProcessTask.objects.filter(instance=instance, completed_at__isnull=True).values_list(
                "task_id", flat=True
            )
        )
    )
    withdrawn = known - set(open_tasks)
    if withdrawn:
        ProcessTask.objects.filter(task_id__in=withdrawn, completed_at__isnull=True).update(
            completed_at=now, cancelled=True
        )
    new_tasks = [
        ProcessTask(
            instance=instance,
            task_id=task_id,
            element_id=task.task_spec.bpmn_id,
            name=task.task_spec.bpmn_name or task.task_spec.bpmn_id,
            lane=task.task_spec.lane or "",
            ready_at=now,
        )
        for task_id, task in open_tasks.items()
        if task_id not in known
    ]
    insert_objects(new_tasks)
    if not created:
        _sync_sla(instance, workflow, completed, now)
    open_names = [t.task_spec.bpmn_name for t in open_tasks.values()]
    for step in steps:
        last = step is steps[-1]
        record_event(
            document=instance.claim,
            event_type=ProcessEvents.PROCESS_STEP,
            actor=actor,
            parameters={
                "kind": step.kind,
                "step": step.step,
                "step_name": step.step_name,
                "ran": step.ran,
                "to": open_names if last or step.to is None else step.to,
                "end": end_event if last else "",
                "data": step.data,
                "version": instance.version.number,
            },
        )
    return instance


def _sync_sla(
    instance: ProcessInstance, workflow: BpmnWorkflow, completed: bool, now: datetime.datetime
) -> None:
    if completed:
        sla.sla_clock_stop(claim=instance.claim, now=now)
    else:
        sla.sla_clock_set_running(
            claim=instance.claim, running=not _waits_on_subscriber(workflow), now=now
        )


def _locked(claim_id: int, *, version: ProcessVersion | None = None) -> ProcessInstance:
    """The claim's process instance with its claim and version; the instance's row and then
    the claim's locked (the order every process step takes).

    Not one FOR UPDATE over the join: on MariaDB that also locks the process version's row,
    which every filing holds a shared lock on (its new instance's foreign key), so
    concurrent filings deadlocked on it. `version`: the instance's version as the caller
    read it already (a version's files never change), used if it is still the instance's.
    """

    instance = ProcessInstance.objects.select_for_update().get(claim_id=claim_id)
    instance.claim = Claim.objects.select_for_update().get(pk=claim_id)
    if version is None or version.pk != instance.version_id:
        version = _version_to_run(pk=instance.version_id)
    if version is None:  # the foreign key protects it: only a broken database gets here
        raise ProcessVersion.DoesNotExist(f"process version {instance.version_id}")
    instance.version = version
    return instance


def _version_to_run(**lookup: Any) -> ProcessVersion | None:
    """A version without its files: the engine keeps each version's parsed spec, and only
    a worker that has not parsed it yet reads them (a deferred field loads on first use)."""
    return ProcessVersion.objects.defer("bpmn", "dmn_files").filter(**lookup).first()


def _version_to_start() -> ProcessVersion:
    """The active version, as the worker keeps it (see reference_data.py)."""
    version = reference(
        "process_version", lambda: _version_to_run(process_id=PROCESS_ID, is_active=True)
    )
    # The kept one is shared between requests: the caller gets a copy of its own.
    return copy.copy(version) if version is not None else process_version_active()


def _catch_message(workflow: BpmnWorkflow, name: str, payload: dict[str, Any] | None) -> bool:
    event = BpmnEvent(
        MessageEventDefinition(name), payload={"payload": payload or {}, "result_var": name}
    )
    caught: int = workflow.event_manager.catch(event, internal=False)
    return caught != 0


def process_start(
    *,
    claim: Claim,
    actor: Actor = None,
    messages: tuple[tuple[str, dict[str, Any]], ...] = (),
    payment_due: datetime.datetime | None = None,
) -> ProcessInstance:
    """Start the claim's process on the active version (in the filing's transaction).

    `messages` are passed in right after the start, as process_send_message would: a fee
    charged to the next bill is paid at filing. Filing is the busiest write of the
    service, so the new instance is written once, with the state it reaches after them, and
    the SLA clock starts in the state the process leaves it; each step still has its own
    audit event. `payment_due`: when the unpaid claim expires, if not its `expires_at` (a
    claim paid at filing has none left).
    """

    version = _version_to_start()
    workflow = runner.new_workflow(version)
    now = runner.now()
    payment_due = payment_due or claim.expires_at or now
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(
            {
                # The claim form's answers first: the application's own keys win.
                **(claim.extra_fields or {}),
                "claim_id": claim.pk,
                "tracking_code": claim.tracking_code,
                "payment_due": payment_due.isoformat(),
            }
        )
    steps = [_Step(kind="start")]
    token = handlers.current_actor.set(actor)
    try:
        _run_engine(workflow, steps[0])
        # The clock exists (in memory, see handlers.new_clock) before any message: the
        # steps after one read its due times. It is written once, as the steps leave it.
        clock = sla.sla_clock_new(claim=claim, now=now, running=False)
        clock_token = handlers.new_clock.set(clock)
        try:
            for name, payload in messages:
                steps[-1].to = [t.task_spec.bpmn_name for t in _open_user_tasks(workflow)]
                if not _catch_message(workflow, name, payload):
                    raise RuntimeError(f"the process does not wait for {name} at its start")
                steps.append(_Step(kind="message", step=name, data=payload or {}))
                _run_engine(workflow, steps[-1])
        finally:
            handlers.new_clock.reset(clock_token)
    finally:
        handlers.current_actor.reset(token)
    sla.sla_clock_set_start_state(clock=clock, running=not _waits_on_subscriber(workflow))
    clock.save(force_insert=True)
    instance = ProcessInstance(
        claim=claim, version=version, state={}, revision=0, started_at=now, updated_at=now
    )
    return _save(instance, workflow, steps, actor, created=True)


def process_send_message(
    *, claim: Claim, name: str, payload: dict[str, Any] | None = None, actor: Actor = None
) -> bool:
    """Pass a message (fee_paid, claim_cancelled, ...) to the claim's process.

    Returns False when the process is not waiting for it (already past that point).
    """
    try:
        instance = _locked(claim.pk)
    except ProcessInstance.DoesNotExist:
        logger.warning("claim has no process", extra={"claim": claim.pk, "message": name})
        return False
    if instance.status != InstanceStatus.RUNNING:
        return False
    workflow = runner.load(instance.version, instance.state)
    if not _catch_message(workflow, name, payload):
        return False
    step = _Step(kind="message", step=name, data=payload or {})
    token = handlers.current_actor.set(actor)
    try:
        _run_engine(workflow, step)
        _save(instance, workflow, [step], actor)
    finally:
        handlers.current_actor.reset(token)
    return True


def process_check_can_complete(*, user: Actor, task: ProcessTask) -> None:
    """Refuse a user whose roles are not the task's lane's, or who may not see the claim."""
    if not permissions.may_work_lane(user, task.lane):
        raise PermissionDenied(_("This step is for another role."))
    if not permissions.scope(user, Claim.objects.filter(pk=task.instance.claim_id)).exists():
        raise PermissionDenied(_("This step is for another role."))


def process_task_form(*, task: ProcessTask, data: Mapping[str, Any] | None = None) -> TaskForm:
    """The form of an open task, built from its schema in the instance's version."""
    version = task.instance.version
    spec, _subs = runner.version_spec(version)
    return form_for(spec.task_specs[task.element_id], data, forms=forms_of(version))


def process_claim_form(*, data: Mapping[str, Any] | None = None) -> TaskForm | None:
    """The further details a new claim is asked for: the form of the active version's start
    event (None when it has none). Its fields are named `more-<key>` beside the claim's own;
    `task_data(form.cleaned_data)` is what claim_file keeps as `extra_fields`."""
    version = process_version_active()
    key = start_form_key(version.bpmn)
    schema = forms_of(version).get(key) if key else None
    if schema is None:
        return None
    return TaskForm(data, prefix="more", fields=schema_fields(schema, key))


@transaction.atomic
def process_complete_task(
    *,
    task_id: uuid.UUID | str,
    user: Actor,
    data: Mapping[str, Any],
    extra: dict[str, Any] | None = None,
) -> ProcessTask:
    """Complete one open user task with the submitted form data.

    Checks the user's role for the task's lane and their access to the claim, validates the
    data against the task's fields, runs the process on to its next waiting point, and
    refuses a task someone else completed first. `extra` is data the application computed
    (not typed by the user, e.g. a recorded test's tolerance): it joins the validated values
    as it is, so it must be plain JSON.
    """
    try:
        task = (
            ProcessTask.objects.select_related("instance__version")
            # The version's files only for a worker that has not parsed it (as _version_to_run).
            .defer("instance__version__bpmn", "instance__version__dmn_files")
            .get(task_id=task_id)
        )
    except (ProcessTask.DoesNotExist, ValueError, ValidationError) as exc:
        raise ValidationError(_("No such step."), code=ProcessErrorCode.NO_SUCH_TASK) from exc
    process_check_can_complete(user=user, task=task)
    instance = _locked(task.instance.claim_id, version=task.instance.version)
    task.refresh_from_db(fields=["completed_at", "completed_by", "cancelled"])
    _refuse_if_closed(task)
    form = process_task_form(task=task, data=data)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    values = task_data(form.cleaned_data)
    values.update(extra or {})
    _keep_as_custom_fields(task, form.cleaned_data, user)

    workflow = runner.load(instance.version, instance.state)
    engine_task = workflow.get_task_from_id(uuid.UUID(str(task.task_id)))
    if engine_task is None or engine_task.state != TaskState.READY:
        raise ProcessConflict(
            _("This step is no longer open; reload the claim."),
            code=ProcessErrorCode.PROCESS_CONFLICT,
        )
    # Claimed first, conditionally: of two people completing it at once, one gets a row.
    completed_at = runner.now()
    done = ProcessTask.objects.filter(pk=task.pk, completed_at__isnull=True).update(
        completed_at=completed_at, completed_by=user, data=values
    )
    if done != 1:
        raise ProcessConflict(
            _("This step is no longer open; reload the claim."),
            code=ProcessErrorCode.PROCESS_CONFLICT,
        )
    engine_task.data.update(values)
    step = _Step(kind="task", step=task.element_id, step_name=task.name, data=values)
    token = handlers.current_actor.set(user)
    # The handlers' services work on the claim locked above, not a second read of its row.
    claim_token = handlers.locked_claim.set(instance.claim)
    try:
        # The step's own events (a visit scheduled, say) and the process step's: one insert.
        with batched_events():
            engine_task.run()
            # Told before the automatic steps it leads to run (and may tell their own news).
            handlers.step_done(task.element_id, engine_task.data)
            _run_engine(workflow, step)
            _save(instance, workflow, [step], user)
    finally:
        handlers.locked_claim.reset(claim_token)
        handlers.current_actor.reset(token)
    # The row as the update above left it (nothing after it writes a completed task), set
    # here rather than read back; the data as the JSON column gives it back.
    task.completed_at = completed_at
    task.completed_by = user if isinstance(user, User) else None
    task.data = _as_stored_json(values)
    return task


def _as_stored_json(values: dict[str, Any]) -> Any:
    """`values` as the task's JSON column gives them back once saved (dates as strings)."""
    encoder = ProcessTask._meta.get_field("data").encoder
    return json.loads(json.dumps(values, cls=encoder))


def _keep_as_custom_fields(task: ProcessTask, cleaned: Mapping[str, Any], user: Actor) -> None:
    """A step's answer whose key is one of the claim's custom fields is also that field's
    value: a field added to a designed form then shows on the claim, in its lists and their
    exports. Checked against the field's definition; a refusal stops the step, nothing kept."""
    keys = {field.key for field in custom_fields.active_fields(CustomFieldTarget.CLAIM)}
    values = {key: value for key, value in cleaned.items() if key in keys}
    if not values:
        return
    try:
        custom_field_services.custom_values_set(
            document=task.instance.claim,
            target=CustomFieldTarget.CLAIM,
            values=values,
            actor=user,
            source="process",
            require=False,  # a step sets its own fields, not the ones other doors ask for
        )
    except ValidationError as error:
        # Keyed by "custom_fields", which the step's form has not: the form's own errors.
        raise ValidationError(error.messages) from error


def _refuse_if_closed(task: ProcessTask) -> None:
    if task.completed_at is None:
        return
    if task.cancelled:
        raise ProcessConflict(
            _("This step was withdrawn: the claim moved on without it."),
            code=ProcessErrorCode.PROCESS_CONFLICT,
        )
    completed_by = task.completed_by
    if completed_by is None:  # done by someone whose account is gone
        raise ProcessConflict(
            _("This step is no longer open; reload the claim."),
            code=ProcessErrorCode.PROCESS_CONFLICT,
        )
    who = completed_by.get_full_name() or completed_by.get_username()
    raise ProcessConflict(
        _("%(who)s completed this step first; reload the claim.") % {"who": who},
        code=ProcessErrorCode.PROCESS_CONFLICT,
    )


def process_run_timers(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Fire the timers that are due; return the ids of the claims whose process moved."""
    now = now or timezone.now()
    moved: list[int] = []
    due = ProcessInstance.objects.filter(
        status=InstanceStatus.RUNNING, next_timer_at__lte=now
    ).values_list("claim_id", flat=True)[:limit]
    with runner.clock_at(now):
        for claim_id in list(due):
            try:
                with transaction.atomic():
                    instance = _locked(claim_id)
                    if instance.next_timer_at is None or instance.next_timer_at > now:
                        continue  # moved by someone else meanwhile
                    workflow = runner.load(instance.version, instance.state)
                    step = _Step(kind="timer")
                    _run_engine(workflow, step)
                    _save(instance, workflow, [step], None)
                    moved.append(claim_id)
            except Exception:
                # One broken instance must not stop the others' timers.
                logger.exception("timer step failed", extra={"claim": claim_id})
    return moved


@transaction.atomic
def process_instance_migrate(
    *, instance: ProcessInstance, to_version: ProcessVersion, actor: Actor = None
) -> ProcessInstance:
    """Move a running instance onto another version of the process.

    The steps it has completed are matched to the new version's by id; its open and waiting
    steps are predicted again from the new version. Refused when a completed step is not in
    the new version (the instance's history would not fit it).
    """
    from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow

    if to_version.is_draft:
        # A draft is not checked as a whole yet; claims only run deployed versions.
        raise ValidationError(
            _("Version %(n)s is a draft: deploy it first.")
            % {"n": local_digits(to_version.number)},
            code=ProcessErrorCode.MIGRATION_REFUSED,
        )
    instance = _locked(instance.claim_id)
    if instance.status != InstanceStatus.RUNNING:
        raise ValidationError(_("Only a running process can move to another version."))
    workflow = runner.load(instance.version, instance.state)
    spec, subprocess_specs = runner.version_spec(to_version)
    registry = runner.spec_registry()
    diff, _sub_diffs = diff_workflow(registry, workflow, spec, subprocess_specs)
    # Open and waiting steps are predicted again from the new version; the history is not.
    lost = sorted(
        {t.task_spec.bpmn_id or t.task_spec.name for t in diff.removed if t.state & HISTORY}
    )
    if lost:
        raise ValidationError(
            _("Steps this claim already went through are missing in version %(n)s: %(steps)s.")
            % {"n": local_digits(to_version.number), "steps": "، ".join(lost)},
            code=ProcessErrorCode.MIGRATION_REFUSED,
        )
    # A step the claim waits at keeps its old spec through migrate_workflow when the new
    # version lacks it: the saved state would then name a step the version cannot load.
    waiting = TaskState.READY | TaskState.WAITING
    _refuse_stranded([t for t in diff.removed if t.state & waiting], to_version)
    migrate_workflow(diff, workflow, spec)
    workflow.subprocess_specs = subprocess_specs
    known = set(spec.task_specs.values())
    _refuse_stranded(
        [t for t in workflow.get_tasks(skip_subprocesses=True) if t.task_spec not in known],
        to_version,
    )
    from_number = instance.version.number
    instance.version = to_version
    step = _Step(
        kind="migrate", data={"from_version": from_number, "to_version": to_version.number}
    )
    token = handlers.current_actor.set(actor)
    try:
        _run_engine(workflow, step)
        instance = _save(instance, workflow, [step], actor)
    finally:
        handlers.current_actor.reset(token)
    _retitle_open_tasks(instance, workflow)
    return instance


def _refuse_stranded(tasks: list[SpiffTask], to_version: ProcessVersion) -> None:
    stranded = sorted({t.task_spec.bpmn_id or t.task_spec.name for t in tasks})
    if stranded:
        raise ValidationError(
            _("Steps this claim is waiting at are missing in version %(n)s: %(steps)s.")
            % {"n": local_digits(to_version.number), "steps": "، ".join(stranded)},
            code=ProcessErrorCode.MIGRATION_REFUSED,
        )


def _retitle_open_tasks(instance: ProcessInstance, workflow: BpmnWorkflow) -> None:
    """Give the open task rows the new version's step id, name and lane.

    _save keeps the rows of tasks that stay open; after a move their step may be renamed or
    in another lane, and the lane decides who may complete it.
    """
    for task in _open_user_tasks(workflow):
        spec = task.task_spec
        ProcessTask.objects.filter(
            instance=instance, task_id=task.id, completed_at__isnull=True
        ).update(
            element_id=spec.bpmn_id,
            name=spec.bpmn_name or spec.bpmn_id,
            lane=spec.lane or "",
        )
