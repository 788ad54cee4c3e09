"""Audit event types of bill documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class BillEvents(models.TextChoices):
    """The audit events of bill documents, with their names in the interface."""

    BILL_CREATED = "bill_created", _("Bill received")
    BILL_UPDATED = "bill_updated", _("Bill corrected by the billing system")
