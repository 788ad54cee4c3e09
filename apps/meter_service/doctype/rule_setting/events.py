"""Audit event types of rule setting changes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleSettingEvents(models.TextChoices):
    """The audit events of rule settings, with their names in the interface."""

    RULE_SETTING_CHANGED = "rule_setting_changed", _("Rule setting changed")
