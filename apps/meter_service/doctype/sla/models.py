from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Holiday(models.Model):
    """A public holiday: no working time that day, or Thursday's hours when half_day.

    Stored as a Gregorian date; the desk shows and takes it in Jalali.
    """

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    half_day = models.BooleanField(
        _("half day"),
        default=False,
        help_text=_("Work the Thursday hours on this day instead of taking it off."),
    )

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date.isoformat()} {self.name}"


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")


class SlaClock(models.Model):
    """A claim's service-level clock: working time used against its target.

    Working time is kept as finished running segments (worked_seconds) plus the open one
    from running_since; running_since is empty while the clock is paused (waiting on the
    subscriber) or stopped. state is a stored snapshot for lists and filters, refreshed by
    a job: the selectors compute the live figures.
    """

    claim = models.OneToOneField(
        "meter_service.Claim",
        on_delete=models.CASCADE,
        related_name="sla_clock",
        verbose_name=_("claim"),
    )
    # Copied from the setting at start, so a later change does not move running claims.
    target_seconds = models.PositiveIntegerField(_("target (working seconds)"))
    started_at = models.DateTimeField(_("started at"))
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    worked_seconds = models.PositiveIntegerField(_("working seconds used"), default=0)
    paused = models.BooleanField(_("paused"), default=False)
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)
    state = models.CharField(
        _("service level"),
        max_length=10,
        choices=SlaState.choices,
        default=SlaState.ON_TRACK,
        db_index=True,
    )
    state_at = models.DateTimeField(_("service level as of"))
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("service-level clock")
        verbose_name_plural = _("service-level clocks")
        ordering = ["-started_at"]
        constraints = [
            # A running segment exists only on a clock that is neither paused nor stopped.
            models.CheckConstraint(
                condition=Q(running_since__isnull=True) | Q(paused=False, stopped_at__isnull=True),
                name="sla_clock_runs_only_when_live",
            ),
        ]

    def __str__(self) -> str:
        return str(self.claim)

    @property
    def is_running(self) -> bool:
        return self.running_since is not None
