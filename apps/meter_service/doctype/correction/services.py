"""Actions on bill corrections: compute, submit for review, approve or return, post to billing.

The figures come from `rules.py` (pure); this module gathers its inputs (the test, the bills,
the tariffs, the rule settings), stores the result with what each figure came from, and moves
the claim's process through the billing officer's and the manager's steps.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import exports
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.bill.models import Bill, BillSource
from apps.meter_service.doctype.bill.services import bill_upsert
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.correction import events, rules, selectors
from apps.meter_service.doctype.correction.error_codes import CorrectionErrorCode
from apps.meter_service.doctype.correction.events import CorrectionEvents
from apps.meter_service.doctype.correction.models import (
    AdjustmentKind,
    BillCorrection,
    BillingAdjustment,
    CorrectionPeriod,
    CorrectionPiece,
    CorrectionStatus,
)
from apps.meter_service.doctype.gas_tariff.selectors import tariff_pricer, tariff_spans
from apps.meter_service.doctype.inspection.models import Inspection
from apps.meter_service.doctype.meter.models import MeterInstallation
from apps.meter_service.doctype.process_steps import OpenStep, process
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.doctype.work_order.models import WorkOrder, WorkOrderStatus

if TYPE_CHECKING:  # a name of the stubs only: a str or a lazy translation
    from django.utils.functional import _StrOrPromise

CORRECTION_STEP = "Task_correction"
APPROVAL_STEP = "Task_approve"
NO_EXPORT_PERMISSION_MESSAGE = _("You may not export billing adjustments.")
# The billing officer's step's note when it is closed without a correction.
NOT_POSSIBLE_NOTE = _("No correction possible: %(reason)s")


def _setting(name: str) -> Any:
    return rule_value(name)


def _user(actor: Actor) -> User | None:
    """The actor as a row records who did it: None for nobody or an anonymous visitor."""
    return actor if isinstance(actor, User) and actor.pk else None


def _open_step(claim: Claim, element_id: str) -> OpenStep | None:
    return process().open_step(claim_id=claim.pk, element_id=element_id)


def _require_step(claim: Claim, element_id: str, message: _StrOrPromise) -> OpenStep:
    task = _open_step(claim, element_id)
    if task is None:
        raise ValidationError(message, code=CorrectionErrorCode.WRONG_STEP)
    return task


def _last_test_date(claim: Claim, inspection: Inspection) -> datetime.date:
    """When the meter was last tested before this test, or else installed for this subscriber.

    Recording a test moves the meter's last test date to it, so an earlier date on the
    meter (from the import) only counts when it is before this test.
    """

    test_date = timezone.localdate(inspection.tested_at)
    candidates = []
    earlier = (
        Inspection.objects.filter(meter_id=claim.meter_id, tested_at__lt=inspection.tested_at)
        .order_by("-tested_at")
        .values_list("tested_at", flat=True)
        .first()
    )
    if earlier is not None:
        candidates.append(timezone.localdate(earlier))
    if claim.meter.last_test_date is not None and claim.meter.last_test_date < test_date:
        candidates.append(claim.meter.last_test_date)
    if candidates:
        return max(candidates)
    installation = (
        MeterInstallation.objects.filter(meter_id=claim.meter_id, subscriber_id=claim.subscriber_id)
        .order_by("-installed_on")
        .first()
    )
    if installation is None:
        raise ValidationError(
            _("The meter has no installation on record for this subscriber."),
            code=CorrectionErrorCode.NO_INSTALL,
        )
    return installation.installed_on


def _error_used(inspection: Inspection) -> Decimal | None:
    basis = _setting("CORRECTION_ERROR_BASIS")
    if basis == "mean" and inspection.mean_error_percent is not None:
        return inspection.mean_error_percent
    return inspection.error_percent


FINAL_READING_PERIOD = "final-reading"


def _final_reading_tail(
    claim: Claim, bills: Sequence[Bill]
) -> tuple[rules.BilledPeriod | None, dict[str, Any]]:
    """The days after the last bill up to the meter change, read from the replaced meter.

    The crew records the old meter's final reading when it is taken out; from the last
    bill's closing reading to that one is what the faulty meter registered over days no bill
    covers yet. Returns (the period, what it was read from) or (None, {}) when the work
    order, its reading or the last bill is missing or the readings do not follow on.
    """

    if not bills:
        return None, {}
    last = bills[-1]
    work_order = (
        WorkOrder.objects.filter(claim_id=claim.pk, status=WorkOrderStatus.DONE)
        .exclude(done_at=None)
        .exclude(old_final_reading=None)
        .order_by("-done_at")
        .first()
    )
    if work_order is None or work_order.old_final_reading is None or last.meter_changed:
        return None, {}  # rows without the reading are excluded above; tested for the type
    replaced_on = timezone.localdate(work_order.done_at)
    volume = work_order.old_final_reading - last.current_reading
    if replaced_on <= last.period_end or volume < 0:
        return None, {}
    source = {
        "work_order": work_order.pk,
        "from_reading": str(last.current_reading),
        "from_date": last.period_end.isoformat(),
        "final_reading": str(work_order.old_final_reading),
        "replaced_on": replaced_on.isoformat(),
    }
    period = rules.BilledPeriod(
        bill_id=FINAL_READING_PERIOD,
        start=last.period_end,
        end=replaced_on,
        volume_m3=volume,
        amount_rial=0,  # not billed yet: the next bill charges these days as registered
    )
    return period, source


def _periods(bills: Iterable[Bill]) -> list[rules.BilledPeriod]:
    # The bill's primary key names the period: every bill of a subscriber shares its bill id.
    return [
        rules.BilledPeriod(
            bill_id=str(bill.pk),
            start=bill.period_start,
            end=bill.period_end,
            volume_m3=bill.volume_m3,
            amount_rial=bill.amount_rial,
        )
        for bill in bills
    ]


@transaction.atomic
def correction_compute(
    *,
    claim: Claim,
    actor: Actor,
    last_verified_reading_date: datetime.date | None = None,
    window_note: str = "",
    overrides: dict[int, tuple[Decimal, str]] | None = None,
    now: datetime.datetime | None = None,
) -> BillCorrection:
    """Compute (or recompute) the claim's correction while it is the billing officer's step.

    overrides: {bill pk: (corrected volume, reason)} for periods the officer sets by hand.
    """

    claim, _task, existing = _lock_step(claim, actor)
    inspection = selectors.decisive_inspection(claim)
    if inspection is None:
        raise ValidationError(
            _("The claim has no recorded test."), code=CorrectionErrorCode.NO_TEST
        )
    if last_verified_reading_date is not None and not window_note.strip():
        raise ValidationError(
            {"window_note": _("Say why the reading on this date is known to be right.")}
        )
    for _volume, reason in (overrides or {}).values():
        if not str(reason).strip():
            raise ValidationError(
                {"overrides": _("Give a reason for every volume you set by hand.")}
            )
    test_date = timezone.localdate(inspection.tested_at)
    max_days = int(_setting("CORRECTION_MAX_WINDOW_DAYS"))
    last_test = _last_test_date(claim, inspection)
    try:
        window = rules.correction_window(
            test_date=test_date,
            last_test_date=last_test,
            last_verified_reading_date=last_verified_reading_date,
            max_window_days=max_days,
        )
        bills = list(
            Bill.objects.filter(subscriber=claim.subscriber, period_start__lt=test_date).order_by(
                "period_start"
            )
        )
        by_pk = {bill.pk: bill for bill in bills}
        unknown = set(overrides or {}) - set(by_pk)
        if unknown:
            raise ValidationError(
                {"overrides": _("A volume was set for a bill not in the window.")}
            )
        periods = _periods(bills)
        tail, tail_source = _final_reading_tail(claim, bills)
        if tail is not None:
            periods.append(tail)
        spans = tariff_spans(
            tariff_group=claim.subscriber.tariff_group,
            climate_zone=claim.subscriber.climate_zone,
            start=window[0],
            end=window[1],
        )
        result = rules.compute_correction(
            bills=periods,
            window=window,
            verdict=inspection.verdict,
            error_percent=_error_used(inspection),
            spans=spans,
            pricer=tariff_pricer(),
            history=periods,
            overrides={str(pk): (Decimal(v), r) for pk, (v, r) in (overrides or {}).items()},
        )
    except rules.CorrectionError as error:
        raise ValidationError(
            _("The correction cannot be computed: %(reason)s"),
            params={"reason": error.user_message()},
            code=CorrectionErrorCode.CANNOT_COMPUTE,
        ) from error

    now = now or timezone.now()
    fields = {
        "verdict": inspection.verdict,
        "error_percent": _error_used(inspection),
        "test_date": test_date,
        "last_test_date": last_test,
        "last_verified_reading_date": last_verified_reading_date,
        "window_note": window_note.strip(),
        "max_window_days": max_days,
        "window_start": result.window_start,
        "window_end": result.window_end,
        "rules_used": {
            "CORRECTION_MAX_WINDOW_DAYS": max_days,
            "CORRECTION_ERROR_BASIS": _setting("CORRECTION_ERROR_BASIS"),
            "CORRECTION_APPROVAL_LIMIT_RIAL": _setting("CORRECTION_APPROVAL_LIMIT_RIAL"),
            "REFUND_FEE_WHEN_FAULTY": _setting("REFUND_FEE_WHEN_FAULTY"),
            "inspection": inspection.pk,
            **({"final_reading": tail_source} if tail_source else {}),
        },
        "registered_rial": sum(p.registered_rial for p in result.periods),
        "corrected_rial": sum(p.corrected_rial for p in result.periods),
        "difference_rial": result.difference_rial,
        "computed_at": now,
        "computed_by": _user(actor),
    }
    correction = _replace_correction(claim, existing, fields)
    write_periods(correction, result, by_pk)
    events.correction_computed_event(correction=correction, actor=actor)
    return correction


def _replace_correction(
    claim: Claim, existing: BillCorrection | None, fields: dict[str, Any]
) -> BillCorrection:
    """The claim's correction with these fields: a new one, or the existing one rewritten
    with its periods removed (the caller writes the new ones, if any)."""
    if existing is None:
        return BillCorrection.objects.create(claim=claim, **fields)
    for name, value in fields.items():
        setattr(existing, name, value)
    existing.save()
    existing.periods.all().delete()
    return existing


def write_periods(
    correction: BillCorrection, result: rules.Correction, bills_by_pk: dict[int, Bill]
) -> None:
    """Store a computed correction's periods and tariff pieces (each naming its bill)."""
    for position, period in enumerate(result.periods):
        row = CorrectionPeriod.objects.create(
            correction=correction,
            bill=None
            if period.bill_id == FINAL_READING_PERIOD
            else bills_by_pk[int(period.bill_id)],
            position=position,
            start=period.start,
            end=period.end,
            registered_m3=period.registered_m3,
            corrected_m3=period.corrected_m3,
            method=period.method,
            note=period.note,
            billed_rial=period.billed_rial,
            registered_rial=period.registered_rial,
            corrected_rial=period.corrected_rial,
            difference_rial=period.difference_rial,
        )
        CorrectionPiece.objects.bulk_create(
            CorrectionPiece(
                period=row,
                tariff_id=int(piece.tariff),
                start=piece.start,
                end=piece.end,
                days=piece.days,
                registered_m3=piece.registered_m3,
                corrected_m3=piece.corrected_m3,
                registered_rial=piece.registered_rial,
                corrected_rial=piece.corrected_rial,
            )
            for piece in period.pieces
        )


