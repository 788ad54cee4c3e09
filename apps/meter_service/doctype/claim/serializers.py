"""API serializers of claims: what comes in to file one, and what goes out."""

from __future__ import annotations

import datetime
import functools

from django.db.models import Field, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.meter_service import privacy
from apps.meter_service.api import fields
from apps.meter_service.api.serializers import DigitNormalizingSerializer, FlexibleDateField
from apps.meter_service.doctype.claim.error_codes import ClaimErrorCode
from apps.meter_service.doctype.claim.models import (
    Channel,
    Claim,
    ClaimOutcome,
    ClaimReason,
    ClaimStatus,
    FeeOutcome,
    PaymentMethod,
    VisitTime,
)
from apps.meter_service.doctype.claim.selectors import claim_result
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.custom_field.serializers import (
    custom_fields_input,
    custom_fields_output,
    custom_values_for,
)
from apps.meter_service.doctype.inspection.models import Verdict

# What the subscriber or the caller should do next, by status: read out by the IVR.
NEXT_STEPS: dict[str, tuple[str, object]] = {
    ClaimStatus.AWAITING_PAYMENT: (
        "pay",
        _("Pay the test fee before the deadline, or the claim expires."),
    ),
    ClaimStatus.PAID: ("wait_for_test", _("The fee is paid; wait for the meter test.")),
    ClaimStatus.IN_PROGRESS: (
        "wait_for_result",
        _("The meter is being tested; wait for the result."),
    ),
    ClaimStatus.CLOSED: ("none", _("The claim has ended; nothing more is needed.")),
    ClaimStatus.CANCELLED: (
        "file_again",
        _("The claim was cancelled; file a new one if the meter is still faulty."),
    ),
    ClaimStatus.EXPIRED: (
        "file_again",
        _("The claim expired unpaid; file a new one if the meter is still faulty."),
    ),
}

# Format values as the API's fields of their kind do (datetimes in local time, ISO 8601),
# for the outputs built by hand.
_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()
_READING = serializers.DecimalField(max_digits=12, decimal_places=3)


def _moment(value: datetime.datetime | None, zone: datetime.tzinfo | None = None) -> str | None:
    """An aware datetime (as the database gives them) as _DATETIME writes it: ISO 8601 in
    the current time zone (or `zone`, the current one read once for many), "Z" for UTC."""
    if not value:
        return None
    if timezone.is_naive(value):
        return _DATETIME.to_representation(value)
    text = value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@functools.cache
def _status_labels(language: str | None) -> dict[str, str]:
    with translation.override(language):
        return {status: str(label) for status, label in ClaimStatus.choices}


def status_label(status: str) -> str:
    """The status's name in the active language."""
    return _status_labels(translation.get_language())[status]


# The claim's fee fields, in the order the fee is shown; a zero channel fee is left out.
FEE_FIELDS = ("test_fee", "vat", "channel_fee")


def in_both_languages(text) -> dict[str, str]:
    """Return a translatable text in Persian and in English."""
    both = {}
    for language in ("fa", "en"):
        with translation.override(language):
            both[language] = str(text)
    return both


def _fee_label(name: str) -> str:
    field = Claim._meta.get_field(name)
    assert isinstance(field, Field)  # a fee is a column of the claim, not a relation
    return str(field.verbose_name)


def fee_lines(fee) -> list[dict]:
    """Return the fee of a claim or a quote as lines: kind, label, amount in Rial."""
    return [
        {
            "kind": name,
            "label": _fee_label(name),
            "amount_rial": getattr(fee, name),
        }
        for name in FEE_FIELDS
        if name != "channel_fee" or fee.channel_fee
    ]


class FeeLineSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FEE_FIELDS)
    # The stubs see Field.label; the serializer's metaclass takes declared fields off the class.
    label = serializers.CharField()  # type: ignore[assignment]
    amount_rial = serializers.IntegerField()


