"""Audit events of meters and installations."""

from apps.meter_service.audit.events import record_event


def meter_installed_event(*, installation, actor) -> None:
    record_event(
        document=installation.meter,
        event_type="meter_installed",
        actor=actor,
        parameters={
            "subscription_number": installation.subscriber.subscription_number,
            "installed_on": installation.installed_on,
            "initial_reading": installation.initial_reading,
            "reason": installation.reason,
        },
    )


def meter_removed_event(*, installation, actor) -> None:
    record_event(
        document=installation.meter,
        event_type="meter_removed",
        actor=actor,
        parameters={
            "subscription_number": installation.subscriber.subscription_number,
            "removed_on": installation.removed_on,
            "final_reading": installation.final_reading,
        },
    )
