"""Audit event types of api token documents."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiTokenEvents(models.TextChoices):
    """The audit events of api token documents, with their names in the interface."""

    API_TOKEN_ISSUED = "api_token_issued", _("API token issued")
    API_TOKEN_REVOKED = "api_token_revoked", _("API token revoked")
