"""The registry of audit event types: every doctype's events enum (its events.py), and the
few recorded on no one doctype. The labels (audit/labels.py) are built from it, so a new
event type is named where it is recorded and shows translated everywhere at once."""

from __future__ import annotations

from django.db import models

from apps.meter_service.doctype.api_token.events import ApiTokenEvents
from apps.meter_service.doctype.bill.events import BillEvents
from apps.meter_service.doctype.claim.events import ClaimEvents
from apps.meter_service.doctype.complaint.events import ComplaintEvents
from apps.meter_service.doctype.correction.events import CorrectionEvents
from apps.meter_service.doctype.counter_office.events import CounterOfficeEvents
from apps.meter_service.doctype.fee_tariff.events import FeeTariffEvents
from apps.meter_service.doctype.gas_tariff.events import GasTariffEvents
from apps.meter_service.doctype.import_batch.events import ImportBatchEvents
from apps.meter_service.doctype.inspection.events import InspectionEvents
from apps.meter_service.doctype.meter.events import MeterEvents
from apps.meter_service.doctype.notification.events import NotificationEvents
from apps.meter_service.doctype.otp.events import OtpEvents
from apps.meter_service.doctype.payment.events import PaymentEvents
from apps.meter_service.doctype.process.events import ProcessEvents
from apps.meter_service.doctype.sla.events import SlaEvents
from apps.meter_service.doctype.subscriber.events import SubscriberEvents
from apps.meter_service.doctype.work_order.events import WorkOrderEvents
from apps.meter_service.staff_events import StaffEvents

# Each value appears in one enum only (tests/test_error_codes.py).
EVENT_ENUMS: tuple[type[models.TextChoices], ...] = (
    ApiTokenEvents,
    BillEvents,
    ClaimEvents,
    ComplaintEvents,
    CorrectionEvents,
    CounterOfficeEvents,
    FeeTariffEvents,
    GasTariffEvents,
    ImportBatchEvents,
    InspectionEvents,
    MeterEvents,
    NotificationEvents,
    OtpEvents,
    PaymentEvents,
    ProcessEvents,
    SlaEvents,
    SubscriberEvents,
    WorkOrderEvents,
    StaffEvents,
)


def event_types() -> dict[str, models.TextChoices]:
    """Every event type by its stored value."""
    return {member.value: member for enum in EVENT_ENUMS for member in enum}
