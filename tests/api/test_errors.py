"""One error shape for every error, in the client's language (Persian by default)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions

from apps.meter_service.api.exceptions import api_exception_handler
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


def _handle(exc):
    response = api_exception_handler(exc, {"view": None, "request": None})
    return response.status_code, response.data


class TestHandler:
    def test_django_validation_error_by_field(self):
        error = DjangoValidationError(
            {
                "last_reading": DjangoValidationError(
                    "Too low: %(n)s", code="low", params={"n": 5}
                ),
                "__all__": DjangoValidationError("Whole form", code="whole"),
            }
        )
        status, body = _handle(error)
        assert status == 400
        assert body["extra"]["fields"] == {
            "last_reading": ["Too low: 5"],
            "non_field_errors": ["Whole form"],
        }
        assert body["extra"]["codes"] == {"last_reading": ["low"], "non_field_errors": ["whole"]}

    def test_a_single_message_is_the_message(self):
        status, body = _handle(DjangoValidationError("Not now.", code="state"))
        assert (status, body["message"]) == (400, "Not now.")
        assert body["extra"]["fields"] == {"non_field_errors": ["Not now."]}

    def test_drf_validation_error_with_nested_fields(self):
        error = exceptions.ValidationError({"fees": [{"amount": ["Bad."]}], "x": ["One.", "Two."]})
        status, body = _handle(error)
        assert status == 400
        assert body["extra"]["fields"] == {"fees.0.amount": ["Bad."], "x": ["One.", "Two."]}

    @pytest.mark.parametrize(
        ("exc", "status", "code"),
        [
            (Http404("anything"), 404, "not_found"),
            (exceptions.NotFound("anything"), 404, "not_found"),
            (DjangoPermissionDenied(), 403, "permission_denied"),
            (exceptions.PermissionDenied(), 403, "permission_denied"),
            (exceptions.NotAuthenticated(), 401, "not_authenticated"),
            (exceptions.AuthenticationFailed(), 401, "authentication_failed"),
        ],
    )
    def test_other_errors(self, exc, status, code):
        got_status, body = _handle(exc)
        assert got_status == status
        assert body["extra"] == {"code": code} and body["message"]

    def test_a_reason_given_with_permission_denied_is_kept(self):
        status, body = _handle(DjangoPermissionDenied("Only the billing office may."))
        assert (status, body["message"]) == (403, "Only the billing office may.")

    def test_every_404_reads_the_same(self):
        assert _handle(Http404("a secret"))[1] == _handle(exceptions.NotFound("other"))[1]

    def test_unexpected_errors_are_left_to_django(self):
        assert api_exception_handler(RuntimeError("boom"), {}) is None


class TestLanguage:
    def test_persian_by_default(self, api):
        response = api().get("/api/v1/claims/")
        assert response.status_code == 401
        assert response.json()["message"] == "اطلاعات برای اعتبارسنجی ارسال نشده است."
        assert response["Content-Language"] == "fa"

    @pytest.mark.parametrize(
        "how", [{"QUERY_STRING": "lang=en"}, {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}]
    )
    def test_english_on_request(self, api, how):
        response = api().generic("GET", "/api/v1/claims/", **how)
        assert response.json()["message"] == "Authentication credentials were not provided."
        assert response["Content-Language"] == "en"
        assert "Accept-Language" in response["Vary"]

    def test_the_language_cookie_beats_accept_language(self, api, settings):
        client = api()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
        response = client.get("/api/v1/claims/", HTTP_ACCEPT_LANGUAGE="en")
        assert response["Content-Language"] == "fa"

    def test_field_errors_are_translated(self, api, make_user, installed, tariffs):
        from apps.meter_service.doctype.subscriber.services import subscriber_update

        user = make_user(Role.SUBSCRIBER)
        subscriber_update(subscriber=installed.subscriber, user=user)
        client = api(user)
        body = {"subscription_number": installed.subscriber.subscription_number}
        english = client.post("/api/v1/claims/?lang=en", body, format="json").json()
        persian = client.post("/api/v1/claims/", body, format="json").json()
        assert english["extra"]["fields"]["reason"] == ["This field is required."]
        assert persian["extra"]["fields"]["reason"] == ["این مقدار لازم است."]
        assert english["extra"]["codes"] == persian["extra"]["codes"]

    def test_unknown_language_falls_back_to_persian(self, api):
        response = api().get("/api/v1/claims/", {"lang": "xx"})
        assert response["Content-Language"] == "fa"


def test_bad_token_is_401(api):
    client = api()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.get("/api/v1/claims/")
    assert response.status_code == 401
    assert response.json()["extra"]["code"] == "authentication_failed"


def test_inactive_account_token_stops_working(api, make_user):
    user = make_user(Role.AGENCY_CLIENT)
    client = api(user)
    assert client.get("/api/v1/claims/").status_code == 200
    user.is_active = False
    user.save()
    assert client.get("/api/v1/claims/").status_code == 401


def test_errors_are_json_even_when_csv_was_asked_for(api, make_user):
    response = api(make_user(Role.AGENCY_CLIENT)).post(
        "/api/v1/billing/charges/export/", HTTP_ACCEPT="text/csv"
    )
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert response.json()["extra"]["code"] == "permission_denied"
