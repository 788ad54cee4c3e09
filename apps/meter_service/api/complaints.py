"""Complaints over the API: file, list, read with the conversation, reply.

For the complainants' side only: subscribers (portal channel) and sending systems such as
the national complaints system, 3194 (an agency; national_system channel). Staff work on
complaints in the desk. Reads go through the complaint selectors (the record rules), changes
through the complaint services.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.meter_service.api.base import MeterApi, paginated_response
from apps.meter_service.api.claims import NO_AGENCY_MESSAGE, choose_own
from apps.meter_service.api.exceptions import Conflict
from apps.meter_service.api.permissions import (
    CanFileComplaints,
    CanViewComplaints,
    complaint_channel,
)
from apps.meter_service.api.schema import PAGING, error_responses
from apps.meter_service.api.serializers import page_of
from apps.meter_service.core.error_codes import ApiErrorCode, CommonErrorCode
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.agency.selectors import client_agencies
from apps.meter_service.doctype.claim import selectors as claim_selectors
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint import selectors, services
from apps.meter_service.doctype.complaint.models import Complaint, ComplaintChannel
from apps.meter_service.doctype.complaint.serializers import (
    STATUS_NUMBERS,
    ComplaintDetailOutputSerializer,
    ComplaintFileInputSerializer,
    ComplaintListFilterSerializer,
    ComplaintListOutputSerializer,
    ComplaintReplyInputSerializer,
)
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.selectors import subscriber_by_number, subscriber_list

TRACKING_CODE = OpenApiParameter(
    "tracking_code",
    str,
    OpenApiParameter.PATH,
    description="The complaint's 10-digit number (Persian digits and dashes accepted).",
)
# One answer for a claim or subscription that does not exist and one the caller may not
# name: the API never tells whether someone else's record exists.
NO_SUCH_CLAIM_MESSAGE = _("No such claim.")
NO_SUCH_SUBSCRIPTION_MESSAGE = _("No such subscription.")
NAME_THE_SUBJECT_MESSAGE = _("Name the subscription or the claim the complaint is about.")
# What a sending system must send that a subscriber's account already tells.
SENDER_REQUIRED = ("external_reference", "complainant_name", "contact_mobile")


def _field_error(field: str, message, code: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]}, code=code)


def _subscriber(subscribers, data: dict) -> Subscriber | None:
    """Return the subscription named by number and/or bill ID among subscribers, if any."""
    named = {name: data[name] for name in ("subscription_number", "bill_id") if data.get(name)}
    if not named:
        return None
    if "bill_id" in named:
        subscribers = subscribers.filter(bill_id=named["bill_id"])
    if "subscription_number" in named:
        subscriber = subscriber_by_number(named["subscription_number"], queryset=subscribers)
    else:
        subscriber = subscribers.first()
    if subscriber is None:
        field = "subscription_number" if "subscription_number" in named else "bill_id"
        raise _field_error(field, NO_SUCH_SUBSCRIPTION_MESSAGE, ApiErrorCode.NO_SUCH_SUBSCRIPTION)
    return subscriber


def _claim(claims, code: str) -> Claim | None:
    """Return the claim with this tracking code among claims, if a code was given."""
    if not code:
        return None
    claim = claim_selectors.claim_by_tracking_code(code=code)
    if claim is None or not claims.filter(pk=claim.pk).exists():
        raise _field_error("claim", NO_SUCH_CLAIM_MESSAGE, ApiErrorCode.NO_SUCH_CLAIM)
    return claim


def _sender(user, data: dict) -> Agency:
    """Return the caller's agency after checking what a sending system must send."""
    agency = choose_own(
        client_agencies(user=user),
        data.get("agency_code"),
        "agency_code",
        NO_AGENCY_MESSAGE,
    )
    missing = [name for name in SENDER_REQUIRED if not data.get(name)]
    if missing:
        message = serializers.Field.default_error_messages["required"]
        raise serializers.ValidationError(
            {name: [message] for name in missing}, code=CommonErrorCode.REQUIRED
        )
    return agency


def _earlier(agency: Agency, reference: str) -> Complaint | None:
    """The complaint the agency already sent with this reference (complaint_file's rule)."""
    return Complaint.objects.filter(agency=agency, external_reference=reference).first()


