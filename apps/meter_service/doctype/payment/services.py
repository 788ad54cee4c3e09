"""Actions on payments: online through the gateway, at a counter office, at the service desk;
and the charges that put a claim's fee on the next gas bill.

Lock order, everywhere: the claim's row first, then its payments' rows.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.core import exports
from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim import rules as claim_rules
from apps.meter_service.doctype.claim import services as claim_services
from apps.meter_service.doctype.claim.models import Claim, PaymentMethod
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.payment import events, rules, selectors
from apps.meter_service.doctype.payment.error_codes import PaymentErrorCode, gateway_refusal_code
from apps.meter_service.doctype.payment.models import BillCharge, Payment, PaymentStatus
from apps.meter_service.doctype.rule_setting.selectors import rule_value
from apps.meter_service.integrations.gateway.adapter import GatewayError, get_gateway
from apps.meter_service.permissions import Role

# Roles whose users take fees in person at the service desk.
DESK_CASHIER_ROLES = (Role.SERVICE_DESK_CLERK, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN)

UNKNOWN_PAYMENT_MESSAGE = _("No such payment.")
NOT_OFFICE_OPERATOR_MESSAGE = _(
    "Only an operator of this claim's counter office may record its payment."
)
NOT_DESK_CASHIER_MESSAGE = _("Only service-desk staff may record a payment in person.")
NO_EXPORT_PERMISSION_MESSAGE = _("You may not export charges to the billing system.")


def _user_or_none(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None  # a signed-in user, not anonymous


def _gateway_error(exc: GatewayError) -> ValidationError:
    code = (
        PaymentErrorCode.GATEWAY_UNAVAILABLE if exc.code is None else PaymentErrorCode.GATEWAY_ERROR
    )
    return ValidationError(exc.message, code=code, params=exc.params)


def _description(claim: Claim) -> str:
    # The plain ten digits: a dashed code would be reordered inside right-to-left text.
    return str(rules.FEE_DESCRIPTION % {"code": claim.tracking_code})


# --- online, through the gateway -----------------------------------------------------------


def payment_start_gateway(*, claim: Claim, actor: Actor = None, callback_url: str) -> str:
    """Ask the gateway for a payment of the claim's fee; return the URL to send the payer to.

    The gateway is asked before anything is written and outside any transaction, so an
    outage writes nothing and no row lock waits on the network.
    """
    claim = Claim.objects.get(pk=claim.pk)
    rules.check_can_pay(claim, method=PaymentMethod.GATEWAY)
    try:
        gateway = get_gateway()  # refused, with nothing sent, on a site that names no gateway
        answer = gateway.request_payment(
            amount_rial=claim.total_fee,
            callback_url=callback_url,
            description=_description(claim),
            mobile=claim.contact_mobile,
            order_id=claim.tracking_code,
        )
    except GatewayError as exc:
        raise _gateway_error(exc) from exc
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        # Paid or expired while the gateway answered: the new authority simply lapses.
        rules.check_can_pay(claim, method=PaymentMethod.GATEWAY)
        payment = Payment(
            claim=claim,
            method=PaymentMethod.GATEWAY,
            amount_rial=claim.total_fee,
            status=PaymentStatus.INITIATED,
            authority=answer.authority,
            recorded_by=_user_or_none(actor),
        )
        payment.full_clean()
        payment.save()
        events.payment_initiated_event(payment=payment, actor=actor)
    return gateway.start_pay_url(answer.authority)


def payment_handle_callback(*, authority: str | None, status: str) -> Payment:
    """Settle the gateway's callback for one payment: verified server-side and idempotent.

    The claim's row and then the payment's row are locked, so a replayed or racing callback
    waits for the first, then finds the payment settled and returns it unchanged. Status OK
    counts only once the gateway's verify confirms OUR stored amount; code 101 ("already
    verified", e.g. after a crash between verify and commit) counts the same as 100. A
    gateway outage raises ValidationError and writes nothing, so the callback can be retried;
    a payment never verified is returned to the payer by the gateway.
    """
    authority = (authority or "").strip()
    found = (
        Payment.objects.filter(authority=authority, method=PaymentMethod.GATEWAY)
        .values_list("pk", "claim_id")
        .first()
        if authority
        else None
    )
    if found is None:
        raise ValidationError(UNKNOWN_PAYMENT_MESSAGE, code=PaymentErrorCode.UNKNOWN_PAYMENT)
    payment_pk, claim_pk = found
    with transaction.atomic():
        claim = Claim.objects.select_for_update().get(pk=claim_pk)
        payment = Payment.objects.select_for_update().get(pk=payment_pk)
        payment.claim = claim
        if payment.status != PaymentStatus.INITIATED:
            return payment  # settled by an earlier callback: record nothing new
        if status != "OK":
            return _payment_fail(
                payment, code=PaymentErrorCode.NOT_PAID, reason=rules.NOT_PAID_REASON
            )
        if not claim_rules.can_pay(claim):
            return _payment_cancel(
                payment,
                code=PaymentErrorCode.CLAIM_NOT_PAYABLE,
                reason=rules.CLAIM_NOT_PAYABLE_REASON,
            )
        if payment.amount_rial != claim.total_fee:
            return _payment_fail(
                payment, code=PaymentErrorCode.AMOUNT_CHANGED, reason=rules.AMOUNT_CHANGED_REASON
            )
        assert payment.authority is not None  # found by it
        try:
            result = get_gateway().verify(
                amount_rial=payment.amount_rial, authority=payment.authority
            )
        except GatewayError as exc:
            raise _gateway_error(exc) from exc
        payment.verify_response = result.raw
        if not result.verified:
            reason = rules.VERIFY_REFUSED_REASON % {"code": result.code}
            return _payment_fail(payment, code=gateway_refusal_code(result.code), reason=reason)
        mismatch = rules.verify_mismatch(
            result.raw, authority=payment.authority, amount_rial=payment.amount_rial
        )
        if mismatch:
            return _payment_fail(payment, code=PaymentErrorCode.VERIFY_MISMATCH, reason=mismatch)
        now = timezone.now()
        payment.status = PaymentStatus.PAID
        payment.is_paid = True
        payment.ref_id = result.ref_id
        payment.card_pan = result.card_pan[:19]
        payment.paid_at = now
        payment.full_clean()
        payment.save(
            update_fields=["status", "is_paid", "ref_id", "card_pan", "paid_at", "verify_response"]
        )
        claim_services.claim_mark_paid(
            claim=claim, reference=f"gateway:{payment.ref_id}", actor=None, now=now
        )
        events.payment_paid_event(payment=payment, actor=None)
    return payment


def payments_reconcile(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Settle online payments whose callback never arrived, by asking the bank (a job).

    A payer who closed the browser, or a callback that met a database outage (it answered
    500 and the bank does not call again), left the payment `initiated` for ever although
    the bank had taken the money. Each payment started more than PAYMENT_RECONCILE_MINUTES
    ago (the payer is done at the bank by then) and less than PAYMENT_RECONCILE_DAYS ago is
    settled as its callback would have been: verified with the bank, then paid or failed
    (an unverified payment goes back to the payer). A bank outage leaves it for the next run.
    """
    now = now or timezone.now()
    started_before = now - datetime.timedelta(minutes=int(rule_value("PAYMENT_RECONCILE_MINUTES")))
    started_after = now - datetime.timedelta(days=int(rule_value("PAYMENT_RECONCILE_DAYS")))
    counts = {"paid": 0, "failed": 0, "cancelled": 0, "left": 0}
    waiting = Payment.objects.filter(
        method=PaymentMethod.GATEWAY,
        status=PaymentStatus.INITIATED,
        created_at__lt=started_before,
        created_at__gte=started_after,
    ).exclude(authority="")
    for authority in waiting.values_list("authority", flat=True):
        try:
            payment = payment_handle_callback(authority=authority, status="OK")
        except ValidationError:
            counts["left"] += 1
            continue
        counts[payment.status] = counts.get(payment.status, 0) + 1
    return counts


