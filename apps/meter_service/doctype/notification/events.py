"""Audit events of message templates and SMS messages."""

from apps.meter_service.audit.events import record_event


def message_template_created_event(*, template, actor) -> None:
    record_event(document=template, event_type="message_template_created", actor=actor)


def message_template_updated_event(*, template, actor, changes: dict) -> None:
    record_event(
        document=template,
        event_type="message_template_updated",
        actor=actor,
        parameters={"changes": changes},
    )


def sms_retried_event(*, message, actor) -> None:
    record_event(
        document=message,
        event_type="sms_retried",
        actor=actor,
        parameters={"attempts": message.attempts, "last_error": message.last_error},
    )
