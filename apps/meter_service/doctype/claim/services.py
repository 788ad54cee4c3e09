"""Actions on claims. The portals, the desk, the API and the jobs all come through here."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.meter_service.audit.events import batched_events
from apps.meter_service.core import tracking, uploads
from apps.meter_service.core.domain_events import publish
from apps.meter_service.core.queries import unique_or_none
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.claim import events, rules
from apps.meter_service.doctype.claim.domain_events import ClaimFiledOnBill
from apps.meter_service.doctype.claim.error_codes import ClaimErrorCode
from apps.meter_service.doctype.claim.models import (
    OPEN_STATUSES,
    Claim,
    ClaimStatus,
    PaymentMethod,
)
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.custom_field.services import custom_values_clean
from apps.meter_service.doctype.fee_tariff.selectors import fee_quote
from apps.meter_service.doctype.meter.models import MeterInstallation
from apps.meter_service.doctype.outbox.services import enqueue
from apps.meter_service.doctype.process_steps import process
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.reference_data import reference_snapshot

RELATED_FIELDS = ("subscriber", "meter", "counter_office", "agency", "fee_tariff", "filed_by")


def _notify(
    claim: Claim, *events: str, facts: dict[str, Any] | None = None, actor: Actor = None
) -> None:
    """Queue the notification rules of claim events. The occurrence names this one (a
    retried job sends once); the actor, when staff, is the rules' assignee."""
    facts = {**(facts or {}), "occurrence": uuid.uuid4().hex}
    if isinstance(actor, User) and actor.is_staff:
        facts["actor_id"] = actor.pk
    enqueue("claim_notify", claim.pk, *events, queue="notifications", facts=facts)


def _meter_claims(
    installation: MeterInstallation,
) -> tuple[Claim | None, tuple[Decimal, datetime.date]]:
    """Return the meter's open claim (None if none), and the last reading on record for the
    meter there now with its date: the meter's claims read once (a meter has a few).

    The reading is the latest one of a claim (not cancelled) filed since the meter was
    installed here, if not below the installation's own reading.
    """
    meter = installation.meter
    claims = Claim.objects.filter(meter_id=meter.pk).exclude(status=ClaimStatus.CANCELLED)
    open_claim, last = None, None
    for claim in claims.only(
        "pk", "tracking_code", "is_open", "filed_at", "last_reading", "last_reading_date"
    ):
        claim.meter = meter
        if claim.is_open:
            open_claim = claim
        if timezone.localdate(claim.filed_at) < installation.installed_on:
            continue
        if last is None or (claim.last_reading_date, claim.last_reading) > (
            last.last_reading_date,
            last.last_reading,
        ):
            last = claim
    if last is not None and last.last_reading >= installation.initial_reading:
        return open_claim, (last.last_reading, last.last_reading_date)
    return open_claim, (installation.initial_reading, installation.installed_on)


def _check_bill_on_file(subscriber: Subscriber, bill_id: str, payment_id: str) -> None:
    """Check the last settled bill's pair against the subscription's latest bills on file
    (one query on the bills' subscriber index; a second only to word a refusal)."""

    recent_count = rules.last_bill_recent_count()
    bills = Bill.objects.filter(subscriber=subscriber)
    recent = list(
        bills.order_by("-period_start", "-pk").values_list("bill_id", "payment_id")[:recent_count]
    )
    older_match = (
        bool(recent)
        and (bill_id, payment_id) not in recent
        and bills.filter(bill_id=bill_id, payment_id=payment_id).exists()
    )
    rules.check_bill_on_file(
        bill_id=bill_id,
        payment_id=payment_id,
        recent_bills=recent,
        older_match=older_match,
        recent_count=recent_count,
    )


TRACKING_CODE_DRAWS = 20  # 20 collisions in 9e8 codes would be a bug, not bad luck


