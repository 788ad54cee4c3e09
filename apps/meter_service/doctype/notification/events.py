"""Audit events of message templates and SMS messages."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.types import Actor


class NotificationEvents(models.TextChoices):
    """The audit events of notification documents, with their names in the interface."""

    MESSAGE_TEMPLATE_CREATED = "message_template_created", _("Message template added")
    MESSAGE_TEMPLATE_UPDATED = "message_template_updated", _("Message template changed")
    SMS_RETRIED = "sms_retried", _("SMS sent again")
    NOTIFICATION_RULE_CREATED = "notification_rule_created", _("Notification rule added")
    NOTIFICATION_RULE_UPDATED = "notification_rule_updated", _("Notification rule changed")


def message_template_created_event(*, template, actor: Actor) -> None:
    record_event(
        document=template, event_type=NotificationEvents.MESSAGE_TEMPLATE_CREATED, actor=actor
    )


def message_template_updated_event(*, template, actor: Actor, changes: dict) -> None:
    record_event(
        document=template,
        event_type=NotificationEvents.MESSAGE_TEMPLATE_UPDATED,
        actor=actor,
        parameters={"changes": changes},
    )


def sms_retried_event(*, message, actor: Actor) -> None:
    record_event(
        document=message,
        event_type=NotificationEvents.SMS_RETRIED,
        actor=actor,
        parameters={"attempts": message.attempts, "last_error": message.last_error},
    )


def notification_rule_created_event(*, rule, actor: Actor) -> None:
    record_event(
        document=rule, event_type=NotificationEvents.NOTIFICATION_RULE_CREATED, actor=actor
    )


def notification_rule_updated_event(*, rule, actor: Actor, changes: dict) -> None:
    record_event(
        document=rule,
        event_type=NotificationEvents.NOTIFICATION_RULE_UPDATED,
        actor=actor,
        parameters={"changes": changes},
    )