def _lock_step(claim: Claim, actor: Actor) -> tuple[Claim, OpenStep, BillCorrection | None]:
    """Lock the claim and check the billing officer's step is open and the actor's to do."""

    claim = Claim.objects.select_for_update().select_related("subscriber", "meter").get(pk=claim.pk)
    task = _require_step(
        claim, CORRECTION_STEP, _("The claim is not waiting for its bill correction.")
    )
    if actor is not None:
        process().check_can_complete(user=actor, step=task)
    existing = BillCorrection.objects.filter(claim=claim).first()
    if existing is not None and existing.status != CorrectionStatus.DRAFT:
        raise ValidationError(
            _("The correction is with the service manager; it cannot change now."),
            code=CommonErrorCode.NOT_DRAFT,
        )
    return claim, task, existing


@transaction.atomic
def correction_record_bill(*, claim: Claim, actor: Actor, data: dict[str, Any]) -> Bill:
    """Record a bill the correction needs but the billing system has not sent, as the
    billing officer reads it from the subscriber's paper bill (source "desk").

    data: payment_id, period_start, period_end, previous_reading, current_reading,
    amount_rial (the volume is the readings' difference). A bill already recorded with the
    same payment ID is refused: the billing system's bill is not changed from here.
    """

    claim, _task, _existing = _lock_step(claim, actor)
    subscriber = claim.subscriber
    payment_id = str(data.get("payment_id") or "")
    if Bill.objects.filter(bill_id=subscriber.bill_id, payment_id=payment_id).exists():
        raise ValidationError(
            {"payment_id": _("A bill with this payment ID is already recorded.")},
            code=CorrectionErrorCode.BILL_EXISTS,
        )
    fields = {
        name: data.get(name)
        for name in (
            "payment_id",
            "period_start",
            "period_end",
            "previous_reading",
            "current_reading",
            "amount_rial",
        )
    }
    bill, _outcome = bill_upsert(
        data={**fields, "subscriber": subscriber, "bill_id": subscriber.bill_id},
        source=BillSource.DESK,
        actor=actor,
    )
    return bill