def _insert_with_free_tracking_code(claim: Claim) -> None:
    """Insert the claim under a newly drawn tracking code.

    The unique index is the check: a code already taken fails the insert (in a savepoint)
    and another is drawn, so the common case costs no lookup. An insert refused for another
    reason (a racing filing's open claim on the meter) is raised as it is.
    """
    for _attempt in range(TRACKING_CODE_DRAWS):
        try:
            with transaction.atomic():
                claim.save(force_insert=True)
            return
        except IntegrityError:
            if not Claim.objects.filter(tracking_code=claim.tracking_code).exists():
                raise
            claim.tracking_code = tracking.generate()
    raise RuntimeError("could not draw a free tracking code")


@reference_snapshot()  # the reference data's generation read before the transaction
@transaction.atomic
def claim_file(
    *,
    subscriber: Subscriber,
    channel: str,
    reason: str,
    last_reading: Decimal,
    last_reading_date: datetime.date,
    contact_mobile: str,
    payment_method: str,
    reason_text: str = "",
    last_bill_id: str = "",
    last_payment_id: str = "",
    last_bill_scan: UploadedFile | None = None,
    preferred_visit: str = "any",
    counter_office: CounterOffice | None = None,
    agency: Agency | None = None,
    documents_checked: dict[str, Any] | None = None,
    custom_fields: dict[str, Any] | None = None,
    extra_fields: dict[str, Any] | None = None,
    actor: Actor = None,
    now: datetime.datetime | None = None,
) -> Claim:
    """File a meter test claim for the meter installed at the subscription now.

    `custom_fields` are the claim's custom values by key, checked against the active
    definitions (required ones included) by the doors that fill them (the API); a door
    that asks for none (the portal's form) leaves it None.
    `extra_fields` are the answers to the process's claim form, checked against its schema
    by the caller (the engine's process_claim_form): plain JSON values by key; the process
    starts with them in its data.

    The subscriber row is locked so two filings for the same meter queue up; the second one
    then sees the first and is refused, and the database's unique constraint backs this up.
    SQLite has no row locks: its one writer queues them already, and the row read just
    before is used as it is (reading it again would only lengthen the write).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    custom_values = (
        custom_values_clean(target=CustomFieldTarget.CLAIM, values=custom_fields)
        if custom_fields is not None
        else {}
    )
    if connection.features.has_select_for_update:
        subscriber = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
    installation = unique_or_none(
        MeterInstallation.objects.select_related("meter").filter(
            subscriber=subscriber, is_current=True
        )
    )
    if installation is None:
        raise ValidationError(
            {
                "meter": ValidationError(
                    rules.NO_METER_MESSAGE, code=ClaimErrorCode.NO_METER_INSTALLED
                )
            }
        )
    meter = installation.meter
    open_claim, (previous_reading, previous_date) = _meter_claims(installation)
    rules.check_no_open_claim(open_claim)
    rules.check_channel(
        channel=channel, payment_method=payment_method, counter_office=counter_office, agency=agency
    )
    rules.check_reason(reason=reason, reason_text=reason_text)
    rules.check_reading(
        reading=last_reading,
        reading_date=last_reading_date,
        today=today,
        previous_reading=previous_reading,
        previous_date=previous_date,
        meter_size=meter.size,
    )
    if last_bill_scan is not None:
        head = last_bill_scan.read(16)
        last_bill_scan.seek(0)
        assert last_bill_scan.size is not None  # Django sets the size of every upload
        scan_type = rules.check_scan(head=head, size=last_bill_scan.size)
        try:
            uploads.check_image(last_bill_scan, scan_type)
        except ValidationError as error:
            raise ValidationError({"last_bill_scan": error}) from error
    rules.check_bill(
        subscriber_bill_id=subscriber.bill_id,
        bill_id=last_bill_id,
        payment_id=last_payment_id,
        has_scan=last_bill_scan is not None,
    )
    if last_bill_id and last_payment_id:
        _check_bill_on_file(subscriber, last_bill_id, last_payment_id)
    quote = fee_quote(
        meter_size=meter.size,
        customer_type=subscriber.customer_type,
        channel=channel,
        on_date=today,
    )
    expiry_days = int(rules.rule_setting("PAYMENT_EXPIRY_DAYS"))
    pay_by = now + datetime.timedelta(days=expiry_days)
    claim = Claim(
        tracking_code=tracking.generate(),
        subscriber=subscriber,
        meter=meter,
        channel=channel,
        counter_office=counter_office,
        agency=agency,
        customer_type=subscriber.customer_type,
        reason=reason,
        reason_text=reason_text,
        last_reading=last_reading,
        last_reading_date=last_reading_date,
        last_bill_id=last_bill_id,
        last_payment_id=last_payment_id,
        contact_mobile=contact_mobile,
        preferred_visit=preferred_visit,
        payment_method=payment_method,
        test_fee=quote.test_fee,
        vat=quote.vat,
        channel_fee=quote.channel_fee,
        total_fee=quote.total,
        fee_tariff_id=quote.test_tariff_id,
        documents_checked=documents_checked or {},
        custom_fields=custom_values,
        extra_fields=rules.check_extra_fields(extra_fields or {}),
        filed_by=actor if isinstance(actor, User) else None,  # a signed-in user, not anonymous
        filed_at=now,
        expires_at=pay_by,
    )
    # The related rows were loaded above and uniqueness is the database's to enforce: only
    # the field validators are left to run here (the others would cost a query each).
    claim.full_clean(
        exclude=["last_bill_scan", *RELATED_FIELDS],
        validate_unique=False,
        validate_constraints=False,
    )
    # The fee goes on the next gas bill: the billing system collects it, so the claim is
    # paid as it is filed and goes ahead at once (in one write, not a second step).
    on_bill = payment_method == PaymentMethod.NEXT_BILL
    if on_bill:
        _set_paid(claim, now)
    if last_bill_scan is not None:
        # Stored only once every check passed; removed again if the row cannot be saved.
        name = uploads.stored_name(scan_type)
        claim.last_bill_scan.save(name, last_bill_scan, save=False)
    try:
        _insert_with_free_tracking_code(claim)
    except IntegrityError as exc:  # a filing that raced past the check above
        if claim.last_bill_scan:
            claim.last_bill_scan.delete(save=False)
        rules.check_no_open_claim(Claim.objects.filter(meter=meter, is_open=True).first())
        raise exc
    with batched_events():
        events.claim_filed_event(claim=claim, actor=actor)
        if not on_bill:
            # The deadline as filed: the claim may be paid (and its deadline cleared) before
            # the message goes out, as at a counter that takes the fee at once.
            _notify(claim, "claim_filed", facts={"pay_by": pay_by.isoformat()}, actor=actor)
            process().start(claim=claim, actor=actor)
            return claim
        reference = f"bill:{claim.tracking_code}"
        events.claim_paid_event(claim=claim, actor=actor, payment_reference=reference)
        # One text: filed, and the fee goes on the next bill (there is no payment deadline).
        _notify(claim, "claim_filed_next_bill", actor=actor)
        process().start(
            claim=claim,
            actor=actor,
            messages=(("fee_paid", {"reference": reference}),),
            payment_due=pay_by,
        )
        publish(ClaimFiledOnBill(claim=claim), required=True)  # the payment doctype charges it
    return claim


def _set_paid(claim: Claim, now: datetime.datetime) -> None:
    rules.check_can_pay(claim)
    claim.status = ClaimStatus.PAID
    claim.paid_at = now
    claim.expires_at = None


@transaction.atomic
def claim_mark_paid(
    *, claim: Claim, reference: str, actor: Actor = None, now: datetime.datetime | None = None
) -> Claim:
    """Record that the claim's fee is paid (or charged to the bill); the test may start."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    _set_paid(claim, now or timezone.now())
    claim.save(update_fields=["status", "paid_at", "expires_at"])
    events.claim_paid_event(claim=claim, actor=actor, payment_reference=reference)
    _notify(claim, "claim_paid", actor=actor)
    process().send_message(
        claim=claim, name="fee_paid", payload={"reference": reference}, actor=actor
    )
    return claim


