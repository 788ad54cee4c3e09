"""Form helpers for naming a subscription: one answer for every door that asks."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.identifiers import SubscriptionKey
from apps.meter_service.doctype.subscriber.error_codes import SubscriberErrorCode
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.selectors import subscriber_by_key

NO_SUBSCRIBER_MESSAGES = {
    "subscription_number": _("No subscriber has this subscription number."),
    "bill_id": _("No subscriber has this bill ID."),
    "either": _("No subscriber has this subscription number or bill ID."),
}


def subscriber_for_key(
    key: SubscriptionKey, *, queryset: QuerySet[Subscriber] | None = None
) -> Subscriber:
    """Return the subscriber a SubscriptionKeyField's value names, or raise ValidationError.

    The message names what was typed: a subscription number, a bill ID, or either (6 to 8
    digits can be both).
    """
    subscriber = subscriber_by_key(key, queryset=queryset)
    if subscriber is not None:
        return subscriber
    if key.subscription_number and key.bill_id:
        kind = "either"
    else:
        kind = "bill_id" if key.bill_id else "subscription_number"
    raise ValidationError(NO_SUBSCRIBER_MESSAGES[kind], code=SubscriberErrorCode.UNKNOWN_SUBSCRIBER)
