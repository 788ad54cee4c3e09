"""The claim outputs built by hand give what DRF's field-by-field output of the same
declared fields gives (the fields the schema documents)."""

from __future__ import annotations

import pytest
from django.utils import translation
from rest_framework import serializers

from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.claim.serializers import (
    ClaimDetailOutputSerializer,
    ClaimFileOutputSerializer,
)
from apps.meter_service.doctype.claim.services import claim_cancel, claim_mark_paid


def _generic(serializer) -> dict:
    return dict(serializers.Serializer.to_representation(serializer, serializer.instance))


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fa", "en"])
def test_hand_built_outputs_match_the_declared_fields(world, language):
    claims = [Claim.objects.get(pk=claim.pk) for claim in world.claims.values()]
    claim_mark_paid(claim=claims[0], reference="desk-1")
    claim_cancel(claim=claims[1], reason="")
    # A claim closed as faulty, as the process leaves it (see tests/api/test_claims.py).
    Claim.objects.filter(pk=claims[2].pk).update(
        status="closed",
        outcome="faulty",
        fee_outcome="refund",
        findings={"verdict": "slow", "error_percent": -4.5, "correction_rial": 700000},
    )
    claims = [Claim.objects.get(pk=claim.pk) for claim in claims]
    assert {claim.channel for claim in claims} == {"web", "counter_office", "agency"}
    with translation.override(language):
        for claim in claims:
            detail = ClaimDetailOutputSerializer(claim)
            assert detail.data == _generic(detail)
            filed = ClaimFileOutputSerializer(claim, context={"payment_url": "https://pay/x"})
            assert filed.data == _generic(filed)
            assert filed.data["payment_url"] == "https://pay/x"
    assert ClaimDetailOutputSerializer(claims[2]).data["result"]["correction_rial"] == 700_000
