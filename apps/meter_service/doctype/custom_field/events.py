"""Audit event types of custom field definitions."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomFieldEvents(models.TextChoices):
    """The audit events of custom fields, with their names in the interface."""

    CUSTOM_FIELD_CREATED = "custom_field_created", _("Custom field added")
    CUSTOM_FIELD_UPDATED = "custom_field_updated", _("Custom field changed")
    CUSTOM_VALUES_CHANGED = "custom_values_changed", _("Custom field values changed")
