"""Callbacks that the desk's settings (sites/settings/unfold.py) name by dotted path."""

from __future__ import annotations

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.doctype.notification.services import sms_held_count
from apps.meter_service.integrations.gateway.adapter import gateway_configured
from apps.meter_service.integrations.sms.adapter import sms_configured
from apps.meter_service.selectors import desk_overview, recent_events


def environment_callback(request) -> list[str | Promise] | None:
    """Label the desk with the site and, outside production, its kind."""
    if settings.DEBUG:
        return [_("Development"), "warning"]
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        return [_("Demo site"), "info"]
    return None


def _can_view(model: str):
    def check(request) -> bool:
        return request.user.has_perm(f"meter_service.view_{model}")

    check.__name__ = f"can_view_{model}"
    return check


can_view_subscriber = _can_view("subscriber")
can_view_meter = _can_view("meter")
can_view_meterinstallation = _can_view("meterinstallation")
can_view_counteroffice = _can_view("counteroffice")
can_view_importbatch = _can_view("importbatch")
can_view_documentevent = _can_view("documentevent")
can_view_apitoken = _can_view("apitoken")
can_view_claim = _can_view("claim")
can_view_feetariff = _can_view("feetariff")
can_view_agency = _can_view("agency")
can_view_payment = _can_view("payment")
can_view_billcharge = _can_view("billcharge")
can_view_billcorrection = _can_view("billcorrection")
can_view_billingadjustment = _can_view("billingadjustment")
can_view_messagetemplate = _can_view("messagetemplate")
can_view_notificationrule = _can_view("notificationrule")
can_view_smsmessage = _can_view("smsmessage")
can_view_inboundsms = _can_view("inboundsms")
can_view_outboxjob = _can_view("outboxjob")
can_view_processversion = _can_view("processversion")
can_view_rulesettingchange = _can_view("rulesettingchange")
can_view_customfield = _can_view("customfield")


def can_edit_process(request) -> bool:

    return permissions.may_edit_process(request.user)


can_view_slaclock = _can_view("slaclock")
can_view_holiday = _can_view("holiday")
can_view_gastariff = _can_view("gastariff")
can_view_bill = _can_view("bill")
can_view_workorder = _can_view("workorder")
can_view_inspection = _can_view("inspection")
can_view_testequipment = _can_view("testequipment")
can_view_complaint = _can_view("complaint")
can_view_cannedresponse = _can_view("cannedresponse")
can_view_knowledgearticle = _can_view("knowledgearticle")
can_view_complaintmail = _can_view("complaintmail")


def has_task_inbox(request) -> bool:
    """Whoever holds a role with a lane in the process has an inbox."""

    return bool(permissions.lanes_of(request.user))


def can_manage_scheduled_reports(request) -> bool:

    return permissions.may_manage_scheduled_reports(request.user)


def can_view_dashboards(request) -> bool:

    return permissions.can_view_dashboards(request.user)


def can_add_claim(request) -> bool:
    return request.user.has_perm("meter_service.add_claim")


def can_file_phone_claim(request) -> bool:
    return request.user.has_perm("meter_service.file_phone_claim")


def can_add_complaint(request) -> bool:
    return request.user.has_perm("meter_service.add_complaint")


def can_view_complaint_topics(request) -> bool:
    return request.user.has_perm("helpdesk.view_queue")


def can_view_users(request) -> bool:
    return request.user.has_perm("auth.view_user")


def can_view_groups(request) -> bool:
    return request.user.has_perm("auth.view_group")


def sms_provider_warning() -> str | None:
    """What staff are told while the site names no SMS provider (messages are held)."""

    if sms_configured():
        return None
    return gettext(
        "No SMS provider is configured: text messages to subscribers (sign-in codes "
        "included) are held and not sent. %(held)s messages are waiting. Name the provider "
        'under "sms" in the site\'s site_config.json; held messages go out once it is set.'
    ) % {"held": sms_held_count()}


def provider_warnings() -> list[str]:
    """Missing providers, shown to staff on the desk's home page."""

    warnings = []
    sms = sms_provider_warning()
    if sms:
        warnings.append(sms)
    if not gateway_configured():
        warnings.append(
            gettext(
                "No payment gateway is configured: subscribers cannot pay online. Name the "
                'gateway under "gateway" in the site\'s site_config.json.'
            )
        )
    return warnings


def dashboard_callback(request, context: dict) -> dict:
    """Fill the desk's home page with the figures the user's role may see."""

    context["provider_warnings"] = provider_warnings()
    context["overview"] = desk_overview(user=request.user)
    context["recent_events"] = recent_events(user=request.user)
    return context
