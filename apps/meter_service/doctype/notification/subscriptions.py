"""What the notification doctype does when other document types publish events, and what
the outbox asks it about the SMS it carries."""

from __future__ import annotations

from apps.meter_service.core.domain_events import subscribe
from apps.meter_service.doctype.notification.services import (
    sms_give_up,
    sms_requeue_check,
    sms_tell_old_mobile,
)
from apps.meter_service.doctype.outbox import services as outbox
from apps.meter_service.doctype.subscriber.domain_events import MobileChanged


def _tell_old_mobile(event: MobileChanged) -> None:
    sms_tell_old_mobile(subscriber=event.subscriber, old_mobile=event.old_mobile)


def register() -> None:
    subscribe(MobileChanged, _tell_old_mobile)
    # An SMS rides on an outbox row: the outbox asks before re-sending it and says when it
    # gave up on it.
    outbox.on_requeue(sms_requeue_check)
    outbox.on_give_up(sms_give_up)
