"""Claims over the API: file, list, read, cancel, and the status an IVR reads out.

Every read goes through the claim selectors (so through the record rules) and every change
through the claim services; this module only turns HTTP into their arguments and back.
"""

from __future__ import annotations

import datetime
import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.meter_service.api.base import PAGING_PARAMETERS, MeterApi, paginated_response
from apps.meter_service.api.exceptions import Conflict, GatewayUnavailable
from apps.meter_service.api.permissions import (
    CanActOnFiledClaims,
    CanFileClaims,
    CanLookUpClaimStatus,
    CanViewClaims,
    filing_channel,
    may_look_up_any_status,
)
from apps.meter_service.api.schema import PAGING, error_responses
from apps.meter_service.api.serializers import page_of
from apps.meter_service.core.client_address import public_url
from apps.meter_service.core.error_codes import ApiErrorCode, CommonErrorCode
from apps.meter_service.core.identifiers import SubscriptionKey
from apps.meter_service.doctype.agency.selectors import client_agencies
from apps.meter_service.doctype.claim import rules, selectors, services
from apps.meter_service.doctype.claim.models import Channel, Claim, PaymentMethod
from apps.meter_service.doctype.claim.serializers import (
    ClaimCancelInputSerializer,
    ClaimDetailOutputSerializer,
    ClaimFileInputSerializer,
    ClaimFileOutputSerializer,
    ClaimListFilterSerializer,
    ClaimListOutputSerializer,
    ClaimPayOutputSerializer,
    ClaimStatusOutputSerializer,
)
from apps.meter_service.doctype.payment.services import payment_start_gateway
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.selectors import (
    subscriber_by_number,
    subscriber_for_caller,
    subscriber_list,
)
from apps.meter_service.office.selectors import operator_offices, walk_in_subscriber

logger = logging.getLogger("meter_service.api")

# The fields of the input that go to services.claim_file unchanged.
CLAIM_FIELDS = (
    "reason",
    "reason_text",
    "last_reading",
    "last_reading_date",
    "last_bill_id",
    "last_payment_id",
    "last_bill_scan",
    "contact_mobile",
    "preferred_visit",
)
TRACKING_CODE = OpenApiParameter(
    "tracking_code",
    str,
    OpenApiParameter.PATH,
    description="The claim's 10-digit tracking code (Persian digits and dashes accepted).",
)
NO_OFFICE_MESSAGE = _("Your account operates no active counter office.")
NO_AGENCY_MESSAGE = _("Your account belongs to no active agency.")
IDENTITY_MESSAGES = {
    "national_id": _("No subscription has this bill ID with this national ID."),
    "national_legal_id": _("No subscription has this bill ID with this national legal ID."),
}
# A caller names the subscription by number or bill ID and proves it one of three ways.
CALLER_PROOFS = ("national_id", "national_legal_id", "mobile_on_file")
CALLER_MESSAGES = {
    "national_id": _(
        "No subscription has this subscription number or bill ID with this national ID."
    ),
    "national_legal_id": _(
        "No subscription has this subscription number or bill ID with this national legal ID."
    ),
    "mobile_on_file": _(
        "No subscription has this subscription number or bill ID with this mobile on file."
    ),
}


def _field_error(field: str, message, code: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]}, code=code)


def _required(field: str) -> serializers.ValidationError:
    return _field_error(
        field, serializers.Field.default_error_messages["required"], CommonErrorCode.REQUIRED
    )


def _invalid_choice(field: str, value: str) -> serializers.ValidationError:
    message = serializers.ChoiceField.default_error_messages["invalid_choice"]
    return _field_error(field, message.format(input=value), CommonErrorCode.INVALID_CHOICE)


def visible_claim(*, user, code: str) -> Claim:
    """Return the claim with this tracking code if the user may see it; else Http404."""
    claim = selectors.claim_by_tracking_code(code=code)
    if claim is None:
        raise Http404
    return selectors.claim_get(user=user, pk=claim.pk)


