"""Audit event types of fee tariff documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FeeTariffEvents(models.TextChoices):
    """The audit events of fee tariff documents, with their names in the interface."""

    FEE_TARIFF_CREATED = "fee_tariff_created", _("Test fee tariff added")
    FEE_TARIFF_CHANGED = "fee_tariff_changed", _("Test fee tariff changed")
