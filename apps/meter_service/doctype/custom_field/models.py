"""Custom fields: extra fields the service manager adds to claims, complaints, inspections
and subscribers in the desk; each document keeps their values in its `custom_fields`."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CustomFieldTarget(models.TextChoices):
    """The document types that take custom fields (the value is the model's name)."""

    CLAIM = "claim", _("Claim")
    COMPLAINT = "complaint", _("Complaint")
    INSPECTION = "inspection", _("Inspection")
    SUBSCRIBER = "subscriber", _("Subscriber")


class CustomFieldType(models.TextChoices):
    """What a custom field holds, and so how its value is checked and stored."""

    TEXT = "text", _("Text")
    LONG_TEXT = "long_text", _("Long text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Choice")


class CustomField(models.Model):
    """One extra field of a document type. Its key names the value in the documents'
    `custom_fields`, the API, imports and exports; it is fixed once a document holds a value."""

    target = models.CharField(_("document type"), max_length=16, choices=CustomFieldTarget)
    key = models.SlugField(
        _("key"),
        max_length=40,
        help_text=_(
            "Lower-case Latin letters, digits and underscores, starting with a letter; the "
            "name of the field in the API, imports and exports."
        ),
    )
    label_fa = models.CharField(_("label (Persian)"), max_length=100)
    label_en = models.CharField(_("label (English)"), max_length=100)
    field_type = models.CharField(_("type"), max_length=16, choices=CustomFieldType)
    required = models.BooleanField(_("required"), default=False)
    options = models.JSONField(
        _("options"),
        default=list,
        blank=True,
        help_text=_("A choice's options: value, Persian label and English label."),
    )
    min_value = models.DecimalField(
        _("minimum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("maximum"), max_digits=20, decimal_places=6, null=True, blank=True
    )
    max_length = models.PositiveIntegerField(_("maximum length"), null=True, blank=True)
    help_fa = models.CharField(_("help text (Persian)"), max_length=300, blank=True)
    help_en = models.CharField(_("help text (English)"), max_length=300, blank=True)
    public = models.BooleanField(
        _("shown on the portal"),
        default=False,
        help_text=_("Subscribers see the value, read-only, on their claim's page."),
    )
    in_list = models.BooleanField(_("shown in desk lists"), default=False)
    order = models.PositiveIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("custom field")
        verbose_name_plural = _("custom fields")
        ordering = ["target", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["target", "key"], name="custom_field_key_per_target")
        ]

    def __str__(self) -> str:
        return f"{self.get_target_display()}: {self.key}"