def _own_subscription(user, number: str | None) -> Subscriber:
    if not number:
        raise _required("subscription_number")
    subscriber = subscriber_by_number(number, queryset=subscriber_list(user=user))
    if subscriber is None:
        raise Http404
    return subscriber


def _identified_subscriber(data: dict) -> Subscriber:
    """Return the subscriber a walk-in or an agency names: bill ID plus the owner's ID."""
    if not data.get("bill_id"):
        raise _required("bill_id")
    identity = "national_legal_id" if data.get("national_legal_id") else "national_id"
    if not data.get(identity):
        raise _required(identity)
    subscriber = walk_in_subscriber(bill_id=data["bill_id"], identity=data[identity])
    if subscriber is None:
        raise _field_error(
            identity, IDENTITY_MESSAGES[identity], ApiErrorCode.SUBSCRIBER_NOT_IDENTIFIED
        )
    return subscriber


def _caller_subscriber(data: dict) -> Subscriber:
    """Return the subscriber a caller names (subscription number or bill ID) and proves
    (national ID, national legal ID or mobile on file), as the desk's phone form does."""
    number, bill_id = data.get("subscription_number"), data.get("bill_id")
    if not (number or bill_id):
        raise _required("subscription_number")
    proofs = {name: data[name] for name in CALLER_PROOFS if data.get(name)}
    if not proofs:
        raise _required("national_id")
    subscriber = subscriber_for_caller(
        SubscriptionKey(number or None, None if number else bill_id),
        national_id=proofs.get("national_id", ""),
        national_legal_id=proofs.get("national_legal_id", ""),
        mobile=proofs.get("mobile_on_file", ""),
    )
    if subscriber is not None and bill_id and subscriber.bill_id != bill_id:
        subscriber = None  # a number and a bill ID of two different subscriptions
    if subscriber is None:
        field = next(iter(proofs))
        raise _field_error(field, CALLER_MESSAGES[field], ApiErrorCode.SUBSCRIBER_NOT_IDENTIFIED)
    return subscriber


def choose_own(active, code: str | None, field: str, none_message):
    """Return the caller's one office or agency (of its active ones), or the one its code
    names."""
    choices = list(active)
    if not choices:
        raise PermissionDenied(none_message)
    if code:
        for choice in choices:
            if choice.code == code:
                return choice
        raise _invalid_choice(field, code)
    if len(choices) > 1:
        raise _required(field)
    return choices[0]


def _filing_arguments(user, channel: str, data: dict) -> dict:
    """Return who the claim is for and who files it, as claim_file's keyword arguments."""
    if channel == Channel.WEB:
        return {"subscriber": _own_subscription(user, data.get("subscription_number"))}
    if channel == Channel.PHONE:
        return {"subscriber": _caller_subscriber(data)}
    if channel == Channel.COUNTER_OFFICE:
        office = choose_own(
            operator_offices(user=user), data.get("office_code"), "office_code", NO_OFFICE_MESSAGE
        )
        return {"subscriber": _identified_subscriber(data), "counter_office": office}
    agency = choose_own(
        client_agencies(user=user),
        data.get("agency_code"),
        "agency_code",
        NO_AGENCY_MESSAGE,
    )
    return {"subscriber": _identified_subscriber(data), "agency": agency}


def _payment_method(channel: Channel, chosen: str | None) -> str:
    if chosen:
        return chosen
    offered = rules.PAYMENT_METHODS_BY_CHANNEL.get(channel, set())
    if len(offered) == 1:
        return next(iter(offered))
    raise _required("payment_method")


def start_payment(request: Request, claim: Claim) -> str:
    """Start a gateway payment of the claim's fee; return the URL to send the payer to.

    The gateway sends the payer back to the site's own callback, which settles the payment.
    """
    callback_url = public_url(request, reverse("payment:callback"))
    try:
        return payment_start_gateway(claim=claim, actor=request.user, callback_url=callback_url)
    except DjangoValidationError as error:
        if str(getattr(error, "code", "")).startswith("gateway"):
            raise GatewayUnavailable(detail=" ".join(error.messages)) from error
        raise Conflict.from_validation_error(error) from error


