"""Who sees which payments and charges: whoever may see the claim."""

from __future__ import annotations

from apps.meter_service.doctype.payment import selectors, services
from apps.meter_service.doctype.subscriber.services import subscriber_update
from apps.meter_service.permissions import Role


def test_payments_follow_the_claims_record_rule(make_claim, make_user, make_subscriber):
    # given: a paid claim of subscriber A
    claim = make_claim(channel="in_person", payment_method="in_person")
    payment = services.payment_record_in_person(
        claim=claim, actor=make_user(Role.SERVICE_DESK_CLERK)
    )
    owner, stranger = make_user(Role.SUBSCRIBER), make_user(Role.SUBSCRIBER)
    subscriber_update(subscriber=claim.subscriber, user=owner)
    subscriber_update(subscriber=make_subscriber(), user=stranger)
    # then
    assert list(selectors.payment_list(user=owner)) == [payment]
    assert list(selectors.payment_list(user=stranger)) == []
    assert list(selectors.payment_list(user=make_user(Role.AGENCY_CLIENT))) == []
    assert list(selectors.payment_list(user=make_user(Role.BILLING_OFFICER))) == [payment]
    assert selectors.payment_paid_for_claim(claim=claim) == payment


def test_charges_follow_the_claims_record_rule(make_claim, make_user):
    claim = make_claim(payment_method="next_bill")
    owner = make_user(Role.SUBSCRIBER)
    subscriber_update(subscriber=claim.subscriber, user=owner)
    assert [c.claim for c in selectors.bill_charge_list(user=owner)] == [claim]
    assert list(selectors.bill_charge_list(user=make_user(Role.SUBSCRIBER))) == []
    row = selectors.bill_charge_row(claim.bill_charge)
    assert row["tracking_code"] in row["description"]