class ClaimResultSerializer(serializers.Serializer):
    """How a tested claim ended, as the subscriber's portal shows it."""

    outcome = serializers.ChoiceField(choices=ClaimOutcome.choices)
    outcome_label = serializers.CharField()
    verdict = serializers.ChoiceField(
        choices=Verdict.choices, allow_blank=True, help_text="The test's verdict."
    )
    verdict_label = serializers.CharField(allow_blank=True)
    error_percent = serializers.FloatField(
        allow_null=True, help_text="The measured error (%); null when the meter was stopped."
    )
    fee_outcome = serializers.ChoiceField(
        choices=FeeOutcome.choices,
        allow_blank=True,
        help_text="What became of the test fee; blank when the process did not decide (kept).",
    )
    fee_outcome_label = serializers.CharField(allow_blank=True)
    fee_refund_rial = serializers.IntegerField(
        help_text="The test fee refunded or waived from the gas bill; 0 when kept."
    )
    correction_rial = serializers.IntegerField(
        allow_null=True,
        help_text="The approved bill correction: negative is a credit to the subscriber; "
        "null when the bills were not corrected.",
    )
    damage_rial = serializers.IntegerField(
        allow_null=True, help_text="A tampered meter: the damage charged to the gas bill."
    )


def result_output(claim: Claim) -> dict | None:
    """The claim's result as ClaimResultSerializer writes it; None before it ends tested."""
    result = claim_result(claim)
    if result is None:
        return None
    return {
        "outcome": result.outcome,
        "outcome_label": result.outcome_label,
        "verdict": result.verdict,
        "verdict_label": result.verdict_label,
        "error_percent": result.error_percent,
        "fee_outcome": result.fee_outcome,
        "fee_outcome_label": result.fee_outcome_label,
        "fee_refund_rial": result.fee_refund_rial,
        "correction_rial": result.correction_rial,
        "damage_rial": result.damage_rial,
    }


class ClaimFileInputSerializer(DigitNormalizingSerializer):
    """A claim as a filer sends it; which identification fields apply depends on the role.

    Subscribers name one of their subscriptions; agencies and counter offices identify the
    subscriber by bill ID plus national ID (national legal ID for a business); the call
    centre (phone, an IVR) by subscription number or bill ID plus national ID, national
    legal ID or the mobile on file.
    """

    subscription_number = fields.SubscriptionNumberField(
        required=False,
        help_text=(
            "Subscribers: which of your subscriptions the claim is for. Call centre (phone): "
            "the subscription the caller names, or bill_id instead."
        ),
    )
    bill_id = fields.BillIdField(
        gas_only=True,
        required=False,
        help_text="Agencies and counter offices: the subscription's bill ID.",
    )
    national_id = fields.NationalIdField(
        required=False, help_text="With bill_id: the citizen subscriber's national ID."
    )
    national_legal_id = fields.NationalLegalIdField(
        required=False, help_text="With bill_id: a business subscriber's national legal ID."
    )
    mobile_on_file = fields.MobileField(
        required=False,
        help_text=(
            "Call centre (phone) only, instead of national_id: the mobile number on file "
            "for the subscription, as the caller gives it."
        ),
    )
    office_code = serializers.CharField(
        required=False,
        max_length=10,
        help_text="Counter-office operators of several offices: the office filing the claim.",
    )
    agency_code = serializers.CharField(
        required=False,
        max_length=20,
        help_text="Clients of several agencies: the agency filing the claim.",
    )
    reason = serializers.ChoiceField(choices=ClaimReason.choices)
    reason_text = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, default=""
    )
    last_reading = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=0, help_text="m³, the meter's black digits."
    )
    last_reading_date = FlexibleDateField(
        help_text="ISO (2024-08-02) or Jalali (1403/05/12, Persian digits accepted)."
    )
    last_bill_id = fields.BillIdField(gas_only=True, required=False, allow_blank=True, default="")
    last_payment_id = fields.PaymentIdField(required=False, allow_blank=True, default="")
    last_bill_scan = serializers.FileField(
        required=False,
        help_text="multipart/form-data only: PDF, JPEG or PNG of the last settled bill.",
    )
    contact_mobile = fields.MobileField()
    preferred_visit = serializers.ChoiceField(choices=VisitTime.choices, default=VisitTime.ANY)
    payment_method = serializers.ChoiceField(
        choices=PaymentMethod.choices,
        required=False,
        help_text="Required unless the channel offers one way to pay (counter offices).",
    )
    custom_fields = custom_fields_input()

    def validate(self, attrs: dict) -> dict:
        if attrs.get("national_id") and attrs.get("national_legal_id"):
            raise serializers.ValidationError(
                {
                    "national_legal_id": [
                        _("Give the national ID or the national legal ID, not both.")
                    ]
                },
                code=ClaimErrorCode.IDENTITY_AMBIGUOUS,
            )
        return attrs


