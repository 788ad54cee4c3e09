"""Every desk list's tools: saved views, column choice, CSV/XLSX exports, and their limits."""

from __future__ import annotations

import csv
import datetime
import io
from urllib.parse import urlencode

import pytest
from django.test import RequestFactory
from django.urls import reverse
from openpyxl import load_workbook

from apps.meter_service import list_tools
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import build_payment_id
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.claim.services import claim_file
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.saved_list import rules
from apps.meter_service.doctype.saved_list.events import SavedListEvents
from apps.meter_service.doctype.saved_list.models import SavedList
from apps.meter_service.permissions import Role
from apps.meter_service.sites import staff_site
from tests.conftest import claim_fields

LIST = "admin:meter_service_counteroffice_changelist"


def _url(name: str, *args) -> str:
    return reverse(f"admin:meter_service_counteroffice_{name}", args=args)


@pytest.fixture
def offices(make_office):
    """Three offices; one whose name would run as a formula in a spreadsheet."""
    return [
        make_office(code="101", name='=HYPERLINK("http://x")', city="قزوین"),
        make_office(code="102", name="دفتر مرکزی", city="قزوین"),
        make_office(code="103", name="دفتر تاکستان", city="تاکستان"),
    ]


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert body.startswith("\ufeff".encode())  # Excel reads the Persian right
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_csv_is_the_filtered_list_escaped_with_persian_headers(client, make_user, offices):
    user = make_user(Role.SERVICE_MANAGER)
    client.force_login(user)
    response = client.get(_url("list_export", "csv") + "?city=قزوین")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = _csv_rows(response)
    assert "کد" in " ".join(rows[0]) or "نام" in " ".join(rows[0])  # Persian headers
    names = sorted(cell for row in rows[1:] for cell in row if "دفتر" in cell or "HYPER" in cell)
    assert names == ['\'=HYPERLINK("http://x")', "دفتر مرکزی"]  # filtered, escaped
    event = DocumentEvent.objects.get(event_type=SavedListEvents.LIST_EXPORTED)
    assert event.actor == user
    assert event.parameters["rows"] == 2
    assert event.parameters["list"] == "meter_service.counteroffice"
    assert event.parameters["format"] == "csv"


def test_export_xlsx_keeps_text_as_text(client, make_user, offices):
    client.force_login(make_user(Role.SYSTEM_ADMIN))
    response = client.get(_url("list_export", "xlsx") + "?q=101")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in values
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.sheet_view.rightToLeft
    assert sheet.max_row == 2  # the header and the one office found


def test_export_over_the_limit_says_so_and_exports_nothing(client, make_user, offices, settings):
    settings.METER_LIST_EXPORT_ROWS = 2
    client.force_login(make_user(Role.SERVICE_MANAGER))
    response = client.get(_url("list_export", "csv"), follow=True)
    assert response.redirect_chain and response.redirect_chain[-1][0].startswith(reverse(LIST))
    text = response.content.decode()
    assert "۳" in text and "۲" in text  # the count and the limit, in Persian digits
    assert not DocumentEvent.objects.filter(event_type=SavedListEvents.LIST_EXPORTED).exists()


def test_export_needs_the_lists_view_permission(client, make_user, offices):
    client.force_login(make_user(Role.CALL_CENTRE_OPERATOR))  # no counter-office list
    assert client.get(_url("list_export", "csv")).status_code == 403
    assert client.get(_url("list_export", "pdf")).status_code in (403, 404)


def test_export_follows_the_record_rules(rf: RequestFactory, make_user, offices):
    """A counter-office operator's rows are their office's only, whatever the query."""
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    offices[1].users.add(operator)
    model_admin = staff_site._registry[CounterOffice]
    request = rf.get("/", {"city": "قزوین"})
    request.user = operator
    changelist = model_admin.get_changelist_instance(request)
    table = list_tools.list_table(model_admin, request, changelist.queryset)
    assert len(table.rows) == 1
    assert "دفتر مرکزی" in table.rows[0]


def test_columns_chosen_are_shown_and_exported(client, make_user, offices):
    client.force_login(make_user(Role.SERVICE_MANAGER))
    response = client.post(_url("list_columns"), {"columns": ["city"], "query": "q=102"})
    assert response.status_code == 302 and response["Location"].endswith("?q=102")
    page = client.get(reverse(LIST))
    assert [str(c) for c in page.context["cl"].list_display if c != "action_checkbox"] == ["city"]
    rows = _csv_rows(client.get(_url("list_export", "csv")))
    assert len(rows[0]) == 1 and {r[0] for r in rows[1:]} == {"قزوین", "تاکستان"}
    # Back to the list's own columns.
    client.post(_url("list_columns"), {"reset": "1"})
    assert len(_csv_rows(client.get(_url("list_export", "csv")))[0]) > 1


