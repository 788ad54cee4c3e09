"""Claims over the API: filing on each channel, the list, one claim, cancel, pay, status."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.meter_service.api.base import Pagination
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.doctype.payment.models import Payment
from apps.meter_service.integrations.gateway.adapter import NETWORK_MESSAGE, GatewayError
from apps.meter_service.permissions import Role
from tests.api.conftest import valid_claim_body
from tests.conftest import OFFICE_FEE, TEST_FEE

pytestmark = pytest.mark.django_db


def _walk_in(subscriber, **overrides) -> dict:
    return valid_claim_body(
        subscriber, bill_id=subscriber.bill_id, national_id=subscriber.national_id, **overrides
    )


class TestFiling:
    def test_agency_claim_with_gateway_payment_returns_the_payment_url(
        self, api, world, install, gateway
    ):
        subscriber = install().subscriber
        body = _walk_in(subscriber, payment_method="gateway")
        response = api(world.users["agency"]).post("/api/v1/claims/", body, format="json")
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["channel"] == "agency" and data["agency"] == "tax-portal"
        assert data["status"] == ClaimStatus.AWAITING_PAYMENT
        assert [line["kind"] for line in data["fees"]] == ["test_fee", "vat"]
        assert data["total_rial"] == TEST_FEE + TEST_FEE // 10
        assert data["expires_at"] is not None
        payment = Payment.objects.get(claim__tracking_code=data["tracking_code"])
        assert data["payment_url"] == f"https://gateway.test/StartPay/{payment.authority}"
        assert gateway.calls[0]["callback"] == "http://testserver/pay/callback/"

    def test_gateway_down_still_files_the_claim_and_pay_starts_it_later(
        self, api, world, install, gateway
    ):
        client = api(world.users["agency"])
        gateway.error = GatewayError(NETWORK_MESSAGE)
        body = _walk_in(install().subscriber, payment_method="gateway")
        response = client.post("/api/v1/claims/", body, format="json")
        assert response.status_code == 201
        assert response.json()["payment_url"] is None
        code = response.json()["tracking_code"]
        again = client.post(f"/api/v1/claims/{code}/pay/")
        assert again.status_code == 503
        assert again.json()["extra"]["code"] == "gateway_unavailable"
        gateway.error = None
        again = client.post(f"/api/v1/claims/{code}/pay/")
        assert again.status_code == 201
        assert again.json()["payment_url"].startswith("https://gateway.test/")

    def test_next_bill_claim_goes_ahead_at_once_without_a_payment_url(self, api, world, install):
        body = _walk_in(install().subscriber, payment_method="next_bill")
        response = api(world.users["agency"]).post("/api/v1/claims/", body, format="json")
        assert response.status_code == 201
        assert response.json()["status"] == ClaimStatus.PAID
        assert response.json()["payment_url"] is None

    def test_counter_office_claim_adds_the_office_fee_and_needs_no_payment_method(
        self, api, world, install
    ):
        body = _walk_in(install().subscriber)
        del body["payment_method"]
        response = api(world.users["operator_x"]).post("/api/v1/claims/", body, format="json")
        assert response.status_code == 201, response.content
        data = response.json()
        assert data["counter_office"] == world.offices["x"].code
        assert data["payment_method"] == "counter_office"
        assert {line["kind"]: line["amount_rial"] for line in data["fees"]}["channel_fee"] == (
            OFFICE_FEE
        )

    def test_operator_of_several_offices_names_the_office(self, api, world, install, make_office):
        operator = world.users["operator_x"]
        second = make_office()
        office_set_operators(office=second, users=[operator])
        client = api(operator)
        body = _walk_in(install().subscriber, payment_method="counter_office")
        response = client.post("/api/v1/claims/", body, format="json")
        assert response.status_code == 400
        assert "office_code" in response.json()["extra"]["fields"]
        body["office_code"] = world.offices["y"].code  # not one of theirs
        response = client.post("/api/v1/claims/", body, format="json")
        assert response.json()["extra"]["codes"]["office_code"] == ["invalid_choice"]
        body["office_code"] = second.code
        response = client.post("/api/v1/claims/", body, format="json")
        assert response.status_code == 201
        assert response.json()["counter_office"] == second.code

    def test_operator_without_an_active_office_is_refused(self, api, make_user, installed, tariffs):
        operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
        body = _walk_in(installed.subscriber, payment_method="counter_office")
        response = api(operator).post("/api/v1/claims/", body, format="json")
        assert response.status_code == 403
        assert Claim.objects.count() == 0

    def test_agency_files_for_a_business_with_its_national_legal_id(self, api, world, install):
        subscriber = install(
            customer_type="g2b", national_id="", national_legal_id="10100387830"
        ).subscriber
        body = valid_claim_body(
            subscriber, bill_id=subscriber.bill_id, national_legal_id="۱۰۱۰۰۳۸۷۸۳۰"
        )
        response = api(world.users["agency"]).post("/api/v1/claims/", body, format="json")
        assert response.status_code == 201, response.content
        assert Claim.objects.get(tracking_code=response.json()["tracking_code"]).customer_type == (
            "g2b"
        )

    def test_inactive_agency_cannot_file(self, api, world, install):
        Agency.objects.filter(code="tax-portal").update(is_active=False)
        body = _walk_in(install().subscriber)
        response = api(world.users["agency"]).post("/api/v1/claims/", body, format="json")
        assert response.status_code == 403


class TestList:
    def test_newest_first_in_pages(self, api, world):
        client = api(world.users[Role.SERVICE_MANAGER])
        first = client.get("/api/v1/claims/", {"limit": 2})
        data = first.json()
        assert data["count"] == 5 and len(data["results"]) == 2 and data["next"]
        filed = [row["filed_at"] for row in data["results"]]
        assert filed == sorted(filed, reverse=True)
        rest = client.get("/api/v1/claims/", {"limit": 2, "offset": 4}).json()
        assert len(rest["results"]) == 1 and rest["next"] is None and rest["count_exact"]

    def test_the_count_stops_at_the_cap_and_next_walks_the_rest(self, api, world, monkeypatch):
        # Five claims, counting stopped three past the offset: "more than 3" on the first
        # page, and the next links still reach every claim once.
        monkeypatch.setattr(Pagination, "COUNT_CAP", 3)
        client = api(world.users[Role.SERVICE_MANAGER])
        first = client.get("/api/v1/claims/", {"limit": 2}).json()
        assert (first["count"], first["count_exact"]) == (3, False)
        seen, page = [], first
        while True:
            seen += [row["tracking_code"] for row in page["results"]]
            if page["next"] is None:
                break
            page = client.get(page["next"]).json()
        assert sorted(seen) == sorted(claim.tracking_code for claim in world.claims.values())
        assert (page["count"], page["count_exact"]) == (5, True)

    def test_a_page_does_not_count_the_callers_whole_set(self, api, world, monkeypatch):
        monkeypatch.setattr(Pagination, "COUNT_CAP", 3)
        client = api(world.users[Role.SERVICE_MANAGER])
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/claims/", {"limit": 2}).status_code == 200
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        # One bounded count: a COUNT over a subquery that stops at offset + cap + 1 rows.
        assert len(counts) == 1 and "LIMIT 4" in counts[0].upper(), counts

    @pytest.mark.parametrize("params", [{"limit": 0}, {"limit": "x"}, {"offset": -1}])
    def test_a_bad_limit_or_offset_is_refused(self, api, world, params):
        response = api(world.users[Role.SERVICE_MANAGER]).get("/api/v1/claims/", params)
        assert response.status_code == 400
        assert set(response.json()["extra"]["fields"]) == set(params)

    def test_filter_by_status_and_channel(self, api, world):
        claim_mark_paid(claim=world.claims["a"], reference="test")
        client = api(world.users[Role.SERVICE_MANAGER])
        paid = client.get("/api/v1/claims/", {"status": "paid"}).json()["results"]
        assert [row["tracking_code"] for row in paid] == [world.claims["a"].tracking_code]
        offices = client.get("/api/v1/claims/", {"channel": "counter_office"}).json()
        assert offices["count"] == 2

    def test_filter_by_filing_day_in_jalali_or_iso(self, api, world):
        old = world.claims["b"]
        Claim.objects.filter(pk=old.pk).update(filed_at=timezone.now() - datetime.timedelta(3))
        client = api(world.users[Role.SERVICE_MANAGER])
        today = timezone.localdate()
        recent = client.get("/api/v1/claims/", {"filed_from": today.isoformat()}).json()
        assert old.tracking_code not in {row["tracking_code"] for row in recent["results"]}
        assert recent["count"] == 4
        before = today - datetime.timedelta(days=2)
        import jdatetime

        jalali = jdatetime.date.fromgregorian(date=before).strftime("%Y/%m/%d")
        older = client.get("/api/v1/claims/", {"filed_to": jalali}).json()
        assert [row["tracking_code"] for row in older["results"]] == [old.tracking_code]

    def test_the_last_day_of_the_calendar_is_a_valid_bound(self, api, world):
        response = api(world.users[Role.SERVICE_MANAGER]).get(
            "/api/v1/claims/", {"filed_to": "9999-12-31"}
        )
        assert response.json()["count"] == 5

    @pytest.mark.parametrize("params", [{"status": "x"}, {"status": ""}, {"filed_from": "31/31"}])
    def test_bad_filter_is_400(self, api, world, params):
        response = api(world.users[Role.SERVICE_MANAGER]).get("/api/v1/claims/", params)
        assert response.status_code == 400
        assert set(response.json()["extra"]["fields"]) == set(params)


class TestCancel:
    def test_paid_claim_cannot_be_cancelled(self, api, world):
        claim = claim_mark_paid(claim=world.claims["a"], reference="test")
        response = api(world.users["subscriber_a"]).post(
            f"/api/v1/claims/{claim.tracking_code}/cancel/", {"reason": "x"}, format="json"
        )
        assert response.status_code == 409
        assert response.json()["extra"]["code"] == "cannot_cancel"
        claim.refresh_from_db()
        assert claim.status == ClaimStatus.PAID

    def test_cancel_records_the_reason(self, api, world):
        claim = world.claims["agency"]
        response = api(world.users["agency"]).post(
            f"/api/v1/claims/{claim.tracking_code}/cancel/",
            {"reason": "subscriber changed their mind"},
            format="json",
        )
        assert response.status_code == 200
        assert response.json()["status"] == ClaimStatus.CANCELLED
        from apps.meter_service.doctype.claim.selectors import claim_timeline

        event = claim_timeline(claim=claim).get(event_type="claim_cancelled")
        assert event.parameters["reason"] == "subscriber changed their mind"


class TestStatus:
    def test_status_in_both_languages_with_the_next_step(self, api, world):
        claim = world.claims["a"]
        data = api(world.users["ivr"]).get(f"/api/v1/claims/{claim.tracking_code}/status/").json()
        assert data["status"] == "awaiting_payment" and data["paid"] is False
        assert data["label"]["en"] == "Awaiting payment"
        assert data["label"]["fa"] == "در انتظار پرداخت"
        assert data["next_step"]["code"] == "pay"
        assert data["next_step"]["fa"] != data["next_step"]["en"]  # translated, not English
        assert set(data) == {"tracking_code", "status", "label", "paid", "pay_by", "next_step"}

    def test_paid_claim(self, api, world):
        claim = claim_mark_paid(claim=world.claims["x"], reference="test")
        code = claim.tracking_code
        data = api(world.users["ivr"]).get(f"/api/v1/claims/{code[:3]}-{code[3:]}/status/").json()
        assert data["paid"] is True and data["next_step"]["code"] == "wait_for_test"

    def test_ivr_files_nothing(self, api, world, install):
        body = _walk_in(install().subscriber)
        response = api(world.users["ivr"]).post("/api/v1/claims/", body, format="json")
        assert response.status_code == 403

    def test_malformed_code_is_404(self, api, world):
        response = api(world.users["ivr"]).get("/api/v1/claims/12345/status/")
        assert response.status_code == 404


def _complete(claim, element_id: str, user, **data) -> None:
    from apps.meter_service.engine.models import ProcessTask
    from apps.meter_service.engine.services import process_complete_task

    task = ProcessTask.objects.get(
        instance__claim=claim, element_id=element_id, completed_at__isnull=True
    )
    process_complete_task(task_id=task.task_id, user=user, data=data)


class TestResult:
    def test_an_open_claim_has_no_result_yet(self, api, world):
        claim = world.claims["agency"]
        data = api(world.users["agency"]).get(f"/api/v1/claims/{claim.tracking_code}/").json()
        assert data["result"] is None

    def test_the_agency_reads_verdict_correction_and_refund_of_a_closed_claim(self, api, world):
        claim = claim_mark_paid(claim=world.claims["agency"], reference="agency-1")
        users = world.users
        visit = {"test_type": "field", "visit_date": "1405/09/10", "visit_time": "morning"}
        _complete(claim, "Task_schedule", users[Role.TECHNICIAN], **visit)
        _complete(claim, "Task_test", users[Role.TECHNICIAN], outcome="tested", error_percent="5")
        _complete(
            claim,
            "Task_replace",
            users[Role.EMERGENCY_CREW],
            old_final_reading="900",
            new_serial="NEW-1",
            new_initial_reading="0",
        )
        _complete(
            claim,
            "Task_correction",
            users[Role.BILLING_OFFICER],
            correction_rial="-3200000",
            correction_method="scaled",
        )

        response = api(users["agency"]).get(f"/api/v1/claims/{claim.tracking_code}/")

        data = response.json()  # and the answer matches the schema (the api client checks)
        assert data["status"] == ClaimStatus.CLOSED
        claim.refresh_from_db()
        assert data["result"] == {
            "outcome": "faulty",
            "outcome_label": str(claim.get_outcome_display()),
            "verdict": "fast",
            "verdict_label": data["result"]["verdict_label"],
            "error_percent": 5.0,
            "fee_outcome": "refund",
            "fee_outcome_label": str(claim.get_fee_outcome_display()),
            "fee_refund_rial": claim.total_fee,
            "correction_rial": -3_200_000,
            "damage_rial": None,
        }
        assert data["result"]["verdict_label"] not in ("", "fast")  # a label, translated

    def test_a_claim_closed_without_fault_reads_the_fee_kept(self, api, world):
        claim = claim_mark_paid(claim=world.claims["agency"], reference="agency-2")
        visit = {"test_type": "field", "visit_date": "1405/09/10", "visit_time": "morning"}
        technician = world.users[Role.TECHNICIAN]
        _complete(claim, "Task_schedule", technician, **visit)
        _complete(claim, "Task_test", technician, outcome="tested", error_percent="-1.5")

        data = api(world.users["agency"]).get(f"/api/v1/claims/{claim.tracking_code}/").json()

        result = data["result"]
        assert (result["outcome"], result["verdict"]) == ("no_fault", "within_tolerance")
        assert result["error_percent"] == -1.5
        assert (result["fee_outcome"], result["fee_refund_rial"]) == ("", 0)
        assert result["correction_rial"] is None and result["damage_rial"] is None
