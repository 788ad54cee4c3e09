"""Audit event types of gas tariff documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class GasTariffEvents(models.TextChoices):
    """The audit events of gas tariff documents, with their names in the interface."""

    GAS_TARIFF_CREATED = "gas_tariff_created", _("Gas tariff added")
    GAS_TARIFF_CHANGED = "gas_tariff_changed", _("Gas tariff changed")