def test_bad_columns_are_refused_and_change_nothing(client, make_user, offices):
    client.force_login(make_user(Role.SERVICE_MANAGER))
    for bad in ({"columns": ["password"]}, {}):
        response = client.post(_url("list_columns"), bad, follow=True)
        assert response.status_code == 200
        assert response.context["cl"].list_display == page_default(client)
    assert "meter_list_columns" not in client.session or not client.session["meter_list_columns"]


def page_default(client) -> list:
    return client.get(reverse(LIST)).context["cl"].list_display


def test_save_share_apply_and_delete_a_view(client, make_user, offices):
    clerk = make_user(Role.SERVICE_DESK_CLERK)
    other_clerk = make_user(Role.SERVICE_DESK_CLERK)
    technician = make_user(Role.TECHNICIAN)
    client.force_login(clerk)
    client.post(_url("list_columns"), {"columns": ["code", "city"], "query": "city=قزوین"})
    response = client.post(
        _url("list_save"),
        {
            "name": " دفترهای  قزوین ",
            "query": "city=قزوین&p=2",
            "shared_role": Role.SERVICE_DESK_CLERK,
        },
    )
    assert response.status_code == 302
    view = SavedList.objects.get()
    assert (view.name, view.columns) == ("دفترهای قزوین", ["code", "city"])
    assert view.query == urlencode({"city": "قزوین"})  # no page number
    assert view.shared_role == Role.SERVICE_DESK_CLERK
    assert DocumentEvent.objects.filter(event_type=SavedListEvents.LIST_VIEW_SAVED).count() == 1

    # Another clerk sees it on the list page and applies it: filters and columns.
    client.force_login(other_clerk)
    tools = client.get(reverse(LIST)).context["list_tools"]
    assert [v["name"] for v in tools["views"]] == ["دفترهای قزوین"]
    assert not tools["views"][0]["mine"]
    applied = client.get(_url("list_apply", view.pk))
    assert applied.status_code == 302 and applied["Location"].endswith("?" + view.query)
    page = client.get(applied["Location"])
    assert page.context["cl"].result_count == 2
    assert [str(c) for c in page.context["cl"].list_display if c != "action_checkbox"] == [
        "code",
        "city",
    ]
    # ... but may not delete it.
    assert client.post(_url("list_delete", view.pk)).status_code == 302
    assert SavedList.objects.filter(pk=view.pk).exists()

    # A technician (not a clerk) does not get it at all.
    client.force_login(technician)
    assert client.get(_url("list_apply", view.pk)).status_code in (403, 404)

    client.force_login(clerk)
    client.post(_url("list_delete", view.pk))
    assert not SavedList.objects.exists()


def test_a_view_is_shared_only_with_a_role_the_owner_holds(client, make_user, offices):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = client.post(
        _url("list_save"), {"name": "x", "query": "", "shared_role": Role.SYSTEM_ADMIN}, follow=True
    )
    assert response.status_code == 200
    assert not SavedList.objects.exists()
    response = client.post(_url("list_save"), {"name": "  ", "query": ""}, follow=True)
    assert not SavedList.objects.exists()
    assert "نام" in response.content.decode() or "name" in response.content.decode()


def test_the_list_page_shows_the_tools(client, make_user, offices):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    page = client.get(reverse(LIST) + "?city=قزوین").content.decode()
    assert 'id="list-tools"' in page
    assert _url("list_export", "csv") + "?city=" in page


@pytest.mark.parametrize(
    ("frequency", "now", "expected"),
    [
        ("daily", "2024-05-01T06:59", None),
        ("daily", "2024-05-01T07:00", "2024-05-01"),
        ("daily", "2024-05-01T23:00", "2024-05-01"),
        ("weekly", "2024-05-04T06:00", None),  # a Saturday, before the hour
        ("weekly", "2024-05-04T08:00", "2024-05-04"),
        ("weekly", "2024-05-07T01:00", "2024-05-04"),  # later that week: still due
        ("monthly", "2024-04-20T09:00", "2024-04-20"),  # 1 Ordibehesht 1403
        ("monthly", "2024-05-01T09:00", "2024-04-20"),
    ],
)
def test_due_period(frequency, now, expected):
    assert rules.due_period(frequency, 7, datetime.datetime.fromisoformat(now)) == expected


