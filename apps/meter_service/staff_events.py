"""Audit event types recorded on no one doctype: two-factor sign-in, personal data shown."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffEvents(models.TextChoices):
    """Audit events of staff accounts and of what staff see, on no one doctype."""

    PERSONAL_DATA_REVEALED = "personal_data_revealed", _("Mobile or national ID shown in full")
    TWO_FACTOR_ENROLLED = (
        "two_factor_enrolled",
        _("Authenticator app set up for two-factor sign-in"),
    )
    TWO_FACTOR_RESET = "two_factor_reset", _("Two-factor sign-in reset")
