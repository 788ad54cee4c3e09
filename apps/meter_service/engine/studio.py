"""The process studio: drafts of the process edited in the desk, checked, tried and deployed.

A draft is a ProcessVersion with `is_draft` set: saved as often as its editor likes (only
well-formed XML is asked of it), never active and never run by a claim. Validating it runs the
same checks an upload does; a dry run drives it on a throwaway claim inside a transaction that
is rolled back; deploying validates it again and activates it through the upload's service.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from SpiffWorkflow.task import Task as SpiffTask
from SpiffWorkflow.util.task import TaskState

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.meter.models import MeterInstallation
from apps.meter_service.doctype.sla import services as sla
from apps.meter_service.engine import handlers, runner, services, validation
from apps.meter_service.engine.error_codes import ProcessErrorCode
from apps.meter_service.engine.events import ProcessEvents
from apps.meter_service.engine.form_schema import (
    Schema,
    SchemaField,
    check_forms,
    sample_value,
    task_data,
)
from apps.meter_service.engine.forms import form_for, forms_of, task_fields, version_forms
from apps.meter_service.engine.models import ProcessVersion

MAX_DRY_RUN_STEPS = 60


# --- drafts ---------------------------------------------------------------------------------
def _check_well_formed(bpmn: str, dmn_files: dict[str, str]) -> None:
    """What a draft must be to be kept: XML the studio can open again, nothing more."""
    if len(bpmn.encode()) > validation.MAX_FILE_BYTES:
        raise ValidationError(_("The BPMN file is too large."), code=CommonErrorCode.TOO_LARGE)
    for name, text in [("BPMN", bpmn), *dmn_files.items()]:
        if "<!DOCTYPE" in text or "<!ENTITY" in text:
            raise ValidationError(
                _("%(file)s declares a DOCTYPE, which BPMN and DMN files never need.")
                % {"file": name},
                code=ProcessErrorCode.FILE_DOCTYPE,
            )
    validation.parse_xml(bpmn, _("The BPMN file"))
    for name, text in dmn_files.items():
        if not re.fullmatch(r"[A-Za-z0-9_.-]+\.dmn", name):
            raise ValidationError(_("%(file)s is not a DMN file name.") % {"file": name})
        validation.parse_xml(text, name)


@transaction.atomic
def process_draft_save(
    *,
    bpmn: str,
    dmn_files: dict[str, str],
    forms: Mapping[str, Schema] | None = None,
    note: str = "",
    draft: ProcessVersion | None = None,
    actor: Actor = None,
) -> ProcessVersion:
    """Keep the edited files as a draft: a new one, or over `draft` (itself a draft).

    `forms` are the user tasks' form-js schemas by formKey (None: the draft keeps its own).
    Each must read as a schema (engine/form_schema.py); whether the tasks' forms keep the
    fields the application needs is for validating, as with the rest of the draft."""
    _check_well_formed(bpmn, dmn_files)
    if forms is None and draft is not None:
        forms = draft.forms
    check_forms(dict(forms or {}))
    all_forms = version_forms(bpmn, forms)
    checksum = services.files_checksum(bpmn, dmn_files, all_forms)
    note = note[: ProcessVersion._meta.get_field("note").max_length]
    if draft is not None:
        draft = ProcessVersion.objects.select_for_update().get(pk=draft.pk)
        if not draft.is_draft:
            raise ValidationError(_("Only a draft can be changed."), code=CommonErrorCode.NOT_DRAFT)
        draft.bpmn, draft.dmn_files, draft.checksum = bpmn, dmn_files, checksum
        draft.forms = all_forms
        draft.note = note or draft.note
        draft.save(update_fields=["bpmn", "dmn_files", "forms", "checksum", "note"])
    else:
        last = (
            ProcessVersion.objects.select_for_update()
            .filter(process_id=services.PROCESS_ID)
            .aggregate(n=Max("number"))["n"]
        )
        draft = ProcessVersion.objects.create(
            process_id=services.PROCESS_ID,
            number=(last or 0) + 1,
            bpmn=bpmn,
            dmn_files=dmn_files,
            forms=all_forms,
            checksum=checksum,
            note=note,
            is_draft=True,
            uploaded_by=services.actor_user(actor),
        )
    record_event(
        document=draft, event_type=ProcessEvents.PROCESS_DRAFT_SAVED, actor=actor, parameters={}
    )
    return draft


# --- validating -----------------------------------------------------------------------------
@dataclass
class Problem:
    message: str
    # The BPMN/DMN element ids the message names: the studio marks them on the diagram.
    elements: list[str] = field(default_factory=list)


def _element_ids(version: ProcessVersion) -> set[str]:
    ids: set[str] = set()
    for text in [version.bpmn, *(version.dmn_files or {}).values()]:
        try:
            root = etree.fromstring(text.encode(), etree.XMLParser(resolve_entities=False))
        except etree.XMLSyntaxError:
            continue
        ids.update(value for value in root.xpath("//@id") if value)
    return ids


def process_draft_problems(version: ProcessVersion) -> list[Problem]:
    """What the upload's checks refuse in the version (empty: it would be accepted)."""
    try:
        validation.validate_files(
            version.bpmn, version.dmn_files or {}, version.process_id, forms=version.forms
        )
    except ValidationError as error:
        ids = _element_ids(version)
        problems = []
        for message in error.messages:
            named = [i for i in ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", message)]
            problems.append(Problem(message=message, elements=sorted(named)))
        return problems
    return []


# --- deploying ------------------------------------------------------------------------------
@transaction.atomic
def process_draft_deploy(*, draft: ProcessVersion, actor: Actor = None) -> ProcessVersion:
    """Make the draft the version new claims start on; running claims keep theirs."""
    draft = ProcessVersion.objects.select_for_update().get(pk=draft.pk)
    if not draft.is_draft:
        raise ValidationError(_("Only a draft can be deployed."), code=CommonErrorCode.NOT_DRAFT)
    problems = process_draft_problems(draft)
    if problems:
        raise ValidationError([p.message for p in problems], code=CommonErrorCode.INVALID)
    same = (
        ProcessVersion.objects.filter(
            process_id=draft.process_id, checksum=draft.checksum, is_draft=False
        )
        .exclude(pk=draft.pk)
        .first()
    )
    if same is not None:
        raise ValidationError(
            _("These files are version %(n)s already.") % {"n": local_digits(same.number)},
            code=ProcessErrorCode.SAME_FILES,
        )
    draft.is_draft = False
    draft.save(update_fields=["is_draft"])
    record_event(
        document=draft,
        event_type=ProcessEvents.PROCESS_VERSION_DEPLOYED,
        actor=actor,
        parameters={},
    )
    return services.process_version_activate(version=draft, actor=actor)


# --- dry run --------------------------------------------------------------------------------
@dataclass
class DryRunTask:
    element: str
    name: str
    lane: str
    fields: list[dict[str, Any]]
    data: dict[str, object]
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class DryRun:
    path: list[str] = field(default_factory=list)
    tasks: list[DryRunTask] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    completed: bool = False
    end_event: str = ""
    stopped: str = ""


def step_names(version: ProcessVersion) -> dict[str, str]:
    """The version's step names by element id, as written in its file (English)."""
    try:
        spec, _subprocesses = runner.version_spec(version)
    except Exception:  # a draft that does not parse has no steps to name
        return {}
    return {t.bpmn_id: t.bpmn_name for t in spec.task_specs.values() if t.bpmn_id and t.bpmn_name}


def _field_facts(spec: SchemaField) -> dict[str, Any]:
    return {
        "id": spec.key,
        "label": spec.shown_label(),
        "type": spec.type,
        "required": spec.required,
        "options": [o.value for o in spec.options],
    }


def _throwaway_claim(version: ProcessVersion) -> Claim:
    """A claim of the first installed meter, filed now and paid (rolled back with the run)."""
    installation = (
        MeterInstallation.objects.filter(removed_on__isnull=True)
        .select_related("subscriber", "meter")
        .order_by("pk")
        .first()
    )
    tariff = FeeTariff.objects.order_by("-valid_from").first()
    if installation is None or tariff is None:
        raise ValidationError(
            _("A dry run needs one subscriber with an installed meter and a fee tariff."),
            code=CommonErrorCode.NO_METER,
        )
    now = runner.now()
    return Claim.objects.create(
        tracking_code=f"DRY{uuid.uuid4().hex[:7].upper()}",
        subscriber=installation.subscriber,
        meter=installation.meter,
        channel="web",
        customer_type=getattr(installation.subscriber, "customer_type", "") or "R",
        reason="fast",
        last_reading=installation.initial_reading,
        last_reading_date=timezone.localdate(),
        contact_mobile="09120000000",
        payment_method="gateway",
        test_fee=0,
        vat=0,
        total_fee=0,
        fee_tariff=tariff,
        filed_at=now,
        paid_at=now,
        expires_at=now + datetime.timedelta(days=1),
    )


def process_dry_run(
    *,
    version: ProcessVersion,
    samples: dict[str, dict[str, Any]] | None = None,
    actor: Actor = None,
) -> DryRun:
    """Run the version on a throwaway claim with sample data, then undo everything.

    Each people's step gets the data in `samples[element id]`, else a sample value per field
    (an enum's first option). Everything runs in one transaction that is rolled back, so
    nothing the steps write stays, and the SMS and jobs they queue (sent on commit) never go.
    """

    samples = samples or {}
    result = DryRun()
    token = handlers.current_actor.set(actor)
    try:
        with transaction.atomic():
            try:
                claim = _throwaway_claim(version)
                clock = sla.sla_clock_new(claim=claim, now=runner.now(), running=True)
                clock.save(force_insert=True)
                _drive(version, claim, samples, result, actor)
            except ValidationError as error:
                result.stopped = " ".join(error.messages)
            except Exception as error:  # a broken draft: say what the engine said
                result.stopped = _("The engine stopped: %(error)s") % {"error": error}
            finally:
                transaction.set_rollback(True)
    finally:
        handlers.current_actor.reset(token)
    return result


def _drive(
    version: ProcessVersion,
    claim: Claim,
    samples: dict[str, dict[str, Any]],
    result: DryRun,
    actor: Actor,
) -> None:
    workflow = runner.new_workflow(version)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(
            {
                "claim_id": claim.pk,
                "tracking_code": claim.tracking_code,
                # As process_start: a claim without a deadline expires now.
                "payment_due": (claim.expires_at or runner.now()).isoformat(),
            }
        )

    def did_run(task: SpiffTask) -> None:
        if task.task_spec.bpmn_id:
            result.path.append(task.task_spec.bpmn_id)
            handlers.step_done(task.task_spec.bpmn_id, task.data)

    def settle() -> None:
        for _round in range(50):
            workflow.refresh_timers()
            workflow.do_engine_steps(did_complete_task=did_run)
            if not [t for t in workflow.get_tasks(state=TaskState.READY) if not t.task_spec.manual]:
                return
        raise ValidationError(_("The process does not settle: a loop without a waiting step."))

    settle()
    forms = forms_of(version)
    sent: set[str] = set()
    for _step in range(MAX_DRY_RUN_STEPS):
        if workflow.is_completed():
            result.completed = True
            ends = workflow.get_tasks(state=TaskState.COMPLETED)
            ends = [t for t in ends if t.task_spec.__class__.__name__ == "EndEvent"]
            result.end_event = ends[-1].task_spec.bpmn_id if ends else ""
            return
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if ready:
            engine_task = ready[0]
            task_spec = engine_task.task_spec
            fields = task_fields(task_spec, forms)
            data = {f.key: sample_value(f) for f in fields}
            data.update(samples.get(task_spec.bpmn_id, {}))
            form = form_for(task_spec, data, forms=forms)
            shown = DryRunTask(
                element=task_spec.bpmn_id,
                name=_(task_spec.bpmn_name or task_spec.bpmn_id),
                lane=task_spec.lane or "",
                fields=[_field_facts(f) for f in fields],
                data=data,
            )
            result.tasks.append(shown)
            if not form.is_valid():
                shown.errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
                result.stopped = _("The sample data of %(task)s does not fit its form.") % {
                    "task": task_spec.bpmn_id
                }
                return
            engine_task.data.update(task_data(form.cleaned_data))
            engine_task.run()
            result.path.append(task_spec.bpmn_id)
            handlers.step_done(task_spec.bpmn_id, engine_task.data)
            settle()
            continue
        for name in sorted(validation.APP_MESSAGES - {"claim_cancelled"} - sent):
            sent.add(name)
            if services._catch_message(workflow, name, {}):
                result.messages.append(name)
                settle()
                break
        else:
            result.stopped = _("The process waits for a timer or a message from outside.")
            return
    result.stopped = _("The dry run stopped after %(n)s steps.") % {
        "n": local_digits(MAX_DRY_RUN_STEPS)
    }
