"""Django loads models from here; each document type keeps its own in doctype/<name>/."""

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.dashboards.models import (
    DashboardDayFigure,
    DashboardRollup,
    DashboardServiceTime,
    DashboardStaleDay,
)
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.api_token.models import ApiToken
from apps.meter_service.doctype.bill.models import Bill
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint, ComplaintChannel, ComplaintMail
from apps.meter_service.doctype.correction.models import (
    BillCorrection,
    BillingAdjustment,
    CorrectionPeriod,
    CorrectionPiece,
)
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.custom_field.models import CustomField
from apps.meter_service.doctype.fee_tariff.models import FeeTariff
from apps.meter_service.doctype.gas_tariff.models import GasTariff, GasTariffBlock
from apps.meter_service.doctype.import_batch.models import ImportBatch
from apps.meter_service.doctype.inspection.models import (
    Inspection,
    InspectionPhoto,
    TestEquipment,
    TestPoint,
)
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.notification.models import (
    InboundSms,
    MessageTemplate,
    SmsMessage,
)
from apps.meter_service.doctype.otp.models import OtpChallenge
from apps.meter_service.doctype.outbox.models import OutboxJob
from apps.meter_service.doctype.payment.models import BillCharge, Payment
from apps.meter_service.doctype.printout.models import StoredPrintout
from apps.meter_service.doctype.rule_setting.models import RuleSettingChange
from apps.meter_service.doctype.saved_list.models import (
    SavedList,
    ScheduledReport,
    ScheduledReportDelivery,
)
from apps.meter_service.doctype.sla.models import Holiday, SlaClock
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.work_order.models import WorkOrder, WorkOrderPhoto
from apps.meter_service.engine.models import ProcessInstance, ProcessTask, ProcessVersion
from apps.meter_service.limits.models import RateCount

__all__ = [
    "Agency",
    "ApiToken",
    "Bill",
    "BillCharge",
    "BillCorrection",
    "BillingAdjustment",
    "Claim",
    "Complaint",
    "ComplaintChannel",
    "ComplaintMail",
    "CorrectionPeriod",
    "CorrectionPiece",
    "CounterOffice",
    "CustomField",
    "DashboardDayFigure",
    "DashboardRollup",
    "DashboardServiceTime",
    "DashboardStaleDay",
    "DocumentEvent",
    "FeeTariff",
    "GasTariff",
    "GasTariffBlock",
    "Holiday",
    "ImportBatch",
    "InboundSms",
    "Inspection",
    "InspectionPhoto",
    "KnowledgeArticle",
    "MessageTemplate",
    "Meter",
    "MeterInstallation",
    "OtpChallenge",
    "OutboxJob",
    "Payment",
    "ProcessInstance",
    "ProcessTask",
    "ProcessVersion",
    "RateCount",
    "RuleSettingChange",
    "SavedList",
    "ScheduledReport",
    "ScheduledReportDelivery",
    "SlaClock",
    "SmsMessage",
    "StoredPrintout",
    "Subscriber",
    "TestEquipment",
    "TestPoint",
    "WorkOrder",
    "WorkOrderPhoto",
]
