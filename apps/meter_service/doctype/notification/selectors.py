"""Reads of message templates and the SMS log."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.notification.models import MessageTemplate, SmsMessage


def active_template(*, key: str) -> MessageTemplate | None:
    """Return the template of message `key` if it is switched on."""
    return MessageTemplate.objects.filter(key=key, is_active=True).first()


def template_list(*, user: Actor) -> QuerySet[MessageTemplate]:
    """Return the templates the user may see (company staff)."""
    return permissions.scope(user, MessageTemplate.objects.all())


def sms_list(*, user: Actor) -> QuerySet[SmsMessage]:
    """Return the SMS log as the user may see it (company staff), with each message's claim."""
    return permissions.scope(user, SmsMessage.objects.select_related("claim"))


def sms_for_claim(*, claim: Claim) -> QuerySet[SmsMessage]:
    """Return the messages sent about a claim, oldest first."""
    return SmsMessage.objects.filter(claim=claim).order_by("created_at", "id")