def _payment_fail(payment: Payment, *, code: str, reason: str | Promise) -> Payment:
    """Mark an initiated payment failed; call while holding its lock."""
    payment.status = PaymentStatus.FAILED
    payment.failure_reason = str(reason)[:300]
    payment.save(update_fields=["status", "failure_reason", "verify_response"])
    events.payment_failed_event(payment=payment, code=code)
    return payment


def _payment_cancel(
    payment: Payment, *, code: str, reason: str | Promise, actor: Actor = None
) -> Payment:
    """Mark an initiated payment cancelled (never to be verified); call holding its lock."""
    payment.status = PaymentStatus.CANCELLED
    payment.failure_reason = str(reason)[:300]
    payment.save(update_fields=["status", "failure_reason"])
    events.payment_cancelled_event(payment=payment, actor=actor, code=code)
    return payment


# --- taken in person -----------------------------------------------------------------------


def _is_office_operator(actor: Actor, claim: Claim) -> bool:
    return (
        claim.counter_office_id is not None
        and isinstance(actor, User)  # has_role is False for anyone else too
        and permissions.has_role(actor, Role.COUNTER_OFFICE_OPERATOR)
        and CounterOffice.objects.filter(pk=claim.counter_office_id, users=actor).exists()
    )


def _is_desk_cashier(actor: Actor) -> bool:
    if not permissions.can_use_desk(actor):
        return False
    return bool(getattr(actor, "is_superuser", False)) or permissions.has_role(
        actor, *DESK_CASHIER_ROLES
    )


