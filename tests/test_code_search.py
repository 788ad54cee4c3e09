"""One search normaliser for codes in every list: the desk's claim list, the office's list
and the API's claim list read a tracking code typed grouped (934-557-8690), in Persian or
Arabic-Indic digits, or pasted with direction marks, as the plain digits stored."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.api_token.services import token_create
from apps.meter_service.doctype.counter_office.services import office_set_operators
from apps.meter_service.doctype.meter.services import meter_install
from apps.meter_service.permissions import Role

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def spellings(code: str) -> dict[str, str]:
    """The whole code and a part of it, the ways people type or paste them."""
    grouped = tracking.display(code)
    return {
        "grouped": grouped,
        "grouped_persian": to_persian_digits(grouped),
        "arabic_indic_spaced": " ".join(grouped.split("-")).translate(ARABIC_INDIC),
        "rlm_pasted": f"\u200f{to_persian_digits(grouped)}\u200f",
        "part_grouped_persian": to_persian_digits(grouped[:7]),  # "934-557"
    }


@pytest.fixture
def two_claims(make_claim, make_subscriber, make_meter):
    import datetime
    from decimal import Decimal

    first = make_claim()
    installation = meter_install(
        subscriber=make_subscriber(),
        meter=make_meter(),
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    second = make_claim(installation)
    # Two codes that share no 7-character group, so a part names one claim only.
    while tracking.display(second.tracking_code)[:7] in tracking.display(first.tracking_code):
        second.tracking_code = tracking.generate()
        second.save(update_fields=["tracking_code"])
    return first, second


@pytest.mark.parametrize("spelling", list(spellings("9345578690")))
def test_desk_claim_search(client, make_user, two_claims, spelling):
    first, _second = two_claims
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    typed = spellings(first.tracking_code)[spelling]
    response = client.get(reverse("admin:meter_service_claim_changelist"), {"q": typed})
    assert [claim.pk for claim in response.context["cl"].result_list] == [first.pk]


def test_desk_claim_search_by_subscription_and_mobile(client, make_user, two_claims):
    first, _second = two_claims
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    url = reverse("admin:meter_service_claim_changelist")
    bill_id = first.subscriber.bill_id
    response = client.get(url, {"q": to_persian_digits(f"{bill_id[:6]} {bill_id[6:]}")})
    assert [claim.pk for claim in response.context["cl"].result_list] == [first.pk]
    serial = first.meter.serial  # letters and digits: searched as text, digits made ASCII
    response = client.get(url, {"q": serial[:3] + to_persian_digits(serial[3:])})
    assert [claim.pk for claim in response.context["cl"].result_list] == [first.pk]


@pytest.mark.parametrize("spelling", list(spellings("9345578690")))
def test_office_claim_search(client, make_user, make_office, tariffs, make_claim, spelling):
    office = make_office()
    operator = make_user(Role.COUNTER_OFFICE_OPERATOR)
    office_set_operators(office=office, users=[operator])
    claim = make_claim(
        channel="counter_office", counter_office=office, payment_method="counter_office"
    )
    client.force_login(operator)
    response = client.get(
        reverse("office:claim_list"), {"q": spellings(claim.tracking_code)[spelling]}
    )
    if spelling.startswith("part"):
        assert [c.pk for c in response.context["page"].object_list] == [claim.pk]
    else:
        assert response["Location"] == reverse("office:claim_detail", args=[claim.tracking_code])


@pytest.mark.parametrize("spelling", list(spellings("9345578690")))
def test_api_claim_list_filter(make_user, two_claims, spelling):
    first, _second = two_claims
    client = APIClient()
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    typed = spellings(first.tracking_code)[spelling]
    response = client.get("/api/v1/claims/", {"tracking_code": typed})
    assert response.status_code == 200, response.content
    assert [row["tracking_code"] for row in response.json()["results"]] == [first.tracking_code]


def test_api_claim_list_filter_refuses_letters_and_keeps_the_record_rules(make_user, two_claims):
    first, _second = two_claims
    user = make_user(Role.AGENCY_CLIENT)
    Agency.objects.create(code="gov", name="درگاه").users.add(user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=user).key}")
    response = client.get("/api/v1/claims/", {"tracking_code": "abc"})
    assert response.status_code == 400
    assert response.json()["extra"]["codes"] == {"tracking_code": ["digits_only"]}
    # Someone else's claim is not found by its code either.
    response = client.get("/api/v1/claims/", {"tracking_code": first.tracking_code})
    assert response.json()["results"] == []