def _named_by_sender(data: dict) -> tuple[dict, list[tuple[str, str]]]:
    """Return the subscriber and claim a sending system names (complaint_file's arguments)
    and what it named that matched nothing, for staff.

    A sending system relays citizens' complaints and holds no records here, so its answer
    must not tell whether a number it sent exists or whose it is: a subscription or claim
    that is not found, or a claim of another subscription, files the complaint all the same
    (the numbers noted for staff), with the answer any other complaint gets.
    """
    unmatched: list[tuple[str, str]] = []
    try:
        subscriber = _subscriber(Subscriber.objects.all(), data)
    except serializers.ValidationError:
        subscriber = None
        unmatched.append(("subscription", data.get("subscription_number") or data["bill_id"]))
    claim = None
    if data.get("claim"):
        claim = claim_selectors.claim_by_tracking_code(code=data["claim"])
        if claim is None:
            unmatched.append(("claim", data["claim"]))
    if claim is not None and subscriber is not None and claim.subscriber_id != subscriber.pk:
        # The claim is the more precise of the two; the subscription named goes to staff.
        unmatched.append(("subscription", subscriber.subscription_number))
        subscriber = None
    return {"subscriber": subscriber, "claim": claim}, unmatched


def _about(user, channel: str, data: dict) -> dict:
    """Return the subscriber and claim complained about, as complaint_file's arguments.

    A subscriber may name only their own subscriptions and claims, and must name one.
    """
    subscribers, claims = subscriber_list(user=user), claim_selectors.claim_list(user=user)
    subscriber = _subscriber(subscribers, data)
    claim = _claim(claims, data.get("claim", ""))
    if channel == ComplaintChannel.PORTAL and subscriber is None and claim is None:
        raise _field_error(
            "subscription_number", NAME_THE_SUBJECT_MESSAGE, CommonErrorCode.REQUIRED
        )
    return {"subscriber": subscriber, "claim": claim}


def complaint_response(user, tracking_code: str, code: int = status.HTTP_200_OK) -> Response:
    """Answer with the complaint as the caller may see it now, with its public conversation
    (404 when it is not the caller's)."""
    complaint = selectors.complaint_get(user=user, code=tracking_code)
    conversation = selectors.complaint_conversation(complaint=complaint, include_private=False)
    output = ComplaintDetailOutputSerializer(
        complaint, context={"conversation": conversation, "viewer": user}
    )
    return Response(output.data, status=code)


class ComplaintListApi(MeterApi):
    """List the complaints the caller may see, newest first, a page at a time."""

    permission_classes = [CanViewComplaints]

    @extend_schema(
        operation_id="complaints_list",
        summary="List the complaints the caller may see",
        description=(
            "Subscribers see the complaints about their subscriptions and those they filed; "
            "a sending system the ones it sent. Newest first; paged (follow next)."
        ),
        parameters=[ComplaintListFilterSerializer, *PAGING],
        responses={
            200: page_of(ComplaintListOutputSerializer, "PaginatedComplaintList"),
            **error_responses(400, 401, 403),
        },
        tags=["complaints"],
    )
    def get(self, request: Request) -> Response:
        # A plain dict, not the QueryDict: "?status=" is then an invalid status, not "any".
        filters = ComplaintListFilterSerializer(data=request.query_params.dict())
        filters.is_valid(raise_exception=True)
        complaints = selectors.complaint_list(user=request.user)
        if filters.validated_data.get("status"):
            number = STATUS_NUMBERS[filters.validated_data["status"]]
            complaints = complaints.filter(ticket__status=number)
        return paginated_response(
            request=request,
            view=self,
            queryset=complaints,
            serializer_class=ComplaintListOutputSerializer,
            context={"viewer": request.user},
        )


def _attachments(data: dict) -> list:
    return [data["attachment"]] if data.get("attachment") else []