class ClaimListOutputSerializer(serializers.Serializer):
    """One row of the claim list, built by hand from a values() row (see `rows()`).

    The list is the API's busiest read; DRF's per-field machinery and model instances would
    cost it more than its query. The fields below are what the schema documents.
    """

    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    status_label = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    subscription_number = serializers.CharField()
    total_rial = serializers.IntegerField()
    filed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)

    @staticmethod
    def rows(claims: QuerySet[Claim]) -> QuerySet:
        """Return the claims as the values() rows to_representation takes."""
        return claims.values(
            "tracking_code",
            "status",
            "channel",
            "total_fee",
            "filed_at",
            "expires_at",
            # A path rather than an F() annotation: the same join, less to resolve.
            "subscriber__subscription_number",
        )

    # Read once per page, not per row: the active time zone and language are thread-local
    # lookups that cost more than the rest of a row.
    @functools.cached_property
    def _zone(self) -> datetime.tzinfo:
        return timezone.get_current_timezone()

    @functools.cached_property
    def _status_labels(self) -> dict[str, str]:
        return _status_labels(translation.get_language())

    def to_representation(self, row: dict) -> dict:
        zone = self._zone
        return {
            "tracking_code": row["tracking_code"],
            "status": row["status"],
            "status_label": self._status_labels[row["status"]],
            "channel": row["channel"],
            "subscription_number": row["subscriber__subscription_number"],
            "total_rial": row["total_fee"],
            "filed_at": _moment(row["filed_at"], zone),
            "expires_at": _moment(row["expires_at"], zone),
        }


class ClaimDetailOutputSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    status_label = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    subscription_number = serializers.CharField(source="subscriber.subscription_number")
    total_rial = serializers.IntegerField(source="total_fee")
    filed_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    meter_serial = serializers.CharField(source="meter.serial")
    counter_office = serializers.CharField(source="counter_office.code", allow_null=True)
    agency = serializers.CharField(source="agency.code", allow_null=True)
    reason = serializers.ChoiceField(choices=ClaimReason.choices)
    reason_text = serializers.CharField()
    last_reading = serializers.DecimalField(max_digits=12, decimal_places=3)
    last_reading_date = serializers.DateField()
    contact_mobile = serializers.SerializerMethodField()
    preferred_visit = serializers.ChoiceField(choices=VisitTime.choices)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices)
    fees = serializers.SerializerMethodField()
    paid_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    result = serializers.SerializerMethodField(
        help_text="How the test ended (outcome, verdict, fee refund, bill correction); null "
        "until the claim closes with a test outcome."
    )
    custom_fields = custom_fields_output()

    def get_status_label(self, claim: Claim) -> str:
        return status_label(claim.status)

    @extend_schema_field(
        serializers.CharField(
            help_text="Masked (0912***4567) for the roles that do not need it "
            "(PERSONAL_DATA_ROLES)."
        )
    )
    def get_contact_mobile(self, claim: Claim) -> str:
        # As the caller (context["viewer"]) may see it; masked when no caller is named.
        return privacy.shown(self.context.get("viewer"), claim, "contact_mobile")

    @extend_schema_field(FeeLineSerializer(many=True))
    def get_fees(self, claim: Claim) -> list[dict]:
        return fee_lines(claim)

    @extend_schema_field(ClaimResultSerializer(allow_null=True))
    def get_result(self, claim: Claim) -> dict | None:
        return result_output(claim)

    def to_representation(self, claim: Claim) -> dict:
        # Built by hand, as the list's rows are: DRF would copy and bind the twenty fields
        # above for every response. The fields are what the schema documents, and
        # tests/api/test_claim_output.py holds the two to the same output.
        return {
            "tracking_code": claim.tracking_code,
            "status": claim.status,
            "status_label": status_label(claim.status),
            "channel": claim.channel,
            "subscription_number": claim.subscriber.subscription_number,
            "total_rial": claim.total_fee,
            "filed_at": _moment(claim.filed_at),
            "expires_at": _moment(claim.expires_at),
            "meter_serial": claim.meter.serial,
            "counter_office": claim.counter_office.code if claim.counter_office else None,
            "agency": claim.agency.code if claim.agency else None,
            "reason": claim.reason,
            "reason_text": claim.reason_text,
            "last_reading": _READING.to_representation(claim.last_reading),
            "last_reading_date": _DATE.to_representation(claim.last_reading_date),
            "contact_mobile": self.get_contact_mobile(claim),
            "preferred_visit": claim.preferred_visit,
            "payment_method": claim.payment_method,
            "fees": fee_lines(claim),
            "paid_at": _moment(claim.paid_at),
            "closed_at": _moment(claim.closed_at),
            "result": result_output(claim),
            "custom_fields": custom_values_for(
                self.context.get("viewer"), CustomFieldTarget.CLAIM, claim.custom_fields
            ),
        }