def _filed_between(queryset, filters: dict):
    """Narrow a claim list by status, channel and local filing days."""
    for name in ("status", "channel"):
        if filters.get(name):
            queryset = queryset.filter(**{name: filters[name]})
    if filters.get("tracking_code"):
        queryset = queryset.filter(tracking_code__contains=filters["tracking_code"])
    zone = timezone.get_current_timezone()
    if filters.get("filed_from"):
        start = datetime.datetime.combine(filters["filed_from"], datetime.time.min, zone)
        queryset = queryset.filter(filed_at__gte=start)
    if filters.get("filed_to") and filters["filed_to"] < datetime.date.max:
        day_after = filters["filed_to"] + datetime.timedelta(days=1)
        queryset = queryset.filter(
            filed_at__lt=datetime.datetime.combine(day_after, datetime.time.min, zone)
        )
    return queryset


class ClaimListApi(MeterApi):
    """List the claims the caller may see, newest first, a page at a time."""

    permission_classes = [CanViewClaims]

    @extend_schema(
        operation_id="claims_list",
        summary="List the claims the caller may see",
        description=(
            "Subscribers see their own claims, counter-office operators their offices', "
            "agencies their agency's, staff every claim. Newest first; paged (follow next)."
        ),
        parameters=[ClaimListFilterSerializer, *PAGING],
        responses={
            200: page_of(ClaimListOutputSerializer, "PaginatedClaimList"),
            **error_responses(400, 401, 403),
        },
        tags=["claims"],
    )
    def get(self, request: Request) -> Response:
        claims = selectors.claim_scope(user=request.user)
        if set(request.query_params) - PAGING_PARAMETERS:
            # A plain dict, not the QueryDict: "?status=" is then an invalid status, not
            # "any".
            filters = ClaimListFilterSerializer(data=request.query_params.dict())
            filters.is_valid(raise_exception=True)
            claims = _filed_between(claims, filters.validated_data)
        return paginated_response(
            request=request,
            view=self,
            queryset=claims,
            serializer_class=ClaimListOutputSerializer,
            rows=ClaimListOutputSerializer.rows,
        )


