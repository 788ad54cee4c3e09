import secrets

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import validators
from apps.meter_service.doctype.notification import rules
from apps.meter_service.doctype.notification.error_codes import NotificationErrorCode
from apps.meter_service.doctype.notification.rules import template_label
from apps.meter_service.permissions import DESK_ROLES, Role

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
    RATING = "rating", _("Rating of a closed complaint")
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


class Recipients(models.TextChoices):
    SUBSCRIBER = rules.RECIPIENT_SUBSCRIBER, _("The subscriber (the claim's contact mobile)")
    ROLE = rules.RECIPIENT_ROLE, _("Staff with a role")
    ASSIGNEE = (
        rules.RECIPIENT_ASSIGNEE,
        _("The assignee: who did the step, or the complaint's owner"),
    )


RULE_EVENT_CHOICES = [(key, label) for key, label in rules.RULE_EVENTS.items()]
ROLE_CHOICES = [(role.value, role.label) for role in Role if role in DESK_ROLES]

CONDITION_HELP = _(
    "Optional. Send only when this holds, in the process's expression language, such as "
    "total_fee > 1000000 or verdict == 'faulty'. Every claim event gives: by_staff, channel, "
    "customer_type, fee_outcome, outcome, payment_method, reason, status, total_fee; the test "
    "result also gives verdict, error_percent, mpe, stopped and tampered; a replacement "
    "new_serial; an approved correction and a closing correction_rial; a filing pay_by; "
    "access needed access_by. Complaint events give: about_claim, assigned, has_email, topic."
)


class NotificationRule(models.Model):
    """What to send at a process event, to whom, on which channels, when a condition holds.

    A shipped rule (message_key set) sends its message template's text, edited on the
    message templates page; a rule added in the desk carries its own texts."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    event = models.CharField(_("event"), max_length=40, choices=RULE_EVENT_CHOICES)
    send_sms = models.BooleanField(_("send SMS"), default=True)
    send_email = models.BooleanField(
        _("send email"),
        default=False,
        help_text=_("To the complainant's email, or the staff's account email."),
    )
    recipients = models.CharField(
        _("recipients"),
        max_length=20,
        choices=Recipients.choices,
        default=Recipients.SUBSCRIBER,
        help_text=_(
            "Staff are reached by email only. A claim's assignee is the staff member who did "
            "the step in the desk (none for the bank's callback, the portal or a timer); a "
            "complaint's is the officer it is assigned to."
        ),
    )
    role = models.CharField(_("role"), max_length=40, choices=ROLE_CHOICES, blank=True)
    condition = models.TextField(
        _("condition"), blank=True, max_length=2000, help_text=CONDITION_HELP
    )
    body_fa = models.TextField(
        _("text (Persian)"),
        blank=True,
        help_text=_(
            "Placeholders in braces are filled in when sending, such as {tracking_code}; "
            "each event has its own (listed below once the event is chosen and saved)."
        ),
    )
    body_en = models.TextField(_("text (English)"), blank=True)
    message_key = models.CharField(
        _("shipped message"),
        max_length=50,
        blank=True,
        editable=False,
        help_text=_("A shipped rule sends the message template of this key."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification rule")
        verbose_name_plural = _("notification rules")
        ordering = ["event", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        rules.check_rule(
            event=self.event,
            send_sms=self.send_sms,
            send_email=self.send_email,
            recipients=self.recipients,
            role=self.role,
            condition=self.condition,
            # A shipped rule's text is its message template's, checked there.
            body_fa=self.body_fa if not self.message_key else "-",
            body_en=self.body_en,
        )


class NotificationDispatch(models.Model):
    """That a rule has sent for one occurrence of its event: a retried event finds this row
    and does not send again."""

    rule = models.ForeignKey(
        NotificationRule, on_delete=models.CASCADE, related_name="+", verbose_name=_("rule")
    )
    occurrence = models.CharField(_("occurrence"), max_length=120)
    sms = models.ForeignKey(
        SmsMessage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notification sent")
        verbose_name_plural = _("notifications sent")
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "occurrence"], name="notification_dispatch_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}: {self.occurrence}"
