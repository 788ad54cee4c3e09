"""A fee on the next bill is paid as the claim is filed: one write of the process, the same
result as filing and then paying, and the same audit trail."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import tracking
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.meter.services import meter_install
from apps.meter_service.doctype.payment.models import BillCharge
from apps.meter_service.doctype.sla.models import SlaClock
from apps.meter_service.engine.models import ProcessInstance, ProcessTask


def _another_installation(make_subscriber, make_meter):
    return meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )


def _trail(claim: Claim) -> list[tuple[str, dict]]:
    events = DocumentEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Claim), object_id=str(claim.pk)
    ).order_by("at", "id")
    return [(event.event_type, event.parameters) for event in events]


def _process(claim: Claim) -> dict:
    instance = ProcessInstance.objects.get(claim=claim)
    clock = SlaClock.objects.get(claim=claim)
    return {
        "status": instance.status,
        "open": sorted(
            ProcessTask.objects.filter(instance=instance, completed_at__isnull=True).values_list(
                "element_id", flat=True
            )
        ),
        "timer_set": instance.next_timer_at is not None,
        "clock_running": clock.running_since is not None and not clock.paused,
        "clock_target": clock.target_seconds,
    }


@pytest.mark.django_db
def test_on_bill_filing_ends_where_filing_then_paying_does(make_claim, make_subscriber, make_meter):
    on_bill = make_claim(payment_method="next_bill")
    other = _another_installation(make_subscriber, make_meter)
    paid_later = make_claim(installation=other, payment_method="gateway")
    paid_later = claim_mark_paid(claim=paid_later, reference="desk-1")

    assert on_bill.status == Claim.objects.get(pk=on_bill.pk).status == ClaimStatus.PAID
    assert _process(on_bill) == _process(paid_later)
    assert _process(on_bill)["open"] == ["Task_schedule"]
    assert _process(on_bill)["clock_running"]
    assert ProcessInstance.objects.get(claim=on_bill).revision == 1  # written once
    assert BillCharge.objects.get(claim=on_bill).amount_rial == on_bill.total_fee


@pytest.mark.django_db
def test_on_bill_filing_keeps_every_step_in_the_audit_trail(make_claim):
    claim = make_claim(payment_method="next_bill")
    trail = _trail(claim)
    assert [kind for kind, _params in trail] == [
        "claim_filed",
        "claim_paid",
        "process_step",
        "process_step",
    ]
    start, message = trail[2][1], trail[3][1]
    assert (start["kind"], start["to"], start["end"]) == ("start", [], "")
    assert (message["kind"], message["step"]) == ("message", "fee_paid")
    assert message["data"] == {"reference": f"bill:{claim.tracking_code}"}
    assert len(message["to"]) == 1  # the test's scheduling step
    assert trail[1][1] == {"amount": claim.total_fee, "reference": f"bill:{claim.tracking_code}"}
    charge = BillCharge.objects.get(claim=claim)
    assert DocumentEvent.objects.filter(
        object_id=str(charge.pk), event_type="bill_charge_created"
    ).exists()


@pytest.mark.django_db
def test_a_taken_tracking_code_is_drawn_again(make_claim, make_subscriber, make_meter, monkeypatch):
    first = make_claim()
    fresh = tracking.generate()
    while fresh == first.tracking_code:
        fresh = tracking.generate()
    draws = iter([first.tracking_code, fresh])
    monkeypatch.setattr(tracking, "generate", lambda: next(draws))
    other = _another_installation(make_subscriber, make_meter)
    second = make_claim(installation=other)
    assert second.tracking_code == fresh
    assert Claim.objects.count() == 2
    assert Claim.objects.get(pk=second.pk).tracking_code == fresh
