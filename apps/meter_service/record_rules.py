"""Record rules: which documents of each kind a user outside company staff may see.

`permissions.scope()` applies them; they are registered here, above the document types
whose models they filter, so `permissions` (used by every document type) imports none.
"""

from __future__ import annotations

from django.db.models import Q

from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.correction.models import BillCorrection, BillingAdjustment
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.payment.models import BillCharge, Payment
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.permissions import (
    Role,
    client_agency_ids,
    has_role,
    memberships,
    record_rule,
    roles_of,
    scope,
)


def install() -> None:
    """Register every record rule (apps.py, when the app is ready)."""

    @record_rule(Subscriber)
    def subscriber_rule(user, qs):
        if has_role(user, Role.SUBSCRIBER):
            return qs.filter(user=user)
        return qs.none()

    @record_rule(MeterInstallation)
    def installation_rule(user, qs):
        if has_role(user, Role.SUBSCRIBER):
            return qs.filter(subscriber__user=user)
        return qs.none()

    @record_rule(Meter)
    def meter_rule(user, qs):
        if has_role(user, Role.SUBSCRIBER):
            return qs.filter(installations__subscriber__user=user).distinct()
        return qs.none()

    def any_of(qs, conditions: list[Q]):
        if not conditions:
            return qs.none()
        visible = conditions[0]
        for condition in conditions[1:]:
            visible |= condition
        return qs.filter(visible)

    @record_rule(CounterOffice)
    def office_rule(user, qs):
        if has_role(user, Role.COUNTER_OFFICE_OPERATOR):
            return qs.filter(pk__in=memberships(user).offices)
        return qs.none()

    @record_rule(Claim)
    def claim_rule(user, qs):
        roles = roles_of(user)
        visible = []
        if Role.SUBSCRIBER in roles:
            visible.append(Q(subscriber__user=user))
        # The office and agency ids themselves, not joins through the many-to-many tables
        # (no duplicate rows) nor subqueries: with constants the database reads an office's
        # or agency's claims newest first from its index, a page at a time.
        if Role.COUNTER_OFFICE_OPERATOR in roles:
            visible.append(Q(counter_office__in=memberships(user).offices))
        if Role.AGENCY_CLIENT in roles:
            visible.append(Q(agency__in=memberships(user).agencies))
        return any_of(qs, visible)

    @record_rule(Complaint)
    def complaint_rule(user, qs):
        # Subscribers see the complaints about their subscriptions and those they filed; a
        # sending system (the national complaints system) the ones it sent.
        roles = roles_of(user)
        visible = []
        if Role.SUBSCRIBER in roles:
            visible.append(Q(subscriber__user=user) | Q(filed_by=user))
        if Role.AGENCY_CLIENT in roles:
            visible.append(Q(agency__in=memberships(user).agencies))
        return any_of(qs, visible)

    @record_rule(Agency)
    def agency_rule(user, qs):
        agency_ids = client_agency_ids(user)
        return qs.filter(pk__in=agency_ids) if agency_ids else qs.none()

    @record_rule(Payment)
    def payment_rule(user, qs):
        return qs.filter(claim__in=scope(user, Claim.objects.all()))

    @record_rule(BillCharge)
    def bill_charge_rule(user, qs):
        return qs.filter(claim__in=scope(user, Claim.objects.all()))

    @record_rule(BillCorrection)
    def correction_rule(user, qs):
        # A subscriber sees their claim's correction once it is approved, or closed with no
        # correction possible (the statement, with the reason).
        if has_role(user, Role.SUBSCRIBER):
            return qs.filter(claim__subscriber__user=user, status__in=["approved", "not_possible"])
        return qs.none()

    @record_rule(BillingAdjustment)
    def adjustment_rule(user, qs):
        return qs.none()  # the billing system's and the company's lines only

    @record_rule(Bill)
    def bill_rule(user, qs):
        # A subscriber sees the bills of their own subscriptions; no other outside role any.
        if has_role(user, Role.SUBSCRIBER):
            return qs.filter(subscriber__user=user)
        return qs.none()
