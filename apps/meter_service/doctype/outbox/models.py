from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class OutboxJob(models.Model):
    """One side effect a change promised (an SMS, an email, a job), written in the change's
    own transaction, so a committed change always has its effects on record, and a rolled-back
    one has none. The dispatcher hands the row to the worker after the commit; the scheduler's
    sweep hands it again when that was lost. A worker claims the row (a conditional UPDATE)
    before running it, so each effect runs once."""

    key = models.CharField(
        _("idempotency key"),
        max_length=100,
        unique=True,
        help_text=_("One effect, one key: queuing the same key again never adds a second one."),
    )
    path = models.CharField(_("job"), max_length=200)
    args = models.JSONField(_("arguments"), default=list, encoder=DjangoJSONEncoder)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, encoder=DjangoJSONEncoder)
    queue = models.CharField(_("queue"), max_length=50, default="default")
    state = models.CharField(
        _("state"),
        max_length=10,
        choices=OutboxState.choices,
        default=OutboxState.PENDING,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    lease_seconds = models.PositiveIntegerField(_("lease (seconds)"), default=900)
    due_at = models.DateTimeField(_("due at"))
    give_up_at = models.DateTimeField(_("retried until"))
    lease_until = models.DateTimeField(_("running until"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("handed to the worker at"), null=True, blank=True)
    last_error = models.TextField(_("reason"), blank=True)
    sms = models.ForeignKey(
        "meter_service.SmsMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbox_jobs",
        verbose_name=_("SMS message"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("undelivered message or job")
        verbose_name_plural = _("undelivered messages and jobs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "due_at"]),
            models.Index(fields=["state", "lease_until"]),
        ]

    def __str__(self) -> str:
        return f"{self.path.rsplit('.', 1)[-1]} #{self.pk}"
