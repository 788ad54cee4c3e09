import secrets

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import validators
from apps.meter_service.doctype.notification import rules
from apps.meter_service.doctype.notification.error_codes import NotificationErrorCode
from apps.meter_service.doctype.notification.rules import template_label

template_key_validator = RegexValidator(
    r"^[a-z][a-z0-9_]*$",
    _("Use lower-case English letters, digits and underscores, such as claim_filed."),
    code=NotificationErrorCode.TEMPLATE_KEY,
)


class MessageTemplateManager(models.Manager):
    def get_by_natural_key(self, key: str):
        return self.get(key=key)


class MessageTemplate(models.Model):
    """The text of one kind of SMS, in Persian and English, edited by staff in the desk."""

    key = models.CharField(
        _("key"),
        max_length=50,
        unique=True,
        validators=[template_key_validator],
        help_text=_("The event that sends this message, such as claim_filed or otp_code."),
    )
    body_fa = models.TextField(
        _("text (Persian)"),
        help_text=_("Placeholders in braces are filled in when sending, such as {tracking_code}."),
    )
    body_en = models.TextField(_("text (English)"), blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("An inactive message is not sent at all.")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = MessageTemplateManager()

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["key"]

    def __str__(self) -> str:

        return template_label(self.key)

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    def clean(self) -> None:

        rules.check_template(
            key=self.key, body_fa=self.body_fa, body_en=self.body_en, is_active=self.is_active
        )


class SmsStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


def new_local_id() -> int:
    """Return a random id for the provider's duplicate check, unique across sites and resets."""
    return secrets.randbelow(2**53 - 1) + 1


class SmsMessage(models.Model):
    """One text message to one mobile: the log of what was sent, when, and how it went."""

    to = models.CharField(_("to"), max_length=11, validators=[validators.validate_canonical_mobile])
    body = models.TextField(
        _("text"), help_text=_("Secrets such as sign-in codes are masked here.")
    )
    redacted = models.BooleanField(_("text masked"), default=False, editable=False)
    template_key = models.CharField(_("template"), max_length=50, blank=True, db_index=True)
    claim = models.ForeignKey(
        "meter_service.Claim",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="sms_messages",
        verbose_name=_("claim"),
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=SmsStatus.choices,
        default=SmsStatus.QUEUED,
        db_index=True,
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    local_id = models.BigIntegerField(
        _("local ID"), unique=True, default=new_local_id, editable=False
    )
    provider_message_id = models.CharField(_("provider message ID"), max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("SMS message")
        verbose_name_plural = _("SMS messages")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["to", "created_at"])]

    def __str__(self) -> str:

        return f"{self.to} ({template_label(self.template_key) if self.template_key else '-'})"


class InboundKind(models.TextChoices):
    """What an inbound text was taken to be, and so which answer it got."""

    STATUS = "status", _("Status of a claim")
    UNKNOWN_CODE = "unknown_code", _("Unknown tracking code")
    HELP = "help", _("Help")
    MALFORMED = "malformed", _("Not understood")
    LIMITED = "limited", _("Over the sender's limit (not answered)")
    NO_REPLY = "no_reply", _("Not from a mobile (not answered)")


class InboundSms(models.Model):
    """One text a subscriber sent to the service's short code, and the answer it got.

    The provider's message id is unique: a repeated delivery of the same text finds this row
    and is not answered again.
    """

    provider_message_id = models.CharField(_("provider message ID"), max_length=64, unique=True)
    sender = models.CharField(_("from"), max_length=20, db_index=True)
    receptor = models.CharField(_("to (our line)"), max_length=20, blank=True)
    text = models.TextField(_("text"), blank=True)
    kind = models.CharField(_("taken as"), max_length=20, choices=InboundKind.choices)
    claim = models.ForeignKey(
        "meter_service.Claim",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claim"),
    )
    answer = models.ForeignKey(
        SmsMessage,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answer"),
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("inbound SMS")
        verbose_name_plural = _("inbound SMS")
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["sender", "received_at"])]

    def __str__(self) -> str:
        return f"{self.sender} ({self.get_kind_display()})"