def _close_window(
    claim: Claim, inspection: Inspection | None, test_date: datetime.date, max_days: int
) -> tuple[datetime.date, tuple[datetime.date, datetime.date]]:
    """The window a closed correction records: as computed when it can be, else the day
    before the test (the close must not fail on the very data that is missing)."""
    try:
        last_test = _last_test_date(claim, inspection) if inspection else None
    except ValidationError:
        last_test = None
    if last_test is None:
        last_test = test_date - datetime.timedelta(days=max_days)
    try:
        window = rules.correction_window(
            test_date=test_date,
            last_test_date=last_test,
            last_verified_reading_date=None,
            max_window_days=max_days,
        )
    except rules.CorrectionError:
        window = (test_date - datetime.timedelta(days=1), test_date)
    return last_test, window


@transaction.atomic
def correction_close_not_possible(
    *, claim: Claim, actor: Actor, reason: str, now: datetime.datetime | None = None
) -> BillCorrection:
    """Close the billing officer's step without a correction, for a stated reason.

    For when nothing can be corrected from (no bill nor reading inside the window, the
    subscriber's bills lost...): the reason is kept on the correction, audited, shown on
    the claim and printed on the statement; no line goes to billing; the process goes on to
    the fee decision and its end as after a correction of zero.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why no correction is possible.")})
    claim, task, existing = _lock_step(claim, actor)
    now = now or timezone.now()
    inspection = selectors.decisive_inspection(claim)
    test_date = timezone.localdate(inspection.tested_at if inspection else now)
    max_days = int(_setting("CORRECTION_MAX_WINDOW_DAYS"))
    last_test, (window_start, window_end) = _close_window(claim, inspection, test_date, max_days)
    verdict = inspection.verdict if inspection else ""
    with translation.override(settings.LANGUAGE_CODE):
        process_note = str(NOT_POSSIBLE_NOTE % {"reason": reason})[:500]
    process().complete(
        step=task,
        user=actor,
        data={
            "correction_rial": 0,
            "correction_method": "estimated" if verdict == "stopped" else "scaled",
            "correction_note": process_note,
        },
    )
    fields = {
        "status": CorrectionStatus.NOT_POSSIBLE,
        "verdict": verdict,
        "error_percent": _error_used(inspection) if inspection else None,
        "test_date": test_date,
        "last_test_date": last_test,
        "last_verified_reading_date": None,
        "window_note": "",
        "max_window_days": max_days,
        "window_start": window_start,
        "window_end": window_end,
        "rules_used": {
            "CORRECTION_MAX_WINDOW_DAYS": max_days,
            "inspection": inspection.pk if inspection else None,
        },
        "registered_rial": 0,
        "corrected_rial": 0,
        "difference_rial": 0,
        "computed_at": now,
        "computed_by": _user(actor),
        "reviewed_at": now,
        "reviewed_by": _user(actor),
        "review_note": "",
        "not_possible_reason": reason[:500],
    }
    correction = _replace_correction(claim, existing, fields)
    events.correction_status_event(
        correction=correction,
        actor=actor,
        event_type=CorrectionEvents.CORRECTION_NOT_POSSIBLE,
        note=reason,
    )
    return correction


def _process_method(correction: BillCorrection) -> str:
    """The process form's method: estimated when any period was estimated."""
    methods = set(correction.periods.values_list("method", flat=True))
    return "estimated" if methods & {"same_days_earlier_years", "periods_around"} else "scaled"