def _end(claim: Claim, status: str, now: datetime.datetime) -> None:
    claim.status = status
    claim.is_open = None
    claim.closed_at = now
    claim.save(update_fields=["status", "is_open", "closed_at"])


@transaction.atomic
def claim_cancel(*, claim: Claim, actor: Actor = None, reason: str = "") -> Claim:
    """Cancel an unpaid claim at its filer's request."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    rules.check_can_cancel(claim)
    _end(claim, ClaimStatus.CANCELLED, timezone.now())
    events.claim_cancelled_event(claim=claim, actor=actor, reason=reason)
    accepted = process().send_message(
        claim=claim, name="claim_cancelled", payload={"reason": reason}, actor=actor
    )
    if not accepted:
        # The claim would say cancelled while its process still waits for the fee (or has
        # moved on): refuse, and the transaction takes the status and the audit entry back.
        raise ValidationError(
            _("This claim's process does not take a cancellation at this step."),
            code=ClaimErrorCode.PROCESS_REFUSED_CANCEL,
        )
    return claim


def claim_expire_unpaid(*, now: datetime.datetime | None = None) -> list[str]:
    """Fire the process's due timers (payment deadlines among them); return the tracking
    codes of the claims that expired."""
    moved = process().run_timers(now=now)
    return list(
        Claim.objects.filter(pk__in=moved, status=ClaimStatus.EXPIRED).values_list(
            "tracking_code", flat=True
        )
    )


def claim_end_expired(*, claim: Claim, now: datetime.datetime) -> Claim:
    """End a claim the process gave up on: unpaid in time, or no access to the meter."""
    if claim.status in OPEN_STATUSES:
        paid = claim.paid_at is not None
        _end(claim, ClaimStatus.EXPIRED, now)
        events.claim_expired_event(claim=claim)
        _notify(claim, "claim_no_access" if paid else "claim_expired")
    return claim


def claim_visit_scheduled(
    *, claim: Claim, visit_date: datetime.date, visit_time: str, test_type: str, actor: Actor = None
) -> Claim:
    """Record the technician's visit; the subscriber is told by SMS."""
    claim.status = ClaimStatus.IN_PROGRESS
    claim.test_visit_date = visit_date
    claim.test_visit_time = visit_time
    claim.save(update_fields=["status", "test_visit_date", "test_visit_time"])
    events.claim_visit_scheduled_event(
        claim=claim, actor=actor, visit_date=visit_date, visit_time=visit_time, test_type=test_type
    )
    _notify(claim, "visit_scheduled", actor=actor)
    return claim


def claim_close(
    *,
    claim: Claim,
    outcome: str,
    findings: dict[str, Any],
    actor: Actor = None,
    now: datetime.datetime,
) -> Claim:
    """Close a tested claim with its outcome; the subscriber is told by SMS."""
    claim.outcome = outcome
    claim.findings = findings
    claim.save(update_fields=["outcome", "findings"])
    _end(claim, ClaimStatus.CLOSED, now)
    events.claim_closed_event(claim=claim, actor=actor, outcome=outcome)
    _notify(claim, "claim_closed", actor=actor)
    return claim


def claim_settle_fee(*, claim: Claim, action: str, actor: Actor = None) -> Claim:
    """Record what happens to the test fee (refunded, waived or kept), as decided by the
    process's fee table."""
    claim.fee_outcome = action
    claim.save(update_fields=["fee_outcome"])
    events.claim_fee_settled_event(claim=claim, actor=actor, action=action)
    return claim