def test_query_drops_the_page_number():
    assert rules.clean_query("p=3&q=x&_popup=1&o=2") == "q=x&o=2"


def test_a_masked_viewer_exports_masked_personal_data(client, make_user, installed):
    """A technician sees mobiles and national IDs masked in the list: so in the export, and
    the national ID is not offered as an extra column to them."""
    subscriber = installed.subscriber
    client.force_login(make_user(Role.TECHNICIAN))
    url = reverse("admin:meter_service_subscriber_list_export", args=["csv"])
    body = client.get(url).content.decode("utf-8-sig")
    assert subscriber.mobile not in body and subscriber.national_id not in body
    assert "***" in body
    tools = client.get(reverse("admin:meter_service_subscriber_changelist")).context["list_tools"]
    assert "national_id" not in {c["name"] for c in tools["columns"]}
    refused = client.post(
        reverse("admin:meter_service_subscriber_list_columns"), {"columns": ["national_id"]}
    )
    assert refused.status_code == 302
    body = client.get(url).content.decode("utf-8-sig")
    assert subscriber.national_id not in body


def test_a_column_provider_adds_columns_to_a_models_lists(client, make_user, offices):
    """The hook custom fields use: a provider's column can be picked and is exported."""

    def provider(model, request):
        if model is not CounterOffice:
            return []
        return [list_tools.Column("code_twice", "کد دوباره", lambda o: o.code * 2)]

    list_tools.register_column_provider(provider)
    try:
        client.force_login(make_user(Role.SERVICE_MANAGER))
        client.post(_url("list_columns"), {"columns": ["code_twice"]})
        rows = _csv_rows(client.get(_url("list_export", "csv")))
        assert rows[0] == ["کد دوباره"]
        assert sorted(r[0] for r in rows[1:]) == ["101101", "102102", "103103"]
        page = client.get(reverse(LIST))
        assert "102102" in page.content.decode()
    finally:
        list_tools._PROVIDERS.remove(provider)


def test_cells_as_people_read_them():
    assert list_tools.cell(("closed", "بسته‌شده")) == "بسته‌شده"  # a badge column
    assert list_tools.cell(True) == "بله"
    assert list_tools.cell(1500) == 1500
    assert list_tools.cell(datetime.date(2024, 3, 20)) == "۱۴۰۳/۰۱/۰۱"
    assert list_tools.cell('<a href="x">A &amp; B</a>') == "A & B"
    assert list_tools.cell(None) == ""


def test_the_claims_list_exports_as_shown(client, make_user, make_claim):
    claim = make_claim()
    client.force_login(make_user(Role.SERVICE_MANAGER))
    response = client.get(reverse("admin:meter_service_claim_list_export", args=["csv"]))
    rows = _csv_rows(response)
    assert len(rows) == 2
    text = ",".join(rows[1])
    assert str(claim.get_status_display()) in text and "('" not in text


def test_no_secret_is_offered_as_a_column(client, make_user):
    client.force_login(make_user(Role.SYSTEM_ADMIN))
    page = client.get(reverse("admin:helpdesk_queue_changelist"))
    names = {c["name"] for c in page.context["list_tools"]["columns"]}
    assert "email_box_pass" not in names and "email_box_host" in names


def test_an_office_operator_gets_their_offices_claims_only(
    rf: RequestFactory, make_user, make_office, install, tariffs
) -> None:
    """The claims list's export as a counter-office operator (the record rule that narrows
    claims to the operator's office): the other office's claim is not in it."""
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    mine, other = make_office(), make_office()
    mine.users.add(operator)
    filed = {}
    for office in (mine, other):
        subscriber = install().subscriber
        fields = claim_fields(
            channel="counter_office",
            payment_method="counter_office",
            last_bill_id=subscriber.bill_id,
            last_payment_id=build_payment_id(subscriber.bill_id, 2_350_000, 5, 6),
        )
        filed[office.pk] = claim_file(
            subscriber=subscriber, counter_office=office, actor=None, **fields
        )
    model_admin = staff_site._registry[Claim]
    request = rf.get("/")
    request.user = operator
    table = list_tools.list_table(
        model_admin, request, model_admin.get_changelist_instance(request).queryset
    )
    text = repr(table.rows).replace("-", "")  # tracking codes are shown grouped
    assert len(table.rows) == 1
    assert filed[mine.pk].tracking_code in text
    assert filed[other.pk].tracking_code not in text
