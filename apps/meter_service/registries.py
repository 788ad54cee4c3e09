"""Registries that the lower layers keep and the layers above fill in, when the app is ready.

The audit trail names every event type, the API lists every error code and the claim's
public timeline leaves out the events that are staff's business; the document types and the
engine that define them sit above those modules, so this module, above them all, gathers
them (apps.py calls `register()`).
"""

from __future__ import annotations

from enum import StrEnum

from apps.meter_service import doctype
from apps.meter_service.audit import event_types
from apps.meter_service.core.error_codes import (
    ApiErrorCode,
    CommonErrorCode,
    IdentifierErrorCode,
    SiteErrorCode,
)
from apps.meter_service.doctype.api_token.events import ApiTokenEvents
from apps.meter_service.doctype.bill.events import BillEvents
from apps.meter_service.doctype.claim import timeline
from apps.meter_service.doctype.claim.events import ClaimEvents
from apps.meter_service.doctype.complaint.events import ComplaintEvents
from apps.meter_service.doctype.correction.events import CorrectionEvents
from apps.meter_service.doctype.counter_office.events import CounterOfficeEvents
from apps.meter_service.doctype.custom_field.events import CustomFieldEvents
from apps.meter_service.doctype.fee_tariff.events import FeeTariffEvents
from apps.meter_service.doctype.gas_tariff.events import GasTariffEvents
from apps.meter_service.doctype.import_batch.events import ImportBatchEvents
from apps.meter_service.doctype.inspection.events import InspectionEvents
from apps.meter_service.doctype.knowledge_article.events import KnowledgeArticleEvents
from apps.meter_service.doctype.meter.events import MeterEvents
from apps.meter_service.doctype.notification.events import NotificationEvents
from apps.meter_service.doctype.otp.events import OtpEvents
from apps.meter_service.doctype.payment.events import PaymentEvents
from apps.meter_service.doctype.process_steps import ProcessEvents
from apps.meter_service.doctype.rule_setting.events import RuleSettingEvents
from apps.meter_service.doctype.saved_list.events import SavedListEvents
from apps.meter_service.doctype.sla.events import SlaEvents
from apps.meter_service.doctype.subscriber.events import SubscriberEvents
from apps.meter_service.doctype.work_order.events import WorkOrderEvents
from apps.meter_service.staff_events import StaffEvents


def register() -> None:
    event_types.register(
        ApiTokenEvents,
        BillEvents,
        ClaimEvents,
        ComplaintEvents,
        CorrectionEvents,
        CounterOfficeEvents,
        CustomFieldEvents,
        FeeTariffEvents,
        GasTariffEvents,
        ImportBatchEvents,
        InspectionEvents,
        KnowledgeArticleEvents,
        MeterEvents,
        NotificationEvents,
        OtpEvents,
        PaymentEvents,
        ProcessEvents,
        RuleSettingEvents,
        SavedListEvents,
        SlaEvents,
        SubscriberEvents,
        WorkOrderEvents,
        StaffEvents,
    )
    # The SLA's warnings and escalations are recorded on the claim for staff, not for the
    # subscriber who reads its timeline.
    timeline.keep_from_subscribers(SlaEvents.SLA_WARNED, SlaEvents.SLA_ESCALATED)


def error_code_enums() -> list[type[StrEnum]]:
    """Every error code enum of the app: core's, the engine's, then each doctype's
    error_codes.py."""
    import importlib
    import importlib.util
    import pkgutil

    enums: list[type[StrEnum]] = [CommonErrorCode, ApiErrorCode, IdentifierErrorCode, SiteErrorCode]
    names = ["apps.meter_service.engine.error_codes"] + [
        f"{doctype.__name__}.{info.name}.error_codes"
        for info in sorted(pkgutil.iter_modules(doctype.__path__), key=lambda info: info.name)
        if info.ispkg
    ]
    for name in names:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        enums += [
            value
            for value in vars(module).values()
            if isinstance(value, type)
            and issubclass(value, StrEnum)
            and value.__module__ == module.__name__
        ]
    return enums


def error_code_values() -> list[str]:
    """Every error code the app defines, sorted (the API schema lists them)."""
    return sorted(member.value for enum in error_code_enums() for member in enum)