@transaction.atomic
def correction_submit(
    *, correction: BillCorrection, actor: Actor, note: str = ""
) -> BillCorrection:
    """The billing officer signs the correction; the process decides if a manager must too."""
    correction = BillCorrection.objects.select_for_update().get(pk=correction.pk)
    if correction.status != CorrectionStatus.DRAFT:
        raise ValidationError(
            _("The correction was already submitted."), code=CommonErrorCode.NOT_DRAFT
        )
    task = _require_step(
        correction.claim, CORRECTION_STEP, _("The claim is not waiting for its bill correction.")
    )
    process().complete(
        step=task,
        user=actor,
        data={
            "correction_rial": correction.difference_rial,
            "correction_method": _process_method(correction),
            "correction_note": note[:500],
        },
    )
    correction.reviewed_by, correction.reviewed_at = _user(actor), timezone.now()
    correction.review_note = note[:500]
    if _open_step(correction.claim, APPROVAL_STEP) is not None:
        correction.status = CorrectionStatus.AWAITING_APPROVAL
        correction.save()
        events.correction_status_event(
            correction=correction,
            actor=actor,
            event_type=CorrectionEvents.CORRECTION_SUBMITTED,
            note=note,
        )
    else:  # within the billing officer's limit
        _approve(correction, approver=None, note="")
        events.correction_status_event(
            correction=correction,
            actor=actor,
            event_type=CorrectionEvents.CORRECTION_APPROVED,
            note=note,
        )
    return correction


