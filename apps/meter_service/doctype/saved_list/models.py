"""Lists people keep: a desk list's saved view, and a report of one mailed on a schedule."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SavedList(models.Model):
    """A desk list as someone left it: its filters, search and ordering (the list page's
    query string) and the columns they chose. Private to its owner, or shared with everyone
    holding a role."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_lists",
        verbose_name=_("owner"),
    )
    name = models.CharField(_("name"), max_length=80)
    app_label = models.CharField(_("application"), max_length=100)
    model_name = models.CharField(_("list"), max_length=100)
    query = models.CharField(_("filters"), max_length=2000, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)
    shared_role = models.CharField(
        _("shared with role"),
        max_length=64,
        blank=True,
        help_text=_("Empty: only the owner sees this view."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("saved list")
        verbose_name_plural = _("saved lists")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "app_label", "model_name", "name"], name="saved_list_unique_name"
            )
        ]
        indexes = [models.Index(fields=["app_label", "model_name"])]

    def __str__(self) -> str:
        return self.name


class ReportFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    XLSX = "xlsx", _("Excel (XLSX)")


class ScheduledReport(models.Model):
    """A saved list or the manager dashboard, mailed as a file on a schedule (Frappe's Auto
    Email Report). Each recipient gets what their own record rules let them see."""

    name = models.CharField(_("name"), max_length=120)
    saved_list = models.ForeignKey(
        SavedList,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("saved list"),
        help_text=_("Empty: the manager dashboard."),
    )
    to_managers = models.BooleanField(
        _("to every service manager"), default=True, help_text=_("Users holding the role.")
    )
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        verbose_name=_("other recipients"),
    )
    frequency = models.CharField(
        _("frequency"), max_length=8, choices=ReportFrequency.choices, default="daily"
    )
    hour = models.PositiveSmallIntegerField(
        _("hour (Tehran time)"), default=7, validators=[MaxValueValidator(23)]
    )
    file_format = models.CharField(
        _("format"), max_length=4, choices=ReportFormat.choices, default="xlsx"
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("scheduled report")
        verbose_name_plural = _("scheduled reports")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class ScheduledReportDelivery(models.Model):
    """One period's report to one recipient: the unique row, taken before the mail is sent,
    is what keeps a restarted scheduler from mailing the same period twice."""

    report = models.ForeignKey(
        ScheduledReport,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("report"),
    )
    period = models.CharField(_("period"), max_length=16)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    rows = models.PositiveIntegerField(_("rows"), default=0)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("scheduled report delivery")
        verbose_name_plural = _("scheduled report deliveries")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "period", "recipient"], name="scheduled_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.report_id} {self.period} {self.recipient_id}"
