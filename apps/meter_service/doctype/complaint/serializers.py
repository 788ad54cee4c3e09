"""API serializers of complaints: what comes in to file one or reply, and what goes out."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from helpdesk.models import FollowUp, Queue
from rest_framework import serializers

from apps.meter_service.api import fields
from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.core.forms import normalize_input
from apps.meter_service.doctype.complaint import rules
from apps.meter_service.doctype.complaint.models import Complaint, ComplaintChannel
from apps.meter_service.doctype.complaint.selectors import complaint_topics
from apps.meter_service.doctype.custom_field.models import CustomFieldTarget
from apps.meter_service.doctype.custom_field.serializers import (
    OUTPUT_HELP,
    custom_fields_input,
    custom_fields_output,
    custom_values_for,
)
from apps.meter_service.permissions import Role, client_agency_ids, has_role

# helpdesk's status numbers as the API names them; "answered" is helpdesk's "resolved".
STATUS_CODES: dict[int, str] = {
    rules.OPEN: "open",
    rules.REOPENED: "reopened",
    rules.RESOLVED: "answered",
    rules.CLOSED: "closed",
    rules.DUPLICATE: "duplicate",
}
STATUS_NUMBERS: dict[str, int] = {code: number for number, code in STATUS_CODES.items()}
# The choices of every complaint status field (named ComplaintStatusEnum in the schema).
STATUS_CHOICES = list(STATUS_CODES.values())

# Who wrote a message of the conversation, as the complainant is shown it.
AUTHOR_SUBSCRIBER = "subscriber"
AUTHOR_COMPANY = "company"
AUTHOR_SYSTEM = "system"
# Channels on which the filer's account is the complainant's (not staff typing it in).
_SELF_FILED = frozenset({ComplaintChannel.PORTAL, ComplaintChannel.NATIONAL_SYSTEM})
ATTACHMENT_HELP = (
    "A document or photo for the complaint (PDF, JPEG or PNG, checked by its content; at most "
    "COMPLAINT_ATTACHMENT_MAX_BYTES). Send multipart/form-data to attach one."
)


class ComplaintFileInputSerializer(serializers.Serializer):
    """A complaint as a subscriber or a sending system (the national system, 3194) sends it.

    Only the identifying fields have their Persian digits made ASCII: title and text are the
    complainant's words and are kept as written.
    """

    DIGIT_FIELDS = ("subscription_number", "claim", "external_reference")

    topic = serializers.SlugField(
        max_length=50,
        help_text=(
            "The topic's slug: meter-test, billing, fees, staff or general (or one added in "
            "the desk)."
        ),
    )
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(max_length=10000, help_text="The complaint itself.")
    complainant_name = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required from sending systems; subscribers default to the subscription's name.",
    )
    contact_mobile = fields.MobileField(
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Required from sending systems; subscribers default to the claim's or the "
            "subscription's mobile. Persian digits accepted."
        ),
    )
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    external_reference = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text=(
            "Sending systems (required): the complaint's number there. Sending the same "
            "number again returns the complaint already filed (200), never a second one."
        ),
    )
    claim = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        default="",
        help_text="The tracking code of the claim complained about, if any.",
    )
    subscription_number = fields.SubscriptionNumberField(
        required=False,
        help_text=(
            "The subscription complained about (a subscriber: one of theirs). Subscribers "
            "name a subscription or a claim."
        ),
    )
    bill_id = fields.BillIdField(
        gas_only=True,
        required=False,
        help_text="Instead of subscription_number: the subscription's bill ID.",
    )
    agency_code = serializers.CharField(
        required=False,
        max_length=20,
        help_text="Clients of several agencies: the agency sending the complaint.",
    )
    attachment = serializers.FileField(
        required=False,
        help_text=ATTACHMENT_HELP,
    )
    custom_fields = custom_fields_input()

    def __init__(self, instance=None, data=serializers.empty, **kwargs):
        if data is not serializers.empty and hasattr(data, "items"):
            data = {
                key: normalize_input(value)
                if key in self.DIGIT_FIELDS and isinstance(value, str)
                else value
                for key, value in data.items()
            }
        super().__init__(instance, data, **kwargs)

    def validate_topic(self, slug: str) -> Queue:
        """Return the topic's queue: one open to the public (the others are staff's own)."""
        queue = complaint_topics(public_only=True).filter(slug=slug).first()
        if queue is None:
            raise serializers.ValidationError(
                rules.UNKNOWN_TOPIC_MESSAGE, code=CommonErrorCode.INVALID_CHOICE
            )
        return queue


class ComplaintReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10000, help_text="The complainant's reply.")
    attachment = serializers.FileField(required=False, help_text=ATTACHMENT_HELP)


class ComplaintListFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUS_CHOICES, required=False)


# The complainant's details, which a sending system sent and is not shown back.
SENDER_HIDDEN = ("complainant_name", "contact_mobile", "contact_email")


def sender_agencies(viewer) -> tuple[int, ...] | None:
    """The agencies a sending system (an agency's API client) acts for; None for others."""
    if viewer is None or not has_role(viewer, Role.AGENCY_CLIENT):
        return None
    return client_agency_ids(viewer)


class ComplaintListOutputSerializer(serializers.Serializer):
    """One complaint of a list: where it stands and when each step happened."""

    tracking_code = serializers.CharField(help_text="The complaint's number.")
    status = serializers.SerializerMethodField()
    status_label = serializers.SerializerMethodField()
    channel = serializers.ChoiceField(choices=ComplaintChannel.choices)
    topic = serializers.CharField(source="ticket.queue.slug")
    topic_label = serializers.SerializerMethodField()
    title = serializers.CharField(source="ticket.title")
    claim = serializers.CharField(
        source="claim.tracking_code",
        allow_null=True,
        help_text=(
            "The claim complained about. A sending system is shown only a claim it filed "
            "itself (null otherwise, whether or not the complaint names one)."
        ),
    )
    subscription_number = serializers.CharField(
        source="subscriber.subscription_number",
        allow_null=True,
        help_text="The subscription complained about; always null for a sending system.",
    )
    external_reference = serializers.CharField(
        allow_null=True, help_text="The complaint's number in the sending system."
    )
    filed_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(help_text="The answer is due by then.")
    first_answered_at = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(
        allow_null=True, help_text="When it was answered as resolved (cleared on a reopening)."
    )
    closed_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, complaint: Complaint) -> dict:
        data = super().to_representation(complaint)
        own_agencies = sender_agencies(self.context.get("viewer"))
        if own_agencies is not None:
            # A sending system relays complaints and holds no records here: it is told
            # neither the subscription nor someone else's claim (it would learn which of
            # the numbers it sent exist, and whose they are), nor the complainant's details.
            data["subscription_number"] = None
            if complaint.claim is None or complaint.claim.agency_id not in own_agencies:
                data["claim"] = None
            for name in SENDER_HIDDEN:
                if name in data:
                    data[name] = None
        return data

    @extend_schema_field(serializers.ChoiceField(choices=STATUS_CHOICES))
    def get_status(self, complaint: Complaint) -> str:
        return STATUS_CODES[complaint.ticket.status]

    def get_status_label(self, complaint: Complaint) -> str:
        return rules.status_label(complaint.ticket.status)

    def get_topic_label(self, complaint: Complaint) -> str:
        return rules.topic_label(complaint.ticket.queue)


