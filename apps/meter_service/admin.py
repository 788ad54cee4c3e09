"""Django loads admin modules from here; each document type keeps its own in doctype/<name>/."""

from apps.meter_service import auth_admin  # noqa: F401
from apps.meter_service.audit import admin as audit_admin  # noqa: F401
from apps.meter_service.doctype.agency import admin as agency_admin  # noqa: F401
from apps.meter_service.doctype.api_token import admin as api_token_admin  # noqa: F401
from apps.meter_service.doctype.bill import admin as bill_admin  # noqa: F401
from apps.meter_service.doctype.claim import admin as claim_admin  # noqa: F401
from apps.meter_service.doctype.complaint import admin as complaint_admin  # noqa: F401
from apps.meter_service.doctype.correction import admin as correction_admin  # noqa: F401
from apps.meter_service.doctype.counter_office import admin as counter_office_admin  # noqa: F401
from apps.meter_service.doctype.custom_field import admin as custom_field_admin  # noqa: F401
from apps.meter_service.doctype.fee_tariff import admin as fee_tariff_admin  # noqa: F401
from apps.meter_service.doctype.gas_tariff import admin as gas_tariff_admin  # noqa: F401
from apps.meter_service.doctype.import_batch import admin as import_batch_admin  # noqa: F401
from apps.meter_service.doctype.inspection import admin as inspection_admin  # noqa: F401
from apps.meter_service.doctype.knowledge_article import admin as knowledge_article_admin  # noqa: F401
from apps.meter_service.doctype.meter import admin as meter_admin  # noqa: F401
from apps.meter_service.doctype.notification import admin as notification_admin  # noqa: F401
from apps.meter_service.doctype.outbox import admin as outbox_admin  # noqa: F401
from apps.meter_service.doctype.payment import admin as payment_admin  # noqa: F401
from apps.meter_service.doctype.rule_setting import admin as rule_setting_admin  # noqa: F401
from apps.meter_service.doctype.saved_list import admin as saved_list_admin  # noqa: F401
from apps.meter_service.doctype.sla import admin as sla_admin  # noqa: F401
from apps.meter_service.doctype.subscriber import admin as subscriber_admin  # noqa: F401
from apps.meter_service.doctype.work_order import admin as work_order_admin  # noqa: F401
from apps.meter_service.engine import admin as process_admin  # noqa: F401
from apps.meter_service.engine import inbox as process_inbox  # noqa: F401
