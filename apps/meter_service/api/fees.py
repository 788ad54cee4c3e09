"""The fee of a claim before filing it."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.meter_service.api import fields
from apps.meter_service.api.base import MeterApi
from apps.meter_service.api.permissions import CanViewClaims, filing_channel
from apps.meter_service.api.schema import error_responses
from apps.meter_service.api.serializers import DigitNormalizingSerializer
from apps.meter_service.doctype.claim import rules
from apps.meter_service.doctype.claim.error_codes import ClaimErrorCode
from apps.meter_service.doctype.claim.models import Channel
from apps.meter_service.doctype.claim.serializers import FeeLineSerializer, fee_lines
from apps.meter_service.doctype.fee_tariff.selectors import fee_quote
from apps.meter_service.doctype.meter.selectors import current_installation
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.selectors import subscriber_by_number, subscriber_list


class FeeQuoteInputSerializer(DigitNormalizingSerializer):
    """Which subscription, and on which channel."""

    subscription_number = fields.SubscriptionNumberField()
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="Defaults to the channel the caller files on (web for staff).",
    )


class FeeQuoteOutputSerializer(serializers.Serializer):
    """The fee lines and the total a claim filed today would cost."""

    subscription_number = serializers.CharField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    on_date = serializers.DateField()
    fees = FeeLineSerializer(many=True)
    vat_percent = serializers.CharField()
    total_rial = serializers.IntegerField()


class FeeQuoteApi(MeterApi):
    """Quote the fee of a claim before filing it."""

    permission_classes = [CanViewClaims]

    @extend_schema(
        operation_id="fees_quote",
        summary="What a claim would cost today",
        description=(
            "Subscribers may quote their own subscriptions only; counter offices, agencies "
            "and staff any subscription (the answer holds no personal data)."
        ),
        parameters=[FeeQuoteInputSerializer],
        responses={200: FeeQuoteOutputSerializer, **error_responses(400, 401, 403, 404)},
        tags=["fees"],
    )
    def get(self, request: Request) -> Response:
        serializer = FeeQuoteInputSerializer(data=request.query_params.dict())
        serializer.is_valid(raise_exception=True)
        number = serializer.validated_data["subscription_number"]
        own_channel = filing_channel(request.user)
        channel = serializer.validated_data.get("channel") or own_channel or Channel.WEB
        subscribers = (
            subscriber_list(user=request.user)
            if own_channel == Channel.WEB
            else Subscriber.objects.all()
        )
        subscriber = subscriber_by_number(number, queryset=subscribers)
        if subscriber is None:
            raise Http404
        installation = current_installation(subscriber=subscriber)
        if installation is None:
            raise serializers.ValidationError(
                {"subscription_number": [rules.NO_METER_MESSAGE]},
                code=ClaimErrorCode.NO_METER_INSTALLED,
            )
        today = timezone.localdate()
        quote = fee_quote(
            meter_size=installation.meter.size,
            customer_type=subscriber.customer_type,
            channel=channel,
            on_date=today,
        )
        output = {
            "subscription_number": number,
            "channel": channel,
            "on_date": today,
            "fees": fee_lines(quote),
            "vat_percent": quote.vat_percent,
            "total_rial": quote.total,
        }
        return Response(FeeQuoteOutputSerializer(output).data)