@transaction.atomic
def correction_decide(
    *, correction: BillCorrection, actor: Actor, decision: str, note: str = ""
) -> BillCorrection:
    """The service manager approves the correction, or returns it to the billing officer."""
    if decision not in ("approve", "return"):
        raise ValidationError({"decision": _("Choose approve or return.")})
    if decision == "return" and not note.strip():
        raise ValidationError({"note": _("Say why the correction is returned.")})
    correction = BillCorrection.objects.select_for_update().get(pk=correction.pk)
    if correction.status != CorrectionStatus.AWAITING_APPROVAL:
        raise ValidationError(
            _("The correction is not waiting for approval."), code=CorrectionErrorCode.NOT_AWAITING
        )
    task = _require_step(
        correction.claim, APPROVAL_STEP, _("The correction is not waiting for approval.")
    )
    process().complete(
        step=task,
        user=actor,
        data={"decision": decision, "decision_note": note[:500]},
    )
    if decision == "approve":
        _approve(correction, approver=_user(actor), note=note)
        event_type = CorrectionEvents.CORRECTION_APPROVED
    else:
        correction.status = CorrectionStatus.DRAFT
        correction.approval_note = note[:500]
        correction.save()
        event_type = CorrectionEvents.CORRECTION_RETURNED
    events.correction_status_event(
        correction=correction, actor=actor, event_type=event_type, note=note
    )
    return correction


