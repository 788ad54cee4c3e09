"""Reads of complaints: lists through the record rules, the conversation, a claim's ones."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Avg, Count, Q, QuerySet
from django.utils.crypto import constant_time_compare
from helpdesk.models import FollowUp, Queue

from apps.meter_service import permissions
from apps.meter_service.core import tracking
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint import rules
from apps.meter_service.doctype.complaint.models import (
    CannedResponse,
    Complaint,
    ComplaintMail,
    ComplaintMailDirection,
    ComplaintMailOutcome,
    ComplaintRating,
)

# Emails about a complaint that were kept out of its conversation, for an officer to judge.
HELD_MAIL_OUTCOMES = (
    ComplaintMailOutcome.NOT_A_REPLY,
    ComplaintMailOutcome.WRONG_SENDER,
    ComplaintMailOutcome.FAILED_AUTHENTICATION,
)


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


def complaint_held_mails(*, complaint: Complaint) -> QuerySet[ComplaintMail]:
    """The emails naming the complaint that were not added to it (not a reply to our email,
    another sender, failed authentication), newest first: staff read them, never the
    complainant, since anyone may have written them."""
    return ComplaintMail.objects.filter(
        complaint=complaint,
        direction=ComplaintMailDirection.INCOMING,
        outcome__in=HELD_MAIL_OUTCOMES,
    ).order_by("-created_at", "-id")[:20]


def complaints_for_claim(*, user: User | AnonymousUser, claim: Claim) -> QuerySet[Complaint]:
    return complaint_list(user=user).filter(claim=claim)


def complaint_topics(*, public_only: bool = False) -> QuerySet[Queue]:
    queues = Queue.objects.order_by("id")
    if public_only:
        queues = queues.filter(allow_public_submission=True)
    return queues


def canned_responses_for(*, complaint: Complaint) -> QuerySet[CannedResponse]:
    """The active canned responses offered on the complaint: every topic's and its own."""
    return CannedResponse.objects.filter(is_active=True).filter(
        Q(topic__isnull=True) | Q(topic_id=complaint.ticket.queue_id)
    )


def complaint_rating(*, complaint: Complaint) -> ComplaintRating | None:
    """The complaint's rating request and rating, if it was asked (it closed)."""
    return ComplaintRating.objects.filter(complaint_id=complaint.pk).first()


def rating_for_token(*, token: str) -> ComplaintRating | None:
    """The rating request a link's token names when its signature holds (None otherwise);
    whether it is still open is the service's to say."""
    rating_id = rules.rating_token_id(token)
    if rating_id is None:
        return None
    rating = (
        ComplaintRating.objects.select_related("complaint__ticket__queue")
        .filter(pk=rating_id)
        .first()
    )
    if rating is None or not constant_time_compare(
        rules.rating_token(rating.pk, rating.asked_at), token
    ):
        return None
    return rating


def rating_summary(
    *, since: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> dict[str, Any]:
    """Complainants' ratings given in [since, until): {count, average, asked, by_score} with
    a row a score 1-5 (count and share in percent)."""
    rated = ComplaintRating.objects.filter(rated_at__isnull=False)
    asked = ComplaintRating.objects.all()
    if since is not None:
        rated = rated.filter(rated_at__gte=since)
        asked = asked.filter(asked_at__gte=since)
    if until is not None:
        rated = rated.filter(rated_at__lt=until)
        asked = asked.filter(asked_at__lt=until)
    figures = rated.order_by().aggregate(
        count=Count("id"),
        average=Avg("score"),
        **{f"s{score}": Count("id", filter=Q(score=score)) for score in rules.RATING_SCORES},
    )
    count = figures["count"]
    return {
        "count": count,
        "average": round(figures["average"], 2) if figures["average"] is not None else None,
        "asked": asked.order_by().count(),
        "by_score": [
            {
                "score": score,
                "label": rules.rating_label(score),
                "count": figures[f"s{score}"],
                "percent": round(100 * figures[f"s{score}"] / count, 1) if count else None,
            }
            for score in rules.RATING_SCORES
        ],
    }
