"""Reads of subscriber records."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.core.identifiers import SUBSCRIPTION_NUMBER_MAX_LENGTH as SUBSCRIPTION_WIDTH
from apps.meter_service.core.identifiers import SubscriptionKey
from apps.meter_service.core.queries import unique_or_none
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.rules import caller_matches


def subscriber_list(*, user: Actor) -> QuerySet[Subscriber]:
    """Return the subscribers the user may see."""
    return permissions.scope(user, Subscriber.objects.all())


def subscriber_by_bill_and_national_id(*, bill_id: str, national_id: str) -> Subscriber | None:
    """Return the subscriber a walk-in person identifies with bill ID and national ID."""
    return unique_or_none(Subscriber.objects.filter(bill_id=bill_id, national_id=national_id))


def subscriber_by_key(
    key: SubscriptionKey, *, queryset: QuerySet[Subscriber] | None = None
) -> Subscriber | None:
    """Return the subscriber a "subscription number or bill ID" input names, or None.

    `key` comes from identifiers.normalize_subscription_key (or a SubscriptionKeyField). A
    subscription number is looked up first: it is what fewer digits usually are. Numbers
    stored before they were normalised may keep leading zeros; those match too.
    """
    queryset = Subscriber.objects.all() if queryset is None else queryset
    if key.subscription_number:
        number = key.subscription_number
        # The number and its zero-padded forms: a lookup on the unique index, not a scan.
        forms = [number.zfill(width) for width in range(len(number), SUBSCRIPTION_WIDTH + 1)]
        found = queryset.filter(subscription_number__in=forms).order_by("pk").first()
        if found is not None:
            return found
    if key.bill_id:
        return queryset.filter(bill_id=key.bill_id).first()
    return None


def subscriber_by_number(
    number: str, *, queryset: QuerySet[Subscriber] | None = None
) -> Subscriber | None:
    """Return the subscriber with this (normalised) subscription number, or None."""
    return subscriber_by_key(SubscriptionKey(number, None), queryset=queryset)


def subscriber_for_caller(
    key: SubscriptionKey, *, national_id: str = "", national_legal_id: str = "", mobile: str = ""
) -> Subscriber | None:
    """Return the subscriber a caller (phone, IVR) identifies, or None.

    The caller names the subscription (subscription number or bill ID) and proves it with
    the holder's national ID (national legal ID for a business) or the mobile on file, as a
    walk-in does at a counter office. Both must belong to the same subscription: any other
    pair finds nobody, whichever part is wrong.
    """

    subscriber = subscriber_by_key(key)
    if subscriber is not None and caller_matches(
        subscriber, national_id=national_id, national_legal_id=national_legal_id, mobile=mobile
    ):
        return subscriber
    return None
