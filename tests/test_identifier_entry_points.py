"""One identifier, typed the ways people type it, read the same at every door.

A table of spellings of the same subscriber's bill ID, subscription number and national ID
(a leading zero, direction marks pasted from right-to-left text, spaces, dashes, Persian
and Arabic-Indic digits) goes through each entry point: the desk's in-person intake and
complaint filing, the portal's sign-in, the counter office's walk-in, the API, imports.
Each finds the subscriber; a wrong check digit is named as such (translated), not "no
subscriber" nor a length error.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from apps.meter_service.core import validators
from apps.meter_service.core.identifiers import build_payment_id
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.api_token.services import token_create
from apps.meter_service.doctype.complaint.desk_forms import DeskComplaintForm
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.doctype.import_batch.forms import (
    MeterInstallationImportForm,
    SubscriberImportForm,
)
from apps.meter_service.doctype.otp.models import OtpChallenge
from apps.meter_service.permissions import Role
from tests.conftest import subscriber_fields

PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
RLM, LRM, ZWNJ = "\u200f", "\u200e", "\u200c"


def _grouped(digits: str, separator: str) -> str:
    return separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))


# How the same number arrives: name -> a function of the canonical digits.
SPELLINGS = {
    "plain": lambda d: d,
    "leading_zero": lambda d: "0" + d,
    "rlm": lambda d: f"{RLM}{d}{RLM}",
    "marks_inside": lambda d: f"{LRM}{d[:3]}{ZWNJ}{d[3:]}",
    "spaces": lambda d: _grouped(d, " "),
    "dashes": lambda d: _grouped(d, "-"),
    "persian": lambda d: d.translate(PERSIAN),
    "arabic_indic": lambda d: d.translate(ARABIC_INDIC),
    "persian_dashes_rlm": lambda d: RLM + _grouped(d, "-").translate(PERSIAN),
}


def spell_fixed_width(spelling: str, digits: str) -> str:
    """Spell a number whose leading zero is part of it (national ID, mobile): every way but
    with a zero added."""
    return digits if spelling == "leading_zero" else SPELLINGS[spelling](digits)


def wrong_check_digit(digits: str) -> str:
    return digits[:-1] + str((int(digits[-1]) + 1) % 10)


def fa(message) -> str:
    with translation.override("fa"):
        return str(message)


CHECKSUM_MESSAGE = validators.MESSAGES["bill_id_checksum"]


@pytest.fixture
def subscriber(installed):
    return installed.subscriber


# --- the desk: in-person intake --------------------------------------------------------


def _intake_preview(client, identifier: str):
    data = {"subscriber_identifier": identifier, "_preview": "1"}
    return client.post(reverse("admin:meter_service_claim_intake"), data)


@pytest.fixture
def clerk(client, make_user):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    return client


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_desk_intake_finds_the_subscriber_by_bill_id(clerk, subscriber, tariffs, spelling):
    response = _intake_preview(clerk, SPELLINGS[spelling](subscriber.bill_id))
    form = response.context["form"]
    assert "subscriber_identifier" not in form.errors, form.errors
    assert form.subscriber == subscriber


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_desk_intake_finds_the_subscriber_by_number(clerk, subscriber, tariffs, spelling):
    response = _intake_preview(clerk, SPELLINGS[spelling](subscriber.subscription_number))
    assert response.context["form"].subscriber == subscriber


@pytest.mark.parametrize("spelling", ["plain", "persian", "dashes", "rlm"])
def test_desk_intake_names_a_wrong_check_digit(clerk, subscriber, tariffs, spelling):
    typed = SPELLINGS[spelling](wrong_check_digit(subscriber.bill_id))
    response = _intake_preview(clerk, typed)
    assert response.context["form"].errors["subscriber_identifier"] == [fa(CHECKSUM_MESSAGE)]


# --- the desk: a complaint filed for a subscriber --------------------------------------


def _complaint_form(user, identifier: str) -> DeskComplaintForm:
    from helpdesk.models import Queue

    topic = Queue.objects.get(slug="meter-test")
    data = {
        "channel": "phone",
        "topic": topic.pk,
        "title": "شکایت",
        "description": "متن",
        "subscriber": identifier,
    }
    return DeskComplaintForm(data=data, user=user)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_desk_complaint_finds_the_subscriber(make_user, subscriber, roles, spelling):
    call_queues()
    form = _complaint_form(
        make_user(Role.SERVICE_DESK_CLERK), SPELLINGS[spelling](subscriber.bill_id)
    )
    form.is_valid()
    assert "subscriber" not in form.errors, form.errors
    assert form.cleaned_data["subscriber"] == subscriber


def test_desk_complaint_names_a_wrong_check_digit(make_user, subscriber, roles):
    call_queues()
    form = _complaint_form(
        make_user(Role.SERVICE_DESK_CLERK), wrong_check_digit(subscriber.bill_id)
    )
    with translation.override("en"):
        assert not form.is_valid()
        assert form.errors["subscriber"] == [str(CHECKSUM_MESSAGE)]


def call_queues() -> None:
    from django.core.management import call_command

    call_command("load_fixtures", verbosity=0)


# --- the portal: sign-in with a subscription number or bill ID --------------------------


@pytest.fixture
def _templates(db):
    from apps.meter_service.doctype.notification.services import message_templates_ensure_defaults

    message_templates_ensure_defaults()


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_portal_sign_in_finds_the_subscriber(client, subscriber, _templates, spelling):
    response = client.post(
        "/portal/login/", {"identifier": SPELLINGS[spelling](subscriber.bill_id)}
    )
    assert response.status_code == 302
    assert OtpChallenge.objects.get().subscriber == subscriber


@pytest.mark.parametrize("spelling", ["plain", "persian", "spaces"])
def test_portal_sign_in_names_a_wrong_check_digit(client, subscriber, _templates, spelling):
    typed = SPELLINGS[spelling](wrong_check_digit(subscriber.bill_id))
    response = client.post("/portal/login/", {"identifier": typed})
    assert response.status_code == 200
    assert fa(CHECKSUM_MESSAGE) in response.content.decode()
    assert not OtpChallenge.objects.exists()


# --- the counter office: a walk-in names bill ID and national ID -------------------------


@pytest.fixture
def operator_client(client, make_user, make_office):
    office = make_office()
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    office_set_operators(office=office, users=[operator])
    client.force_login(operator)
    return client


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_office_walk_in_finds_the_subscriber(operator_client, subscriber, spelling):
    response = operator_client.post(
        reverse("office:walk_in"),
        {
            "bill_id": SPELLINGS[spelling](subscriber.bill_id),
            "identity": spell_fixed_width(spelling, subscriber.national_id),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("office:claim_new")


def test_office_walk_in_names_a_wrong_check_digit(operator_client, subscriber):
    response = operator_client.post(
        reverse("office:walk_in"),
        {"bill_id": wrong_check_digit(subscriber.bill_id), "identity": subscriber.national_id},
    )
    assert response.context["form"].errors["bill_id"] == [fa(CHECKSUM_MESSAGE)]


# --- the API: an agency files for a subscriber it names by bill ID -----------------------


@pytest.fixture
def agency_api(make_user):
    user = make_user(Role.AGENCY_CLIENT)
    Agency.objects.create(code="gov", name="درگاه").users.add(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user).key}")
    return client


def _claim_body(subscriber, spelling: str) -> dict:
    spell = SPELLINGS[spelling]
    return {
        "bill_id": spell(subscriber.bill_id),
        "national_id": spell_fixed_width(spelling, subscriber.national_id),
        "reason": "fast",
        "last_reading": "850",
        "last_reading_date": timezone.localdate().isoformat(),
        "last_bill_id": spell(subscriber.bill_id),
        "last_payment_id": spell(build_payment_id(subscriber.bill_id, 2_350_000, 5, 6)),
        "contact_mobile": spell_fixed_width(spelling, "09121234567"),
        "payment_method": "next_bill",
    }


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_api_files_for_the_subscriber_named_by_bill_id(agency_api, subscriber, tariffs, spelling):
    response = agency_api.post("/api/v1/claims/", _claim_body(subscriber, spelling), format="json")
    assert response.status_code == 201, response.content
    assert response.json()["subscription_number"] == subscriber.subscription_number


def test_api_names_a_wrong_check_digit(agency_api, subscriber, tariffs):
    body = _claim_body(subscriber, "plain")
    body["bill_id"] = wrong_check_digit(subscriber.bill_id)
    response = agency_api.post("/api/v1/claims/", body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["extra"]["codes"] == {"bill_id": ["bill_id_checksum"]}


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_api_fee_quote_reads_the_subscription_number(
    client, make_user, subscriber, tariffs, spelling
):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    typed = SPELLINGS[spelling](subscriber.subscription_number)
    response = client.get("/api/v1/fees/quote/", {"subscription_number": typed})
    assert response.status_code == 200, response.content
    assert response.json()["subscription_number"] == subscriber.subscription_number


# --- imports: a row names its subscription by number ------------------------------------


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_import_rows_read_the_subscription_number(subscriber, make_meter, spelling):
    typed = SPELLINGS[spelling](subscriber.subscription_number)
    meter = make_meter()
    form = MeterInstallationImportForm(
        data={
            "subscription_number": typed,
            "meter_serial": meter.serial,
            "installed_on": format_date(timezone.localdate()),
            "reason": "new_connection",
        }
    )
    form.is_valid()
    assert "subscription_number" not in form.errors, form.errors
    assert form.cleaned_data["subscriber"] == subscriber


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_subscriber_import_stores_the_canonical_identifiers(db, spelling):
    fields = subscriber_fields("4000123")
    spell = SPELLINGS[spelling]
    data = {
        **fields,
        "subscription_number": spell(fields["subscription_number"]),
        "bill_id": spell(fields["bill_id"]),
        "national_id": spell_fixed_width(spelling, fields["national_id"]),
        "tariff_group": "household",
    }
    form = SubscriberImportForm(data=data)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["subscription_number"] == "4000123"
    assert form.cleaned_data["bill_id"] == fields["bill_id"]
    assert form.cleaned_data["national_id"] == fields["national_id"]
