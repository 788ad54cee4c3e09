"""The dashboards' filter: a Jalali date range on filing, the counter office and the city."""

from __future__ import annotations

import datetime
from typing import Any, cast

import jdatetime
from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.error_codes import SiteErrorCode
from apps.meter_service.core.jalali import JalaliDateField
from apps.meter_service.dashboards.models import DashboardCity, DashboardRollup
from apps.meter_service.dashboards.periods import Period
from apps.meter_service.dashboards.selectors import DashboardFilter
from apps.meter_service.doctype.counter_office.models import CounterOffice
from apps.meter_service.doctype.subscriber.models import Subscriber

# With no dates given, the dashboards show the last twelve Jalali months up to today.
DEFAULT_MONTHS = 12


def default_range(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """From the first day of the Jalali month eleven months back, to today."""
    today = today or timezone.localdate()
    j = jdatetime.date.fromgregorian(date=today)
    months = j.year * 12 + (j.month - 1) - (DEFAULT_MONTHS - 1)
    return jdatetime.date(months // 12, months % 12 + 1, 1).togregorian(), today


def city_choices() -> list[tuple[str, str | Promise]]:
    """The cities of claims' subscribers (the roll-up's list) and of counter offices.

    Two DISTINCT scans over subscribers and offices cost a fifth of a second on every view
    at a million claims; the roll-up's refresh keeps the cities in a small table instead.
    Until the roll-up is built, the subscribers' cities are read live.
    """
    if DashboardRollup.objects.filter(built_at__isnull=False).exists():
        cities = set(DashboardCity.objects.values_list("name", flat=True))
    else:
        cities = set(Subscriber.objects.order_by().values_list("city", flat=True).distinct())
    cities |= set(CounterOffice.objects.order_by().values_list("city", flat=True).distinct())
    everywhere: list[tuple[str, str | Promise]] = [("", _("All cities"))]
    return everywhere + [(c, c) for c in sorted(c for c in cities if c)]


class DashboardFilterForm(forms.Form):
    date_from = JalaliDateField(label=_("Filed from"), required=False)
    date_to = JalaliDateField(label=_("Filed to"), required=False)
    office = forms.ModelChoiceField(
        label=_("Counter office"),
        queryset=CounterOffice.objects.order_by("name", "code"),
        required=False,
        empty_label=_("All offices"),
    )
    city = forms.ChoiceField(label=_("City"), required=False)
    period = forms.ChoiceField(
        label=_("Group by"), choices=Period.choices, required=False, initial=Period.MONTH
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["city"]).choices = city_choices()
        start, end = default_range()
        self.fields["date_from"].initial = start
        self.fields["date_to"].initial = end

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Form.clean returns cleaned_data
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(
                _("The start date is after the end date."), code=SiteErrorCode.RANGE_REVERSED
            )
        return data

    def to_filter(self) -> DashboardFilter:
        """The filter the form asks for; call after is_valid(). Missing dates take the default
        range, so an empty form shows the last twelve months.
        """
        data = self.cleaned_data
        start, end = default_range()
        office = data.get("office")
        return DashboardFilter(
            date_from=data.get("date_from") or (None if data.get("date_to") else start),
            date_to=data.get("date_to") or end,
            office_id=office.pk if office else None,
            city=data.get("city") or "",
            period=data.get("period") or Period.MONTH,
        )


def default_filter() -> DashboardFilter:
    start, end = default_range()
    return DashboardFilter(date_from=start, date_to=end)
