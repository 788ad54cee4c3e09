"""Audit event types of subscriber documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SubscriberEvents(models.TextChoices):
    """The audit events of subscriber documents, with their names in the interface."""

    SUBSCRIBER_CREATED = "subscriber_created", _("Subscriber added")
    SUBSCRIBER_UPDATED = "subscriber_updated", _("Subscriber changed")
