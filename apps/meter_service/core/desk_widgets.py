"""Desk widgets and list filters for Jalali dates (they need unfold, so not in jalali.py)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import TypeVar

from django import forms
from django.contrib.admin.views.main import ChangeList
from django.core.validators import EMPTY_VALUES
from django.db.models import DateTimeField, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.contrib.filters.admin import RangeDateFilter
from unfold.widgets import INPUT_CLASSES

from apps.meter_service.core.jalali import JalaliDateField, format_date, parse_date

_Form = TypeVar("_Form", bound=forms.BaseForm)


class JalaliDateInput(forms.TextInput):
    """Text input for a Jalali date, styled like the desk's other inputs."""

    def __init__(self, attrs: dict | None = None) -> None:
        base = {
            "class": " ".join(INPUT_CLASSES),
            "placeholder": "۱۴۰۳/۰۵/۱۲",
            "autocomplete": "off",
            "inputmode": "numeric",
            "dir": "ltr",
            "data-jalali": "1",
        }
        super().__init__(attrs={**base, **(attrs or {})})

    def format_value(self, value):
        if isinstance(value, datetime.date):
            return format_date(value)
        return value


class JalaliRangeForm(forms.Form):
    """The two inputs of a date-range filter."""

    def __init__(self, name: str, *args, **kwargs) -> None:
        self.name = name
        super().__init__(*args, **kwargs)
        for suffix, label in (("_from", _("From")), ("_to", _("To"))):
            self.fields[name + suffix] = JalaliDateField(
                label="", required=False, widget=JalaliDateInput(attrs={"placeholder": label})
            )


class JalaliDateRangeFilter(RangeDateFilter):
    """Filter a date or date-time column by a range typed in Jalali (or ISO in English)."""

    form_class = JalaliRangeForm
    template = "unfold/filters/filters_date_range.html"

    def _bound(self, suffix: str) -> datetime.date | None:
        value = self.used_parameters.get(f"{self.parameter_name}{suffix}")
        if value in EMPTY_VALUES:
            return None
        try:
            return parse_date(value)
        except (ValueError, TypeError):
            return None

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        start, end = self._bound("_from"), self._bound("_to")
        name = self.parameter_name
        if isinstance(self.field, DateTimeField):
            # Whole local days, as aware datetimes: no per-row time-zone conversion in SQL.
            if start:
                start_at = timezone.make_aware(datetime.datetime.combine(start, datetime.time()))
                queryset = queryset.filter(**{f"{name}__gte": start_at})
            if end:
                end_at = timezone.make_aware(
                    datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time())
                )
                queryset = queryset.filter(**{f"{name}__lt": end_at})
            return queryset
        if start:
            queryset = queryset.filter(**{f"{name}__gte": start})
        if end:
            queryset = queryset.filter(**{f"{name}__lte": end})
        return queryset

    def choices(self, changelist: ChangeList) -> Iterator:
        yield {
            "request": self.request,
            "parameter_name": self.parameter_name,
            "form": self.form_class(
                name=self.parameter_name,
                data={
                    f"{self.parameter_name}{suffix}": self.used_parameters.get(
                        f"{self.parameter_name}{suffix}"
                    )
                    for suffix in ("_from", "_to")
                },
            ),
        }


def use_desk_widgets(form: _Form) -> _Form:
    """Give a plain form's fields the desk's widgets, keeping attributes the fields set."""
    from unfold import widgets as unfold_widgets

    for field in form.fields.values():
        attrs = dict(field.widget.attrs)
        if isinstance(field, JalaliDateField):
            widget = JalaliDateInput()
        elif isinstance(field, forms.BooleanField):
            widget = unfold_widgets.UnfoldBooleanWidget()
        elif isinstance(field, forms.FileField):
            widget = unfold_widgets.UnfoldAdminFileFieldWidget()
        elif isinstance(field, forms.ChoiceField):
            widget = unfold_widgets.UnfoldAdminSelectWidget(choices=field.choices)
        elif isinstance(field.widget, forms.Textarea):
            widget = unfold_widgets.UnfoldAdminTextareaWidget()
        else:
            # Numbers too: type="number" would refuse Persian digits in the browser.
            widget = unfold_widgets.UnfoldAdminTextInputWidget()
            if isinstance(field, forms.DecimalField | forms.IntegerField):
                widget.attrs.update({"inputmode": "decimal", "dir": "ltr"})
        widget.attrs.update(
            {k: v for k, v in attrs.items() if k not in {"class", "type", "step", "min", "max"}}
        )
        widget.is_required = field.required
        field.widget = widget
    return form
