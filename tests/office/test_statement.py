"""The daily office statement and the dashboard: figures summed by the database."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.claim.services import claim_cancel
from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save
from apps.meter_service.doctype.payment.services import payment_record_counter
from apps.meter_service.office.selectors import FeeTotals, office_day_statement

STATEMENT = reverse("office:statement")


@pytest.fixture
def day_of_work(
    make_installation, file_office_claim, office_a, office_b, operator_a, operator_b, tariffs
):
    """Two offices' claims: filed yesterday or today, paid, unpaid or cancelled.

    Office A: a G6 claim filed yesterday and paid today; today three G4 claims, one paid,
    one unpaid, one cancelled. Office B: today two G4 claims, one paid.
    """
    fee_tariff_save(
        kind="meter_test",
        meter_size="G6",
        amount_rial=2_200_000,
        valid_from=datetime.date(2024, 3, 20),
    )
    yesterday = timezone.now() - datetime.timedelta(days=1)
    a0 = file_office_claim(make_installation(size="G6"), office_a, operator_a, now=yesterday)
    a1, a2, a3 = (file_office_claim(make_installation(), office_a, operator_a) for _ in range(3))
    b1, b2 = (file_office_claim(make_installation(), office_b, operator_b) for _ in range(2))
    payment_record_counter(claim=a0, actor=operator_a, receipt_number="1001")
    payment_record_counter(claim=a1, actor=operator_a)
    payment_record_counter(claim=b1, actor=operator_b)
    claim_cancel(claim=a3, actor=operator_a)
    return {"a": [a0, a1, a2, a3], "b": [b1, b2]}


def _counts(statement) -> dict[str, int]:
    return {row.status: row.count for row in statement.by_status if row.count}


def test_statement_figures_match_the_hand_computed_ones(
    day_of_work, office_a, office_b, operator_a, operator_b
):
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)

    a_today = office_day_statement(user=operator_a, office=office_a, day=today)
    # Filed today at A: three G4 claims at 1,500,000 + 10% VAT + 109,000.
    assert a_today.filed == FeeTotals(
        count=3, test_fee=4_500_000, vat=450_000, office_fee=327_000, total=5_277_000
    )
    # Collected today at A: yesterday's G6 claim (2,200,000 + 220,000 + 109,000) and one G4.
    assert a_today.collected == FeeTotals(
        count=2, test_fee=3_700_000, vat=370_000, office_fee=218_000, total=4_288_000
    )
    assert _counts(a_today) == {"awaiting_payment": 1, "paid": 1, "cancelled": 1}

    a_yesterday = office_day_statement(user=operator_a, office=office_a, day=yesterday)
    assert a_yesterday.filed == FeeTotals(
        count=1, test_fee=2_200_000, vat=220_000, office_fee=109_000, total=2_529_000
    )
    assert a_yesterday.collected == FeeTotals()
    assert _counts(a_yesterday) == {"paid": 1}

    b_today = office_day_statement(user=operator_b, office=office_b, day=today)
    assert b_today.filed.count == 2
    assert b_today.collected == FeeTotals(
        count=1, test_fee=1_500_000, vat=150_000, office_fee=109_000, total=1_759_000
    )
    assert _counts(b_today) == {"awaiting_payment": 1, "paid": 1}


def test_statement_of_another_office_is_empty_for_an_operator(day_of_work, office_b, operator_a):
    statement = office_day_statement(user=operator_a, office=office_b, day=timezone.localdate())
    assert statement.filed == FeeTotals() and statement.collected == FeeTotals()


def test_statement_page_for_a_jalali_date(office_client, day_of_work):
    response = office_client.get(STATEMENT, {"day": format_date(timezone.localdate())})

    assert response.status_code == 200
    assert response.context["statement"].collected.total == 4_288_000
    page = response.content.decode()
    for figure in ("۴٬۲۸۸٬۰۰۰", "۳٬۷۰۰٬۰۰۰", "۳۷۰٬۰۰۰", "۲۱۸٬۰۰۰", "۵٬۲۷۷٬۰۰۰"):
        assert figure in page
    # Office B's paid claim is nowhere on office A's statement.
    assert to_persian_digits(day_of_work["b"][0].tracking_code) not in page.replace("-", "")


def test_statement_defaults_to_today_and_refuses_a_bad_date(office_client, day_of_work):
    response = office_client.get(STATEMENT)
    assert response.context["statement"].day == timezone.localdate()

    response = office_client.get(STATEMENT, {"day": "۱۴۰۳/۱۳/۴۰"})
    assert response.status_code == 200 and response.context["statement"] is None
    assert "تاریخ معتبر" in response.content.decode()
    assert office_client.get(reverse("office:statement_pdf"), {"day": "x"}).status_code == 302


def test_statement_pdf(office_client, day_of_work):
    response = office_client.get(
        reverse("office:statement_pdf"), {"day": format_date(timezone.localdate())}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_dashboard_shows_today(office_client, day_of_work):
    response = office_client.get(reverse("office:dashboard"))

    assert response.status_code == 200
    assert response.context["statement"].collected.total == 4_288_000
    assert response.context["awaiting_count"] == 1
    assert len(response.context["today_claims"]) == 3
    assert "۴٬۲۸۸٬۰۰۰" in response.content.decode()
