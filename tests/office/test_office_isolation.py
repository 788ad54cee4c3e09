"""An operator sees and touches only the claims of the office they work at."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.claim.models import ClaimStatus
from apps.meter_service.doctype.payment.models import Payment
from apps.meter_service.doctype.payment.services import payment_record_counter


@pytest.fixture
def claims(make_installation, file_office_claim, office_a, office_b, operator_a, operator_b):
    """One claim filed at office A, one at office B."""
    return {
        "a": file_office_claim(make_installation(), office_a, operator_a),
        "b": file_office_claim(make_installation(), office_b, operator_b),
    }


def test_list_shows_only_the_offices_own_claims(office_client, claims):
    response = office_client.get(reverse("office:claim_list"))

    listed = [claim.pk for claim in response.context["page"].object_list]
    assert listed == [claims["a"].pk]
    # The other office's whole code (its first digits alone may begin this office's code).
    other = to_persian_digits(tracking.display(claims["b"].tracking_code))
    assert other not in response.content.decode()


def test_another_offices_claim_is_not_found(office_client, claims):
    code = claims["b"].tracking_code
    for name in ("claim_detail", "claim_receipt"):
        assert office_client.get(reverse(f"office:{name}", args=[code])).status_code == 404
    # Searching for its tracking code finds nothing either.
    response = office_client.get(reverse("office:claim_list"), {"q": code})
    assert response.status_code == 200 and not response.context["page"].object_list


def test_another_offices_fee_cannot_be_collected(office_client, claims, operator_a):
    claim = claims["b"]

    response = office_client.post(reverse("office:claim_collect", args=[claim.tracking_code]))

    assert response.status_code == 404
    with pytest.raises(PermissionDenied):
        payment_record_counter(claim=claim, actor=operator_a)
    assert Payment.objects.count() == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.AWAITING_PAYMENT


def test_operator_of_both_offices_sees_only_the_current_one(
    client, make_operator, office_a, office_b, claims
):
    from apps.meter_service.office.views import OFFICE_SESSION_KEY

    both = make_operator(office_a, office_b)
    client.force_login(both)
    session = client.session
    session[OFFICE_SESSION_KEY] = office_a.pk
    session.save()

    assert (
        client.get(reverse("office:claim_detail", args=[claims["a"].tracking_code])).status_code
        == 200
    )
    assert (
        client.get(reverse("office:claim_detail", args=[claims["b"].tracking_code])).status_code
        == 404
    )


def test_search_by_tracking_code(office_client, claims):
    code = claims["a"].tracking_code
    url = reverse("office:claim_list")

    # The whole code, typed in Persian digits with dashes, opens the claim.
    response = office_client.get(
        url, {"q": to_persian_digits(f"{code[:3]}-{code[3:6]}-{code[6:]}")}
    )
    assert response["Location"] == reverse("office:claim_detail", args=[code])
    # Part of it lists the matching claims.
    response = office_client.get(url, {"q": code[2:7]})
    assert [c.pk for c in response.context["page"].object_list] == [claims["a"].pk]
    # Letters are refused with a message.
    response = office_client.get(url, {"q": "abc"})
    assert response.status_code == 200 and not response.context["page"].object_list