def _record_taken(*, claim: Claim, method: str, actor: Actor, receipt_number: str) -> Payment:
    """Record a fee taken in person; call while holding the claim's lock."""
    now = timezone.now()
    payment = Payment(
        claim=claim,
        method=method,
        amount_rial=claim.total_fee,
        status=PaymentStatus.PAID,
        is_paid=True,
        receipt_number=normalize_digits(receipt_number or "").strip(),
        recorded_by=_user_or_none(actor),
        paid_at=now,
    )
    payment.full_clean()
    payment.save()
    # Online attempts still open are never to be verified now: the bank returns any money.
    stale = Payment.objects.select_for_update().filter(
        claim=claim, method=PaymentMethod.GATEWAY, status=PaymentStatus.INITIATED
    )
    for open_payment in stale:
        _payment_cancel(
            open_payment,
            code=PaymentErrorCode.PAID_OTHERWISE,
            reason=rules.PAID_OTHERWISE_REASON,
            actor=actor,
        )
    reference = f"{method}:{payment.receipt_number or payment.pk}"
    claim_services.claim_mark_paid(claim=claim, reference=reference, actor=actor, now=now)
    events.payment_paid_event(payment=payment, actor=actor)
    return payment


@transaction.atomic
def payment_record_counter(*, claim: Claim, actor: Actor, receipt_number: str = "") -> Payment:
    """Record that a counter office took the claim's total fee, its office fee included.

    Only an operator of the claim's own counter office may; anyone else gets PermissionDenied.
    """
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if not _is_office_operator(actor, claim):
        raise PermissionDenied(NOT_OFFICE_OPERATOR_MESSAGE)
    rules.check_can_pay(claim, method=PaymentMethod.COUNTER_OFFICE)
    return _record_taken(
        claim=claim, method=PaymentMethod.COUNTER_OFFICE, actor=actor, receipt_number=receipt_number
    )


@transaction.atomic
def payment_record_in_person(*, claim: Claim, actor: Actor, receipt_number: str = "") -> Payment:
    """Record that the service desk took the claim's fee in person."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if not _is_desk_cashier(actor):
        raise PermissionDenied(NOT_DESK_CASHIER_MESSAGE)
    rules.check_can_pay(claim, method=PaymentMethod.IN_PERSON)
    return _record_taken(
        claim=claim, method=PaymentMethod.IN_PERSON, actor=actor, receipt_number=receipt_number
    )


# --- on the next gas bill ------------------------------------------------------------------


def bill_charge_at_filing(*, claim: Claim) -> BillCharge:
    """Charge the fee of a claim filed in this transaction to the next gas bill.

    The claim was just inserted, with its subscriber loaded, so it has no charge yet and
    nothing is read back; the caller's transaction holds it all.
    """
    rules.check_next_bill(claim)
    charge = BillCharge(claim=claim, bill_id=claim.subscriber.bill_id, amount_rial=claim.total_fee)
    charge.full_clean(exclude=["claim"], validate_unique=False, validate_constraints=False)
    charge.save(force_insert=True)
    events.bill_charge_created_event(charge=charge)
    return charge


@transaction.atomic
def bill_charge_for_claim(*, claim: Claim) -> BillCharge:
    """Return the claim's charge to the next gas bill, creating it the first time."""
    existing = BillCharge.objects.filter(claim_id=claim.pk).first()
    if existing is not None:
        return existing
    claim = Claim.objects.select_related("subscriber").get(pk=claim.pk)
    rules.check_next_bill(claim)
    charge = BillCharge(claim=claim, bill_id=claim.subscriber.bill_id, amount_rial=claim.total_fee)
    charge.full_clean()
    try:
        with transaction.atomic():
            charge.save()
    except IntegrityError:  # created meanwhile by a racing call
        return BillCharge.objects.get(claim_id=claim.pk)
    events.bill_charge_created_event(charge=charge)
    return charge


def bill_charges_csv(rows: list[dict[str, object]]) -> str:
    """Return rows as CSV text with the export's header."""
    return exports.csv_text(list(selectors.BILL_CHARGE_COLUMNS), rows)


@transaction.atomic
def bill_charges_export(*, actor: Actor) -> tuple[str, str]:
    """Hand every pending charge to the billing system: return (batch_id, CSV text).

    The charges are marked exported in the same transaction, under lock, so a charge is
    exported exactly once; with nothing pending the batch id is "" and the CSV has only its
    header. The actor needs the change permission on bill charges.
    """
    if (
        actor is None
        or not actor.is_active
        or not actor.has_perm("meter_service.change_billcharge")
    ):
        raise PermissionDenied(NO_EXPORT_PERMISSION_MESSAGE)
    batch_id, pks = exports.mark_pending_exported(BillCharge)
    if not pks:
        return "", bill_charges_csv([])
    charges = list(
        BillCharge.objects.select_related("claim", "claim__subscriber")
        .filter(pk__in=pks)
        .order_by("created_at", "id")
    )
    for charge in charges:
        events.bill_charge_exported_event(charge=charge, actor=actor, batch_id=batch_id)
    return batch_id, bill_charges_csv([selectors.bill_charge_row(c) for c in charges])
