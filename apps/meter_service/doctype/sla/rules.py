"""Service-level rules: the target, the thresholds and the state they give. No writes."""

from __future__ import annotations

from apps.meter_service.doctype.claim.rules import rule_setting
from apps.meter_service.doctype.sla.models import SlaState

# The role told when a claim breaches its target.
ESCALATION_ROLE = "service_manager"


def target_seconds() -> int:
    """Return the target for a clock started now, in working seconds (SLA_TARGET_HOURS)."""
    hours = float(rule_setting("SLA_TARGET_HOURS"))
    if hours <= 0:
        raise ValueError("SLA_TARGET_HOURS must be positive")
    return round(hours * 3600)


def at_risk_percent() -> float:
    """Return the share of the target, in percent, from which a claim is at risk."""
    return float(rule_setting("SLA_AT_RISK_PERCENT"))


def state_for(*, worked_seconds: int, target_seconds: int, at_risk_percent: float) -> str:
    """Return the state for working time used against a target (integer-safe comparisons)."""
    if worked_seconds >= target_seconds:
        return SlaState.BREACHED
    if worked_seconds * 100 >= target_seconds * at_risk_percent:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK
