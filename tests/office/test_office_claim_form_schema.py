"""The process's claim form at the counter: the operator asks the further details too."""

from __future__ import annotations

import pytest

from apps.meter_service.doctype.claim.models import Claim
from tests.office.test_walk_in_claims import CLAIM_NEW, _claim_form, _identify
from tests.portal.test_claim_form_schema import claim_form_active  # noqa: F401

pytestmark = pytest.mark.django_db


def test_the_operator_files_with_the_further_details(
    office_client,
    installed,
    tariffs,
    claim_form_active,  # noqa: F811
):
    _identify(office_client, installed)
    page = office_client.get(CLAIM_NEW).content.decode()
    assert 'name="more-meter_place"' in page and 'id="more-details"' in page

    refused = office_client.post(CLAIM_NEW, _claim_form(installed, **{"more-floor": "۲"}))
    assert refused.status_code == 200 and not Claim.objects.exists()
    assert 'id="error-summary"' in refused.content.decode()

    filed = office_client.post(
        CLAIM_NEW, _claim_form(installed, **{"more-meter_place": "outside", "more-floor": "۲"})
    )
    assert filed.status_code == 302
    assert Claim.objects.get().extra_fields == {"meter_place": "outside", "floor": 2}
