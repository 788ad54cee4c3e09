from django.db import models
from django.utils.translation import gettext_lazy as _


class OtpChallenge(models.Model):
    """One sign-in code sent by SMS; only a salted hash of the code is kept.

    A request for a subscription that does not exist makes a challenge without a subscriber
    and sends nothing: the portal answers the same either way, and such a challenge can never
    be verified.
    """

    subscriber = models.ForeignKey(
        "meter_service.Subscriber",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="otp_challenges",
        verbose_name=_("subscriber"),
    )
    identifier = models.CharField(
        _("identifier"),
        max_length=13,
        help_text=_("The subscription number or bill ID typed, in ASCII digits."),
    )
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    code_hash = models.CharField(_("code hash"), max_length=128)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    requester_ip = models.GenericIPAddressField(_("requester IP"), null=True, blank=True)
    sms_message = models.ForeignKey(
        "meter_service.SmsMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("SMS message"),
    )

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["subscriber", "created_at"]),
            models.Index(fields=["identifier", "created_at"]),
            models.Index(fields=["requester_ip", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.identifier} @ {self.created_at:%Y-%m-%d %H:%M}"
