"""Reads of complaints: lists through the record rules, the conversation, a claim's ones."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet
from helpdesk.models import FollowUp, Queue

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint


def complaint_list(*, user: User | AnonymousUser) -> QuerySet[Complaint]:
    """The complaints the user may see, newest first, with their tickets."""
    queryset = Complaint.objects.select_related(
        "ticket", "ticket__queue", "ticket__assigned_to", "claim", "subscriber"
    )
    return permissions.scope(user, queryset)


def complaint_get(*, user: User | AnonymousUser, code: str) -> Complaint:
    """One complaint by its number, or 404 whether missing or not the user's."""

    queryset = complaint_list(user=user)
    try:
        pk = queryset.filter(tracking_code=tracking.normalize(code)).values_list("pk", flat=True)[0]
    except (IndexError, ValueError):
        pk = None
    return permissions.access(user, queryset, pk)


def complaint_conversation(*, complaint: Complaint, include_private: bool) -> QuerySet[FollowUp]:
    """The ticket's follow-ups in order; the subscriber sees only the public ones."""
    follow_ups = (
        FollowUp.objects.filter(ticket_id=complaint.ticket_id)
        .select_related("user")
        .prefetch_related("followupattachment_set", "ticketchange_set")
        .order_by("date", "id")
    )
    if not include_private:
        follow_ups = follow_ups.filter(public=True)
    return follow_ups


def complaints_for_claim(*, user: User | AnonymousUser, claim: Claim) -> QuerySet[Complaint]:
    return complaint_list(user=user).filter(claim=claim)


def complaint_topics(*, public_only: bool = False) -> QuerySet[Queue]:
    queues = Queue.objects.order_by("id")
    if public_only:
        queues = queues.filter(allow_public_submission=True)
    return queues
