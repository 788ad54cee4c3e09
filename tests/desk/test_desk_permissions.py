"""Every role against every desk page: the permission matrix of the staff desk."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from apps.meter_service import permissions
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.complaint.models import ComplaintMail
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.custom_field.services import custom_field_create
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation
from apps.meter_service.doctype.notification.models import NotificationRule
from apps.meter_service.doctype.saved_list.models import ScheduledReport
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.list_tools import ListToolsMixin
from apps.meter_service.permissions import Role
from apps.meter_service.sites import staff_site

MASTER = {"subscriber", "meter", "meterinstallation", "counteroffice"}
FIELD_WORK = {"subscriber", "meter", "meterinstallation"}

# The policy, written out by hand: which kinds each desk role may view and add.
CLAIMS = {"claim"}
ALL_FEES = {"claim", "feetariff", "agency"}
CAN_VIEW: dict[str, set[str]] = {
    Role.SERVICE_DESK_CLERK: MASTER | {"claim", "feetariff"},
    Role.CALL_CENTRE_OPERATOR: CLAIMS,
    Role.TECHNICIAN: FIELD_WORK | CLAIMS,
    Role.EMERGENCY_CREW: FIELD_WORK | CLAIMS,
    Role.BILLING_OFFICER: FIELD_WORK | {"claim", "feetariff"},
    Role.COMPLAINTS_OFFICER: MASTER | CLAIMS,
    Role.SERVICE_MANAGER: MASTER | ALL_FEES | {"importbatch", "documentevent"},
    Role.SYSTEM_ADMIN: MASTER | ALL_FEES | {"importbatch", "documentevent", "user", "group"},
}
CAN_ADD: dict[str, set[str]] = {
    Role.SERVICE_DESK_CLERK: {"subscriber", "claim"},
    Role.CALL_CENTRE_OPERATOR: set(),  # files by phone only (below), not in person
    Role.TECHNICIAN: set(),
    Role.EMERGENCY_CREW: {"meter", "meterinstallation"},
    Role.BILLING_OFFICER: set(),
    Role.COMPLAINTS_OFFICER: set(),
    Role.SERVICE_MANAGER: {"importbatch", "feetariff"},
    Role.SYSTEM_ADMIN: MASTER | ALL_FEES | {"importbatch", "user"},
}
OUTSIDE_ROLES = [Role.SUBSCRIBER, Role.COUNTER_OFFICE_OPERATOR, Role.AGENCY_CLIENT]
PAGES = ["subscriber", "meter", "meterinstallation", "counteroffice", "importbatch"]
PAGES += ["documentevent", "user", "group", "claim", "feetariff", "agency"]
# Gas tariffs and bills: every desk role views them; billing and the manager manage them.
for _role in CAN_VIEW:
    CAN_VIEW[_role] |= {"gastariff", "bill"}
for _role in (Role.BILLING_OFFICER, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN):
    CAN_ADD[_role] |= {"gastariff", "bill"}
PAGES += ["gastariff", "bill"]
# Complaints: the desk clerk and the call centre view and file them, complaints officers and
# the manager handle them; topics (helpdesk queues) are seen by those who handle complaints.
_FILERS = (Role.SERVICE_DESK_CLERK, Role.CALL_CENTRE_OPERATOR)
for _role in (*_FILERS, Role.COMPLAINTS_OFFICER, Role.SERVICE_MANAGER):
    CAN_VIEW[_role] |= {"complaint"}
    CAN_ADD[_role] |= {"complaint"}
for _role in (Role.COMPLAINTS_OFFICER, Role.SERVICE_MANAGER):
    CAN_VIEW[_role] |= {"queue"}
CAN_VIEW[Role.SYSTEM_ADMIN] |= {"complaint", "queue"}
CAN_ADD[Role.SYSTEM_ADMIN] |= {"complaint", "queue"}
PAGES += ["complaint", "queue"]
# Canned responses: officers use them (and see the list); the manager and the administrator
# write them.
CAN_VIEW[Role.COMPLAINTS_OFFICER] |= {"cannedresponse"}
for _role in (Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN):
    CAN_VIEW[_role] |= {"cannedresponse"}
    CAN_ADD[_role] |= {"cannedresponse"}
PAGES += ["cannedresponse"]
# Notification rules: the service manager and the system administrator set them.
for _role in (Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN):
    CAN_VIEW[_role] |= {"notificationrule"}
    CAN_ADD[_role] |= {"notificationrule"}
PAGES += ["notificationrule"]
# Scheduled reports (lists mailed on a schedule): the manager and the administrator.
for _role in (Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN):
    CAN_VIEW[_role] |= {"scheduledreport"}
    CAN_ADD[_role] |= {"scheduledreport"}
PAGES += ["scheduledreport"]
# Custom fields: the service manager and the system administrator define them.
for _role in (Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN):
    CAN_VIEW[_role] |= {"customfield"}
    CAN_ADD[_role] |= {"customfield"}
PAGES += ["customfield"]
# Help articles: those who handle complaints write them; the complaint mail log (read only,
# nobody adds to it) is theirs to read.
for _role in (Role.COMPLAINTS_OFFICER, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN):
    CAN_VIEW[_role] |= {"knowledgearticle", "complaintmail"}
    CAN_ADD[_role] |= {"knowledgearticle"}
PAGES += ["knowledgearticle", "complaintmail"]


def billing_documents(subscriber) -> dict:
    """A gas tariff and a bill of the subscriber, for their change pages."""
    import datetime

    from apps.meter_service.core.identifiers import build_payment_id
    from apps.meter_service.doctype.bill.services import bill_upsert
    from apps.meter_service.doctype.gas_tariff.services import gas_tariff_create

    tariff = gas_tariff_create(
        name="warm",
        tariff_group="household",
        season="warm",
        effective_from=datetime.date(2024, 4, 4),
        blocks=[(0, None, 1081)],
    )
    bill, _result = bill_upsert(
        data={
            "bill_id": subscriber.bill_id,
            "payment_id": build_payment_id(subscriber.bill_id, 136_000, 3, 1),
            "period_start": datetime.date(2024, 3, 20),
            "period_end": datetime.date(2024, 5, 19),
            "previous_reading": 100,
            "current_reading": 220,
            "amount_rial": 136_620,
        },
        source="desk",
    )
    return {"gastariff": tariff, "bill": bill}


def _app(model: str) -> str:
    if model == "queue":
        return "helpdesk"
    return "auth" if model in {"user", "group"} else "meter_service"


def complaint_documents(claim) -> dict:
    """A complaint about the claim and its topic, for their change pages."""
    from helpdesk.models import Queue

    from apps.meter_service.doctype.complaint.services import complaint_file

    topic = Queue.objects.get(slug="meter-test")
    complaint = complaint_file(
        actor=None,
        channel="phone",
        topic=topic,
        title="شکایت",
        description="متن شکایت",
        claim=claim,
    )
    from apps.meter_service.doctype.complaint.models import CannedResponse

    canned = CannedResponse.objects.order_by("pk").first()
    mail = ComplaintMail.objects.create(
        message_id="<answer@gas.example>",
        direction="out",
        complaint=complaint,
        outcome="sent",
        created_at=complaint.filed_at,
    )
    article = KnowledgeArticle.objects.create(question_fa="پرسش", answer_fa="پاسخ", topic=topic)
    return {
        "complaint": complaint,
        "queue": topic,
        "cannedresponse": canned,
        "complaintmail": mail,
        "knowledgearticle": article,
    }


@pytest.fixture
def documents(installed, make_office, make_claim, tariffs):
    """One document of each kind, for the change pages."""
    from apps.meter_service.doctype.agency.models import Agency

    office = make_office()
    claim = make_claim()
    return {
        "claim": claim,
        **complaint_documents(claim),
        "feetariff": tariffs["test"],
        "agency": Agency.objects.create(code="ivr", name="IVR"),
        "subscriber": installed.subscriber,
        "meter": installed.meter,
        "meterinstallation": installed,
        "counteroffice": office,
        "documentevent": DocumentEvent.objects.first(),
        "user": User.objects.create_user("someone"),
        "group": Group.objects.get(name=Role.TECHNICIAN),
        **billing_documents(installed.subscriber),
        "notificationrule": NotificationRule.objects.create(
            name="قاعده", event="claim_paid", body_fa="پرداخت شد {tracking_code}"
        ),
        "scheduledreport": ScheduledReport.objects.create(name="daily"),
        "customfield": custom_field_create(
            actor=None,
            target="claim",
            key="visited",
            field_type="boolean",
            label_fa="بازدید شد",
            label_en="Visited",
        ),
    }


@pytest.mark.parametrize("role", sorted(CAN_VIEW))
def test_desk_role_pages(client, make_user, documents, role):
    client.force_login(make_user(role))
    assert client.get(reverse("admin:index")).status_code == 200
    for model in PAGES:
        app = _app(model)
        listing = client.get(reverse(f"admin:{app}_{model}_changelist"))
        assert listing.status_code == (200 if model in CAN_VIEW[role] else 403), (model, "list")
        add_url = reverse(f"admin:{app}_{model}_add")
        if model == "claim":  # claims are added through the intake page
            add_url = reverse("admin:meter_service_claim_intake")
        if model == "complaint":  # and complaints through the filing page
            add_url = reverse("admin:meter_service_complaint_file")
        adding = client.get(add_url)
        assert adding.status_code == (200 if model in CAN_ADD[role] else 403), (model, "add")
        if model in documents:
            url = reverse(f"admin:{app}_{model}_change", args=[documents[model].pk])
            expected = 200 if model in CAN_VIEW[role] else 403
            assert client.get(url).status_code == expected, (model, "change")


# Every list's export and saved views (list_tools.py): whoever may see the list, nobody else.
# (Those of DocumentAdmin and the audit trail; the users, groups, agencies, API tokens and the
# inbox have none.)
_WITH_TOOLS = {
    model._meta.model_name
    for model, model_admin in staff_site._registry.items()
    if isinstance(model_admin, ListToolsMixin)
}
LIST_TOOL_PAGES = [m for m in PAGES if m in _WITH_TOOLS]


@pytest.mark.parametrize("role", sorted(CAN_VIEW))
def test_desk_role_list_exports(client, make_user, documents, role):
    client.force_login(make_user(role))
    for model in LIST_TOOL_PAGES:
        expected = 200 if model in CAN_VIEW[role] else 403
        export = reverse(f"admin:{_app(model)}_{model}_list_export", args=["csv"])
        assert client.get(export).status_code == expected, (model, "export")
        columns = reverse(f"admin:{_app(model)}_{model}_list_columns")
        assert client.post(columns, {"reset": "1"}).status_code == (
            302 if expected == 200 else 403
        ), (model, "columns")


@pytest.mark.parametrize("role", OUTSIDE_ROLES)
def test_outside_roles_never_reach_the_desk(client, make_user, documents, role):
    user = make_user(role, is_staff=True)  # even a wrongly flagged account stays out
    client.force_login(user)
    login = reverse("admin:login")
    urls = [reverse("admin:index")]
    urls += [reverse(f"admin:{_app(m)}_{m}_changelist") for m in PAGES]
    urls += [reverse(f"admin:{_app(m)}_{m}_list_export", args=["csv"]) for m in LIST_TOOL_PAGES]
    urls += [reverse("admin:meter_service_subscriber_change", args=[documents["subscriber"].pk])]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url


def test_staff_flag_without_a_desk_role_is_refused(client, db):
    user = User.objects.create_user("flagged", password="x", is_staff=True)
    client.force_login(user)
    assert client.get(reverse("admin:index")).status_code == 302


def test_audit_trail_cannot_be_edited_even_by_admin(client, make_user, documents):
    client.force_login(make_user(Role.SYSTEM_ADMIN))
    event = documents["documentevent"]
    url = reverse("admin:meter_service_documentevent_change", args=[event.pk])
    response = client.post(url, {"event_type": "forged"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.event_type != "forged"


def test_every_staff_role_logs_in_with_a_password(client, make_user):
    for role in CAN_VIEW:
        user = make_user(role)
        response = client.post(
            reverse("admin:login"),
            {"username": user.username, "password": "test-pass-1403", "next": "/desk/"},
        )
        assert response.status_code == 302 and response["Location"] == "/desk/", role
        page = client.get("/desk/")
        assert page.status_code == 200
        assert 'dir="rtl"' in page.content.decode() and 'lang="fa"' in page.content.decode()
        client.logout()


def test_outside_role_login_is_refused_with_a_message(client, make_user):
    user = make_user(Role.SUBSCRIBER)
    response = client.post(
        reverse("admin:login"), {"username": user.username, "password": "test-pass-1403"}
    )
    assert response.status_code == 200  # the form again, with an error
    assert not response.wsgi_request.user.is_authenticated or "errornote" in response.text


@pytest.mark.parametrize(
    ("model", "count"),
    [(Subscriber, 1), (Meter, 1), (MeterInstallation, 1), (CounterOffice, 1)],
)
def test_staff_lists_show_every_record(client, make_user, documents, model, count):
    client.force_login(make_user(Role.SERVICE_MANAGER))
    name = model._meta.model_name
    response = client.get(reverse(f"admin:meter_service_{name}_changelist"))
    assert response.context["cl"].result_count == count


# Claims taken by phone: the call centre's own page; no other role files on that channel.
PHONE_FILERS = {Role.CALL_CENTRE_OPERATOR}


@pytest.mark.parametrize("role", sorted(CAN_VIEW))
def test_phone_claim_page_is_the_call_centres(client, make_user, role):
    client.force_login(make_user(role))
    response = client.get(reverse("admin:meter_service_claim_phone"))
    assert response.status_code == (200 if role in PHONE_FILERS else 403)
    menu = client.get(reverse("admin:index")).content.decode()
    assert (reverse("admin:meter_service_claim_phone") in menu) == (role in PHONE_FILERS)


@pytest.mark.parametrize("role", OUTSIDE_ROLES)
def test_outside_roles_never_reach_the_phone_page(client, make_user, role):
    client.force_login(make_user(role, is_staff=True))
    response = client.get(reverse("admin:meter_service_claim_phone"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# A document's custom values: whoever may change that kind of document fills them in the
# desk (inspections: their testers and the manager); the others see them read-only.
CUSTOM_VALUE_EDITORS = {
    "claim": {Role.SERVICE_DESK_CLERK, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN},
    "complaint": {Role.COMPLAINTS_OFFICER, Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN},
    "subscriber": {Role.SERVICE_DESK_CLERK, Role.SYSTEM_ADMIN},
}


INSPECTION_VALUE_EDITORS = {
    Role.TECHNICIAN,
    Role.EMERGENCY_CREW,
    Role.SERVICE_MANAGER,
    Role.SYSTEM_ADMIN,
}


@pytest.mark.parametrize("role", sorted(CAN_VIEW))
def test_custom_values_pages_by_role(client, make_user, documents, role):
    user = make_user(role)
    client.force_login(user)
    for target in ("claim", "complaint"):
        url = reverse(f"admin:meter_service_{target}_custom_values", args=[documents[target].pk])
        may = role in CUSTOM_VALUE_EDITORS[target]
        assert permissions.may_edit_custom_values(user, target) is may
        assert client.get(url).status_code == (200 if may else 403), target
    assert permissions.may_edit_custom_values(user, "subscriber") is (
        role in CUSTOM_VALUE_EDITORS["subscriber"]
    )
    assert permissions.may_edit_custom_values(user, "inspection") is (
        role in INSPECTION_VALUE_EDITORS
    )


@pytest.mark.parametrize("role", OUTSIDE_ROLES)
def test_outside_roles_never_reach_custom_fields(client, make_user, documents, role):
    user = make_user(role, is_staff=True)
    client.force_login(user)
    for target in ("claim", "complaint", "subscriber", "inspection"):
        assert not permissions.may_edit_custom_values(user, target)
    url = reverse("admin:meter_service_claim_custom_values", args=[documents["claim"].pk])
    assert client.get(url).status_code == 302
    assert client.get(reverse("admin:meter_service_customfield_changelist")).status_code == 302
