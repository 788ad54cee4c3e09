"""The dashboards' daily roll-up: the counts and sums of every claim figure, per local filing
day and subscriber city, kept by the scheduler (see rollup.py)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class RollupKind(models.TextChoices):
    """What a roll-up row counts; `n`, `n2`, `n3` and `total` mean, per kind:"""

    CHANNEL = "channel", _("Claims by channel")  # key channel: n claims
    STATUS = "status", _("Claims by status")  # key status: n claims
    SERVED = "served", _("Closed claims")  # n closed, n2 within target, total worked seconds
    # key tenths of an hour // SERVICE_SPAN_TENTHS: n closed claims (DashboardServiceTime
    # holds the tenths themselves)
    SERVICE_SPAN = "service_span", _("Service time span")
    OPEN_STATE = "open_state", _("Open claims by service level")  # key state: n claims
    VERDICT = "verdict", _("Verdicts")  # key verdict: n tested claims
    MODEL = "model", _("Meter models")  # key make, key2 model: n tested, n2 faulty, n3 tampered
    YEAR = "year", _("Meter years")  # key manufacture year: n tested, n2 faulty, n3 tampered
    PAID = "paid", _("Fees paid")  # key method: n payments, total Rial
    ON_BILL = "on_bill", _("Fees on the next bill")  # n charges, total Rial
    SETTLED = "settled", _("Fees refunded or waived")  # key fee outcome: n claims, total Rial
    CORRECTION = "correction", _("Bill corrections")  # key credit/debit: n, total (signed) Rial
    COMPLAINTS = "complaints", _("Complaints")  # n complaints about the day's claims
    # key office: n claims, n2 paid, n3 closed, total office fees; n4 closed with a stopped
    # clock, n5 of them within target, total2 their worked seconds.
    OFFICE = "office", _("Counter offices")


# The service-time histogram is read in two steps: spans of this many tenths of an hour
# (five hours) find where the 90th percentile lies, then only that span's tenths are read.
SERVICE_SPAN_TENTHS = 50


class _FigureValues(models.Model):
    """The counts and sums of a group of claims (what each kind means: RollupKind)."""

    office = models.PositiveIntegerField(_("counter office"), default=0)
    city = models.CharField(_("city"), max_length=100, blank=True)
    kind = models.CharField(_("figure"), max_length=16, choices=RollupKind.choices)
    key = models.CharField(_("key"), max_length=100, blank=True)
    key2 = models.CharField(_("second key"), max_length=100, blank=True)
    n = models.PositiveIntegerField(_("count"), default=0)
    n2 = models.PositiveIntegerField(_("second count"), default=0)
    n3 = models.PositiveIntegerField(_("third count"), default=0)
    n4 = models.PositiveIntegerField(_("fourth count"), default=0)
    n5 = models.PositiveIntegerField(_("fifth count"), default=0)
    total = models.BigIntegerField(_("total"), default=0)
    total2 = models.BigIntegerField(_("second total"), default=0)

    class Meta:
        abstract = True


class DashboardDayFigure(_FigureValues):
    """One group of claims filed on a local day, by subscribers of a city (office 0) or at a
    counter office (city ""): its counts and sums.

    The primary key starts with the office (0 for the rows by city) and the day, so the rows
    a filter reads are stored together (InnoDB keeps a table in its primary key's order): a
    date range of one scope is one sequential read.
    """

    pk = models.CompositePrimaryKey("office", "day", "city", "kind", "key", "key2")
    day = models.DateField(_("filed on"))

    class Meta:
        verbose_name = _("dashboard day figure")
        verbose_name_plural = _("dashboard day figures")

    def __str__(self) -> str:
        return f"{self.day} {self.city} {self.kind} {self.key} {self.key2}"


class DashboardMonthFigure(_FigureValues):
    """The day figures of a calendar month (`month`: its first day) summed, kept with them:
    a year is read as twelve months and the days at its ends, not as 365 days of rows
    (at a million claims, a few tens of thousands of rows instead of half a million)."""

    pk = models.CompositePrimaryKey("office", "month", "city", "kind", "key", "key2")
    month = models.DateField(_("month"))

    class Meta:
        verbose_name = _("dashboard month figure")
        verbose_name_plural = _("dashboard month figures")

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.city} {self.kind} {self.key} {self.key2}"


class DashboardDayCount(models.Model):
    """Per local day and city (office 0) or counter office: the claims filed, and the closed
    ones with how many within target. The chart by period reads these few rows a day
    rather than the day figures."""

    pk = models.CompositePrimaryKey("office", "day", "city")
    day = models.DateField(_("filed on"))
    office = models.PositiveIntegerField(_("counter office"), default=0)
    city = models.CharField(_("city"), max_length=100, blank=True)
    filed = models.PositiveIntegerField(_("filed"), default=0)
    closed = models.PositiveIntegerField(_("closed"), default=0)
    met = models.PositiveIntegerField(_("closed within target"), default=0)

    class Meta:
        verbose_name = _("dashboard day count")
        verbose_name_plural = _("dashboard day counts")

    def __str__(self) -> str:
        return f"{self.day} {self.city} {self.office}"


class DashboardServiceTime(models.Model):
    """Closed claims of a local filing day and city (or counter office) by their working
    time, in tenths of an hour (halves rounded up): the histogram the 90th percentile of
    service time is read from.
    """

    pk = models.CompositePrimaryKey("office", "day", "city", "tenths")
    day = models.DateField(_("filed on"))
    office = models.PositiveIntegerField(_("counter office"), default=0)
    city = models.CharField(_("city"), max_length=100, blank=True)
    tenths = models.PositiveIntegerField(_("tenths of an hour"))
    n = models.PositiveIntegerField(_("count"), default=0)

    class Meta:
        verbose_name = _("dashboard service time")
        verbose_name_plural = _("dashboard service times")
        # The percentile's second step reads one span of tenths over the filter's days.
        indexes = [
            models.Index(
                fields=["office", "tenths", "day", "city", "n"], name="dashboard_service_tenths"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.city} {self.tenths}"


class DashboardStaleDay(models.Model):
    """A filing day whose claims changed since its roll-up rows were computed."""

    day = models.DateField(_("filed on"), unique=True)
    marked_at = models.DateTimeField(_("marked at"), auto_now=True)

    class Meta:
        verbose_name = _("stale dashboard day")
        verbose_name_plural = _("stale dashboard days")

    def __str__(self) -> str:
        return str(self.day)


class DashboardRollup(models.Model):
    """The roll-up's state (one row): built once, then refreshed by the scheduler."""

    # None while a build goes on over several runs of the job (the pages read live).
    built_at = models.DateTimeField(_("built at"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"))
    # The local day of the last refresh: days from it to today are recomputed every time,
    # since changes to claims filed on the current day mark no day (see rollup.mark_stale).
    refreshed_day = models.DateField(_("refreshed on"))

    class Meta:
        verbose_name = _("dashboard roll-up")
        verbose_name_plural = _("dashboard roll-up")

    def __str__(self) -> str:
        return f"{self.refreshed_at:%Y-%m-%d %H:%M}"


class DashboardCity(models.Model):
    """A subscriber city some claim in the roll-up has: the filter's list of cities.

    Kept by the roll-up's refresh (each recomputed day adds its cities; a rebuild starts the
    list afresh), so the filter form reads a few rows instead of two DISTINCT scans.
    """

    name = models.CharField(_("city"), max_length=100, primary_key=True)

    class Meta:
        verbose_name = _("dashboard city")
        verbose_name_plural = _("dashboard cities")

    def __str__(self) -> str:
        return self.name