class ClaimFileOutputSerializer(ClaimDetailOutputSerializer):
    payment_url = serializers.SerializerMethodField()

    @extend_schema_field(
        serializers.URLField(
            allow_null=True,
            help_text=(
                "Gateway payments: where to send the payer. Null for other payment methods, "
                "or when the gateway could not be reached (POST .../pay/ to try again)."
            ),
        )
    )
    def get_payment_url(self, claim: Claim) -> str | None:
        """Return the gateway URL to send the payer to (only when paying online)."""
        return self.context.get("payment_url")

    def to_representation(self, claim: Claim) -> dict:
        return {**super().to_representation(claim), "payment_url": self.get_payment_url(claim)}


class ClaimPayOutputSerializer(serializers.Serializer):
    tracking_code = serializers.CharField()
    payment_url = serializers.URLField()


class ClaimCancelInputSerializer(DigitNormalizingSerializer):
    """Why the filer cancels (optional)."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ClaimListFilterSerializer(DigitNormalizingSerializer):
    """Filters of the claim list; dates ISO or Jalali."""

    status = serializers.ChoiceField(choices=ClaimStatus.choices, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    tracking_code = fields.CodeSearchField(
        required=False,
        help_text=(
            "All or part of a tracking code, as printed (934-557-8690) or read out; Persian "
            "digits accepted."
        ),
    )
    filed_from = FlexibleDateField(
        required=False, help_text="Filed on or after this day (ISO, or Jalali such as 1403/05/12)."
    )
    filed_to = FlexibleDateField(
        required=False, help_text="Filed on or before this day (ISO, or Jalali such as 1403/05/12)."
    )


class TextInBothLanguagesSerializer(serializers.Serializer):
    fa = serializers.CharField()
    en = serializers.CharField()


class NextStepSerializer(TextInBothLanguagesSerializer):
    code = serializers.ChoiceField(choices=sorted({code for code, _text in NEXT_STEPS.values()}))


class ClaimStatusOutputSerializer(serializers.Serializer):
    """A claim's status as the IVR reads it out: no personal data."""

    tracking_code = serializers.CharField()
    status = serializers.ChoiceField(choices=ClaimStatus.choices)
    # The stubs see Field.label; the serializer's metaclass takes declared fields off the class.
    label = serializers.SerializerMethodField()  # type: ignore[assignment]
    paid = serializers.SerializerMethodField()
    pay_by = serializers.DateTimeField(source="expires_at", allow_null=True)
    next_step = serializers.SerializerMethodField()

    @extend_schema_field(TextInBothLanguagesSerializer)
    def get_label(self, claim: Claim) -> dict[str, str]:
        return in_both_languages(ClaimStatus(claim.status).label)

    def get_paid(self, claim: Claim) -> bool:
        return claim.paid_at is not None

    @extend_schema_field(NextStepSerializer)
    def get_next_step(self, claim: Claim) -> dict[str, str]:
        code, text = NEXT_STEPS[claim.status]
        return {"code": code, **in_both_languages(text)}