class ClaimFileApi(MeterApi):
    """File a claim on the channel of the caller's role."""

    permission_classes = [CanFileClaims]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="claims_file",
        summary="File a meter test claim",
        description=(
            "Subscribers name one of their subscriptions (subscription_number); counter-office "
            "operators and agencies identify the subscriber by bill_id plus national_id (or "
            "national_legal_id for a business). The call centre (phone, an IVR) names the "
            "subscription by subscription_number or bill_id and proves it with national_id, "
            "national_legal_id or mobile_on_file; its claims go on the next gas bill. The "
            "channel follows the caller's role: web, counter_office, agency or phone. Send "
            "multipart/form-data to attach a bill scan."
        ),
        request=ClaimFileInputSerializer,
        responses={201: ClaimFileOutputSerializer, **error_responses(400, 401, 403, 404, 415)},
        tags=["claims"],
    )
    def post(self, request: Request) -> Response:
        serializer = ClaimFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        channel = filing_channel(request.user)
        assert channel is not None  # CanFileClaims lets in only a user with a channel
        claim = services.claim_file(
            channel=channel,
            payment_method=_payment_method(channel, data.get("payment_method")),
            actor=request.user,
            **_filing_arguments(request.user, channel, data),
            **{name: data[name] for name in CLAIM_FIELDS if name in data},
            custom_fields=data.get("custom_fields", {}),
        )
        payment_url = None
        if claim.payment_method == PaymentMethod.GATEWAY:
            try:
                payment_url = start_payment(request, claim)
            except GatewayUnavailable:
                # The claim stands; the payer can start the payment again (.../pay/).
                logger.warning("gateway payment not started", extra={"claim": claim.pk})
        # The claim as filed, with the subscriber, meter, office or agency it was filed
        # with: all the output shows, so nothing is read back.
        output = ClaimFileOutputSerializer(
            claim, context={"payment_url": payment_url, "viewer": request.user}
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


class ClaimCollectionApi(ClaimListApi, ClaimFileApi):
    """/claims/: GET is ClaimListApi, POST is ClaimFileApi, each with its own permission."""

    def get_permissions(self):
        operation = ClaimFileApi if self.request.method == "POST" else ClaimListApi
        return [permission() for permission in operation.permission_classes]


class ClaimDetailApi(MeterApi):
    """Read one claim the caller may see, by its tracking code."""

    permission_classes = [CanViewClaims]

    @extend_schema(
        operation_id="claims_get",
        summary="Read one claim",
        description="A claim the caller may not see answers 404, as a missing one does.",
        parameters=[TRACKING_CODE],
        responses={200: ClaimDetailOutputSerializer, **error_responses(401, 403, 404)},
        tags=["claims"],
    )
    def get(self, request: Request, tracking_code: str) -> Response:
        claim = visible_claim(user=request.user, code=tracking_code)
        return Response(ClaimDetailOutputSerializer(claim, context={"viewer": request.user}).data)


class ClaimCancelApi(MeterApi):
    """Cancel a claim while its fee is unpaid (filers only)."""

    permission_classes = [CanActOnFiledClaims]

    @extend_schema(
        operation_id="claims_cancel",
        summary="Cancel an unpaid claim",
        description="Only while the fee is unpaid; otherwise 409 with the reason.",
        parameters=[TRACKING_CODE],
        request=ClaimCancelInputSerializer,
        responses={
            200: ClaimDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
        tags=["claims"],
    )
    def post(self, request: Request, tracking_code: str) -> Response:
        serializer = ClaimCancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        claim = visible_claim(user=request.user, code=tracking_code)
        try:
            claim = services.claim_cancel(
                claim=claim, actor=request.user, reason=serializer.validated_data["reason"]
            )
        except DjangoValidationError as error:
            raise Conflict.from_validation_error(error) from error
        claim = selectors.claim_get(user=request.user, pk=claim.pk)
        return Response(ClaimDetailOutputSerializer(claim, context={"viewer": request.user}).data)


class ClaimPayApi(MeterApi):
    """Start (or start again) the online payment of a claim's fee."""

    permission_classes = [CanActOnFiledClaims]

    @extend_schema(
        operation_id="claims_pay",
        summary="Start the online payment of a claim's fee",
        description=(
            "For a claim to be paid through the gateway and still awaiting payment: returns "
            "the gateway URL to send the payer to. 409 when the claim is not payable online, "
            "503 when the gateway cannot be reached."
        ),
        parameters=[TRACKING_CODE],
        request=None,
        responses={
            201: ClaimPayOutputSerializer,
            **error_responses(401, 403, 404, 409, 503),
        },
        tags=["claims"],
    )
    def post(self, request: Request, tracking_code: str) -> Response:
        claim = visible_claim(user=request.user, code=tracking_code)
        payment_url = start_payment(request, claim)
        output = ClaimPayOutputSerializer(
            {"tracking_code": claim.tracking_code, "payment_url": payment_url}
        )
        return Response(output.data, status=status.HTTP_201_CREATED)


class ClaimStatusApi(MeterApi):
    """Read a claim's status by its tracking code, in Persian and English."""

    permission_classes = [CanLookUpClaimStatus]

    @extend_schema(
        operation_id="claims_status",
        summary="A claim's status, for the IVR",
        description=(
            "Status code, its label in Persian and English, whether the fee is paid and the "
            "next step. Callers see the claims they may see; the IVR's account (permission "
            "view_claim_status) any claim, with no personal data."
        ),
        parameters=[TRACKING_CODE],
        responses={200: ClaimStatusOutputSerializer, **error_responses(401, 403, 404)},
        tags=["claims"],
    )
    def get(self, request: Request, tracking_code: str) -> Response:
        if may_look_up_any_status(request.user):
            claim = selectors.claim_by_tracking_code(code=tracking_code)
            if claim is None:
                raise Http404
        else:
            claim = visible_claim(user=request.user, code=tracking_code)
        return Response(ClaimStatusOutputSerializer(claim).data)