class ConversationAttachmentSerializer(serializers.Serializer):
    filename = serializers.CharField()
    content_type = serializers.CharField(help_text="Read from the file: PDF, JPEG or PNG.")
    size = serializers.IntegerField(help_text="In bytes.")


class ConversationEntrySerializer(serializers.Serializer):
    """One public message of a complaint's conversation."""

    date = serializers.DateTimeField()
    author = serializers.ChoiceField(
        choices=[AUTHOR_SUBSCRIBER, AUTHOR_COMPANY, AUTHOR_SYSTEM],
        help_text="subscriber: the complainant's side; company: staff; system: automatic.",
    )
    text = serializers.CharField()
    new_status = serializers.ChoiceField(
        choices=STATUS_CHOICES,
        allow_null=True,
        help_text="The status the complaint took with this message, if it changed.",
    )
    attachments = ConversationAttachmentSerializer(many=True)


def conversation_entries(complaint: Complaint, follow_ups: list[FollowUp]) -> list[dict]:
    """Return the public follow-ups as the complainant reads them, oldest first.

    The first is the complaint as filed (whoever typed it in); after that, messages of the
    complainant's account (or the sending system's) are the subscriber's, messages without
    a user the system's (the auto-close job), and the rest the company's.
    """
    complainant_users = {complaint.filed_by_id} if complaint.channel in _SELF_FILED else set()
    if complaint.subscriber is not None and complaint.subscriber.user_id:
        complainant_users.add(complaint.subscriber.user_id)
    entries = []
    for index, follow_up in enumerate(follow_ups):
        if index == 0 or (follow_up.user_id and follow_up.user_id in complainant_users):
            author = AUTHOR_SUBSCRIBER
        elif follow_up.user_id is None:
            author = AUTHOR_SYSTEM
        else:
            author = AUTHOR_COMPANY
        entries.append(
            {
                "date": follow_up.date,
                "author": author,
                "text": follow_up.comment or "",
                "new_status": STATUS_CODES.get(follow_up.new_status),
                "attachments": [
                    {"filename": a.filename, "content_type": a.mime_type, "size": a.size}
                    for a in follow_up.followupattachment_set.all()
                ],
            }
        )
    return entries


_SENDER_NULL = "Null for a sending system (it sent them)."


class ComplaintDetailOutputSerializer(ComplaintListOutputSerializer):
    """One complaint with its text, contact details and public conversation.

    Pass the conversation (the selector's public follow-ups) as context["conversation"].
    """

    text = serializers.CharField(source="ticket.description")
    complainant_name = serializers.CharField(allow_null=True, help_text=_SENDER_NULL)
    contact_mobile = serializers.CharField(allow_null=True, help_text=_SENDER_NULL)
    contact_email = serializers.CharField(allow_null=True, help_text=_SENDER_NULL)
    reopen_count = serializers.IntegerField()
    may_reply = serializers.SerializerMethodField(
        help_text="False once closed: a reply is then refused; file a new complaint instead."
    )
    conversation = serializers.SerializerMethodField()
    custom_fields = serializers.SerializerMethodField(help_text=OUTPUT_HELP)

    @extend_schema_field(custom_fields_output())
    def get_custom_fields(self, complaint: Complaint) -> dict:
        return custom_values_for(
            self.context.get("viewer"), CustomFieldTarget.COMPLAINT, complaint.custom_fields
        )

    def get_may_reply(self, complaint: Complaint) -> bool:
        return rules.may_reply(complaint.ticket.status)

    @extend_schema_field(ConversationEntrySerializer(many=True))
    def get_conversation(self, complaint: Complaint) -> list[dict]:
        entries = conversation_entries(complaint, list(self.context["conversation"]))
        # many=True makes a ListSerializer, whose data is a list (the stubs say a dict).
        return ConversationEntrySerializer(entries, many=True).data  # type: ignore[return-value]