def _approve(correction: BillCorrection, *, approver: User | None, note: str) -> None:
    correction.status = CorrectionStatus.APPROVED
    correction.approved_by = approver
    correction.approved_at = timezone.now()
    correction.approval_note = note[:500]
    correction.save()
    _post_correction(correction)


def _create_line(**fields: Any) -> BillingAdjustment | None:
    """Create one adjustment line unless its key exists: a line is posted once."""
    if BillingAdjustment.objects.filter(line_key=fields["line_key"]).exists():
        return None
    try:
        with transaction.atomic():
            line = BillingAdjustment.objects.create(**fields)
    except IntegrityError:  # created meanwhile
        return None
    events.adjustment_created_event(adjustment=line)
    return line


def _post_correction(correction: BillCorrection) -> None:
    claim = correction.claim
    for period in correction.periods.select_related("bill"):
        if period.difference_rial == 0:
            continue
        _create_line(
            claim=claim,
            correction=correction,
            line_key=f"claim-{claim.pk}:correction:"
            + (f"bill-{period.bill_id}" if period.bill_id else FINAL_READING_PERIOD),
            kind=AdjustmentKind.CORRECTION,
            bill_id=claim.subscriber.bill_id,
            corrected_payment_id=period.bill.payment_id if period.bill else "",
            period_start=period.start,
            period_end=period.end,
            amount_rial=period.difference_rial,
            description=selectors.adjustment_description(AdjustmentKind.CORRECTION, claim),
        )


def adjustment_for_fee(*, claim: Claim, action: str) -> BillingAdjustment | None:
    """Credit the test fee on the gas bill when the process refunds or waives it."""
    kinds = {"refund": AdjustmentKind.FEE_REFUND, "waive": AdjustmentKind.FEE_WAIVER}
    if action not in kinds or not claim.total_fee:
        return None
    return _create_line(
        claim=claim,
        line_key=f"claim-{claim.pk}:fee",
        kind=kinds[action],
        bill_id=claim.subscriber.bill_id,
        amount_rial=-int(claim.total_fee),
        description=selectors.adjustment_description(kinds[action], claim),
    )


def adjustment_for_damage(*, claim: Claim, damage_rial: int) -> BillingAdjustment | None:
    """Charge the damage from tampering to the gas bill."""
    if int(damage_rial) <= 0:
        return None
    return _create_line(
        claim=claim,
        line_key=f"claim-{claim.pk}:damage",
        kind=AdjustmentKind.DAMAGE,
        bill_id=claim.subscriber.bill_id,
        amount_rial=int(damage_rial),
        description=selectors.adjustment_description(AdjustmentKind.DAMAGE, claim),
    )


def adjustments_csv(rows: list[dict[str, object]]) -> str:
    return exports.csv_text(selectors.ADJUSTMENT_COLUMNS, rows)


@transaction.atomic
def adjustments_export(*, actor: Actor) -> tuple[str, str]:
    """Hand every pending adjustment to the billing system: return (batch id, CSV text).

    Marked exported in the same transaction, under lock: a line is exported exactly once.
    """
    if (
        actor is None
        or not actor.is_active
        or not actor.has_perm("meter_service.change_billingadjustment")
    ):
        raise PermissionDenied(NO_EXPORT_PERMISSION_MESSAGE)
    batch_id, pks = exports.mark_pending_exported(BillingAdjustment, prefix="adj-")
    if not pks:
        return "", adjustments_csv([])
    lines = list(
        selectors.adjustments_with_claims().filter(pk__in=pks).order_by("created_at", "id")
    )
    for line in lines:
        events.adjustment_exported_event(adjustment=line, actor=actor, batch_id=batch_id)
    return batch_id, adjustments_csv([selectors.adjustment_row(line) for line in lines])


def statement_ready(correction: BillCorrection) -> bool:
    """A statement is printed for an approved correction, and for a step closed without one
    (it tells the subscriber why nothing was corrected)."""
    return correction.status in (CorrectionStatus.APPROVED, CorrectionStatus.NOT_POSSIBLE)