class ComplaintFileApi(MeterApi):
    """File a complaint on the channel of the caller's role."""

    permission_classes = [CanFileComplaints]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="complaints_file",
        summary="File a complaint",
        description=(
            "Sending systems (the national complaints system, 3194) send external_reference, "
            "complainant_name and contact_mobile, and may name any subscription "
            "(subscription_number or bill_id) and claim; a claim alone names its subscriber. "
            "Whether they exist is not told: the complaint is filed either way (what matched "
            "nothing is noted for staff) and the answer shows neither the subscription nor a "
            "claim the system did not file, nor the complainant's details it sent. "
            "The same external_reference again answers 200 with the complaint already filed. "
            "Subscribers name one of their subscriptions or claims. The channel follows the "
            "caller's role: national_system or portal. Send multipart/form-data to attach a "
            "document or photo."
        ),
        request=ComplaintFileInputSerializer,
        responses={
            201: ComplaintDetailOutputSerializer,
            200: OpenApiResponse(
                response=ComplaintDetailOutputSerializer,
                description="This external_reference was sent before: that complaint.",
            ),
            **error_responses(400, 401, 403, 415),
        },
        tags=["complaints"],
    )
    def post(self, request: Request) -> Response:
        serializer = ComplaintFileInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user = request.user
        channel = complaint_channel(user)
        assert channel is not None  # CanFileComplaints lets in only a user with a channel
        agency = None
        reference = ""
        unmatched: list[tuple[str, str]] = []
        if channel == ComplaintChannel.NATIONAL_SYSTEM:
            agency = _sender(user, data)
            reference = data["external_reference"]
            earlier = _earlier(agency, reference)
            if earlier is not None:
                return complaint_response(user, earlier.tracking_code)
            about, unmatched = _named_by_sender(data)
        else:
            about = _about(user, channel, data)
        try:
            complaint = services.complaint_file(
                actor=user,
                channel=channel,
                topic=data["topic"],
                title=data["title"],
                description=data["text"],
                complainant_name=data["complainant_name"],
                contact_mobile=data["contact_mobile"],
                contact_email=data["contact_email"],
                agency=agency,
                external_reference=reference,
                attachments=_attachments(data),
                unmatched_names=unmatched,
                custom_fields=data.get("custom_fields", {}),
                **about,
            )
        except IntegrityError:
            # The same reference sent twice at once: the other request filed it.
            earlier = _earlier(agency, reference) if agency else None
            if earlier is None:
                raise
            return complaint_response(user, earlier.tracking_code)
        except DjangoValidationError as error:
            # The service calls the text "description"; the API calls it "text".
            if hasattr(error, "error_dict") and "description" in error.error_dict:
                error.error_dict["text"] = error.error_dict.pop("description")
            raise
        return complaint_response(user, complaint.tracking_code, status.HTTP_201_CREATED)


class ComplaintCollectionApi(ComplaintListApi, ComplaintFileApi):
    """/complaints/: GET is ComplaintListApi, POST is ComplaintFileApi, each with its own
    permission."""

    def get_permissions(self):
        operation = ComplaintFileApi if self.request.method == "POST" else ComplaintListApi
        return [permission() for permission in operation.permission_classes]


class ComplaintDetailApi(MeterApi):
    """Read one complaint the caller may see, with its public conversation."""

    permission_classes = [CanViewComplaints]

    @extend_schema(
        operation_id="complaints_get",
        summary="Read one complaint and its conversation",
        description=(
            "The messages the complainant sees, oldest first (staff's internal notes are not "
            "shown). A complaint the caller may not see answers 404, as a missing one does."
        ),
        parameters=[TRACKING_CODE],
        responses={200: ComplaintDetailOutputSerializer, **error_responses(401, 403, 404)},
        tags=["complaints"],
    )
    def get(self, request: Request, tracking_code: str) -> Response:
        return complaint_response(request.user, tracking_code)


class ComplaintReplyApi(MeterApi):
    """The complainant writes back; a reply to an answered complaint reopens it."""

    permission_classes = [CanFileComplaints]
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(
        operation_id="complaints_reply",
        summary="Reply to a complaint (the complainant)",
        description=(
            "A reply to an answered complaint reopens it with a new answer deadline. A closed "
            "complaint takes no reply: 409 with the reason (file a new complaint instead). "
            "Send multipart/form-data to attach a document or photo."
        ),
        parameters=[TRACKING_CODE],
        request=ComplaintReplyInputSerializer,
        responses={
            201: ComplaintDetailOutputSerializer,
            **error_responses(400, 401, 403, 404, 409, 415),
        },
        tags=["complaints"],
    )
    def post(self, request: Request, tracking_code: str) -> Response:
        serializer = ComplaintReplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        complaint = selectors.complaint_get(user=request.user, code=tracking_code)
        try:
            services.complaint_subscriber_reply(
                complaint=complaint,
                actor=request.user,
                text=serializer.validated_data["text"],
                attachments=_attachments(serializer.validated_data),
            )
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                raise  # a field's fault: 400
            raise Conflict.from_validation_error(error) from error
        return complaint_response(request.user, complaint.tracking_code, status.HTTP_201_CREATED)
