"""The desk's look and navigation (django-unfold)."""

from django.templatetags.static import static
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


def _link(model: str) -> object:
    return reverse_lazy(f"admin:meter_service_{model}_changelist")


def _perm(model: str) -> str:
    return f"apps.meter_service.desk.can_view_{model}"


UNFOLD = {
    "SITE_TITLE": _("Meter test service"),
    "SITE_HEADER": _("Meter test service"),
    "SITE_SUBHEADER": _("Gas company desk"),
    "SITE_URL": "/",
    "SITE_SYMBOL": "speed",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "SHOW_LANGUAGES": True,
    "ENVIRONMENT": "apps.meter_service.desk.environment_callback",
    "DASHBOARD_CALLBACK": "apps.meter_service.desk.dashboard_callback",
    # The portal's icon (a file: the Content-Security-Policy takes no data: icon); without
    # one the browser asks for /favicon.ico, which the site does not have.
    "SITE_FAVICONS": [
        {
            "rel": "icon",
            "type": "image/svg+xml",
            "href": lambda request: static("meter_service/img/favicon.svg"),
        },
    ],
    "STYLES": [
        lambda request: static("meter_service/css/fonts.css"),
        lambda request: static("vendor/jalalidatepicker/jalalidatepicker.min.css"),
        lambda request: static("meter_service/css/desk.css"),
    ],
    # The Jalali calendar of the date inputs (npm package @majidh1/jalalidatepicker).
    "SCRIPTS": [
        lambda request: static("vendor/jalalidatepicker/jalalidatepicker.min.js"),
        lambda request: static("meter_service/js/jalali-picker.js"),
    ],
    "COLORS": {
        # A calm utility blue: primary buttons, links and the active sidebar item.
        "primary": {
            "50": "239 246 255",
            "100": "219 234 254",
            "200": "191 219 254",
            "300": "147 197 253",
            "400": "96 165 250",
            "500": "37 99 235",
            "600": "29 78 216",
            "700": "30 64 175",
            "800": "30 58 138",
            "900": "23 37 84",
            "950": "15 23 42",
        },
    },
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        "navigation": [
            {
                "title": _("Reports"),
                "separator": True,
                "items": [
                    {
                        "title": _("Service dashboard"),
                        "icon": "monitoring",
                        "link": reverse_lazy("dashboards:page"),
                        "permission": "apps.meter_service.desk.can_view_dashboards",
                    },
                    {
                        "title": _("Scheduled reports"),
                        "icon": "schedule_send",
                        "link": _link("scheduledreport"),
                        "permission": "apps.meter_service.desk.can_manage_scheduled_reports",
                    },
                ],
            },
            {
                "title": _("Meter test claims"),
                "separator": True,
                "items": [
                    {
                        "title": _("Task inbox"),
                        "icon": "inbox",
                        "link": _link("processtask"),
                        "permission": "apps.meter_service.desk.has_task_inbox",
                    },
                    {
                        "title": _("Claims"),
                        "icon": "assignment",
                        "link": _link("claim"),
                        "permission": _perm("claim"),
                    },
                    {
                        "title": _("File an in-person claim"),
                        "icon": "post_add",
                        "link": reverse_lazy("admin:meter_service_claim_intake"),
                        "permission": "apps.meter_service.desk.can_add_claim",
                    },
                    {
                        "title": _("File a claim by phone"),
                        "icon": "call",
                        "link": reverse_lazy("admin:meter_service_claim_phone"),
                        "permission": "apps.meter_service.desk.can_file_phone_claim",
                    },
                    {
                        "title": _("Work orders"),
                        "icon": "construction",
                        "link": _link("workorder"),
                        "permission": _perm("workorder"),
                    },
                    {
                        "title": _("Meter tests"),
                        "icon": "labs",
                        "link": _link("inspection"),
                        "permission": _perm("inspection"),
                    },
                    {
                        "title": _("Payments"),
                        "icon": "credit_card",
                        "link": _link("payment"),
                        "permission": _perm("payment"),
                    },
                    {
                        "title": _("Charges to the next bill"),
                        "icon": "receipt",
                        "link": _link("billcharge"),
                        "permission": _perm("billcharge"),
                    },
                    {
                        "title": _("Bill corrections"),
                        "icon": "calculate",
                        "link": _link("billcorrection"),
                        "permission": _perm("billcorrection"),
                    },
                    {
                        "title": _("Billing adjustments"),
                        "icon": "request_quote",
                        "link": _link("billingadjustment"),
                        "permission": _perm("billingadjustment"),
                    },
                    {
                        "title": _("Fee tariffs"),
                        "icon": "payments",
                        "link": _link("feetariff"),
                        "permission": _perm("feetariff"),
                    },
                    {
                        "title": _("Gas tariffs"),
                        "icon": "local_fire_department",
                        "link": _link("gastariff"),
                        "permission": _perm("gastariff"),
                    },
                    {
                        "title": _("Gas bills"),
                        "icon": "request_quote",
                        "link": _link("bill"),
                        "permission": _perm("bill"),
                    },
                    {
                        "title": _("Agencies"),
                        "icon": "account_balance",
                        "link": _link("agency"),
                        "permission": _perm("agency"),
                    },
                ],
            },
            {
                "title": _("Complaints"),
                "separator": True,
                "items": [
                    {
                        "title": _("Complaints"),
                        "icon": "support_agent",
                        "link": _link("complaint"),
                        "permission": _perm("complaint"),
                    },
                    {
                        "title": _("File a complaint"),
                        "icon": "add_call",
                        "link": reverse_lazy("admin:meter_service_complaint_file"),
                        "permission": "apps.meter_service.desk.can_add_complaint",
                    },
                    {
                        "title": _("Complaint topics"),
                        "icon": "topic",
                        "link": reverse_lazy("admin:helpdesk_queue_changelist"),
                        "permission": "apps.meter_service.desk.can_view_complaint_topics",
                    },
                    {
                        "title": _("Canned responses"),
                        "icon": "quickreply",
                        "link": _link("cannedresponse"),
                        "permission": _perm("cannedresponse"),
                    },
                    {
                        "title": _("Help articles"),
                        "icon": "help_center",
                        "link": _link("knowledgearticle"),
                        "permission": _perm("knowledgearticle"),
                    },
                    {
                        "title": _("Complaint emails"),
                        "icon": "mail",
                        "link": _link("complaintmail"),
                        "permission": _perm("complaintmail"),
                    },
                ],
            },
            {
                "title": _("Process"),
                "separator": True,
                "items": [
                    {
                        "title": _("Process versions"),
                        "icon": "account_tree",
                        "link": _link("processversion"),
                        "permission": _perm("processversion"),
                    },
                    {
                        "title": _("Process studio"),
                        "icon": "design_services",
                        "link": reverse_lazy("admin:meter_service_processversion_studio_active"),
                        "permission": "apps.meter_service.desk.can_edit_process",
                    },
                    {
                        "title": _("Service-level clocks"),
                        "icon": "timer",
                        "link": _link("slaclock"),
                        "permission": _perm("slaclock"),
                    },
                    {
                        "title": _("Holidays"),
                        "icon": "event_busy",
                        "link": _link("holiday"),
                        "permission": _perm("holiday"),
                    },
                    {
                        "title": _("Rule settings"),
                        "icon": "tune",
                        "link": _link("rulesettingchange"),
                        "permission": _perm("rulesettingchange"),
                    },
                    {
                        "title": _("Custom fields"),
                        "icon": "dynamic_form",
                        "link": _link("customfield"),
                        "permission": _perm("customfield"),
                    },
                    {
                        "title": _("Flow chart (public)"),
                        "icon": "schema",
                        "link": "/process/",
                    },
                ],
            },
            {
                "title": _("Notifications"),
                "separator": True,
                "items": [
                    {
                        "title": _("Notification rules"),
                        "icon": "notifications_active",
                        "link": _link("notificationrule"),
                        "permission": _perm("notificationrule"),
                    },
                    {
                        "title": _("Message templates"),
                        "icon": "sms",
                        "link": _link("messagetemplate"),
                        "permission": _perm("messagetemplate"),
                    },
                    {
                        "title": _("SMS log"),
                        "icon": "outbox",
                        "link": _link("smsmessage"),
                        "permission": _perm("smsmessage"),
                    },
                    {
                        "title": _("Texts to the short code"),
                        "icon": "move_to_inbox",
                        "link": _link("inboundsms"),
                        "permission": _perm("inboundsms"),
                    },
                    {
                        "title": _("Undelivered messages and jobs"),
                        "icon": "sync_problem",
                        "link": _link("outboxjob"),
                        "permission": _perm("outboxjob"),
                    },
                ],
            },
            {
                "title": _("Master data"),
                "separator": True,
                "items": [
                    {
                        "title": _("Subscribers"),
                        "icon": "person",
                        "link": _link("subscriber"),
                        "permission": _perm("subscriber"),
                    },
                    {
                        "title": _("Meters"),
                        "icon": "speed",
                        "link": _link("meter"),
                        "permission": _perm("meter"),
                    },
                    {
                        "title": _("Meter installations"),
                        "icon": "history",
                        "link": _link("meterinstallation"),
                        "permission": _perm("meterinstallation"),
                    },
                    {
                        "title": _("Test equipment"),
                        "icon": "precision_manufacturing",
                        "link": _link("testequipment"),
                        "permission": _perm("testequipment"),
                    },
                    {
                        "title": _("Counter offices"),
                        "icon": "storefront",
                        "link": _link("counteroffice"),
                        "permission": _perm("counteroffice"),
                    },
                    {
                        "title": _("Imports"),
                        "icon": "upload_file",
                        "link": _link("importbatch"),
                        "permission": _perm("importbatch"),
                    },
                ],
            },
            {
                "title": _("Administration"),
                "separator": True,
                "items": [
                    {
                        "title": _("Users"),
                        "icon": "manage_accounts",
                        "link": reverse_lazy("admin:auth_user_changelist"),
                        "permission": "apps.meter_service.desk.can_view_users",
                    },
                    {
                        "title": _("Roles"),
                        "icon": "badge",
                        "link": reverse_lazy("admin:auth_group_changelist"),
                        "permission": "apps.meter_service.desk.can_view_groups",
                    },
                    {
                        "title": _("API tokens"),
                        "icon": "key",
                        "link": _link("apitoken"),
                        "permission": _perm("apitoken"),
                    },
                    {
                        "title": _("Two-factor sign-in"),
                        "icon": "phonelink_lock",
                        "link": reverse_lazy("admin:desk_two_factor"),
                    },
                    {
                        "title": _("Audit trail"),
                        "icon": "receipt_long",
                        "link": _link("documentevent"),
                        "permission": _perm("documentevent"),
                    },
                ],
            },
        ],
    },
}
