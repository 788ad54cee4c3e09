"""Reads of gas tariffs: the table in force, the spans of a period, and a pricer.

These feed the bill correction (doctype/correction/rules.py): `tariff_spans` gives the
TariffSpan list that `split_by_tariff` cuts a period with, and `tariff_pricer` the Pricer
that prices each piece. A span's key is the GasTariff's primary key as a string.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.gas_tariff import rules
from apps.meter_service.doctype.gas_tariff.models import GasTariff, GasTariffBlock
from apps.meter_service.doctype.gas_tariff.rules import TariffSpan
from apps.meter_service.doctype.rule_setting.selectors import rule_value


def month_days() -> Fraction:
    """The days of the "month" the blocks are for (setting TARIFF_MONTH_DAYS, default 30).

    A site may set 30.4375 (the mean Gregorian month) or 31 (the first six Jalali months);
    the published tables say "a month" and leave it open.
    """
    return Fraction(str(rule_value("TARIFF_MONTH_DAYS")))


def _tariffs(*, tariff_group: str, climate_zone: int) -> QuerySet[GasTariff]:
    return GasTariff.objects.filter(
        Q(climate_zone=climate_zone) | Q(climate_zone__isnull=True), tariff_group=tariff_group
    )


def tariff_for(*, tariff_group: str, climate_zone: int, day: datetime.date) -> GasTariff | None:
    """Return the table in force on the day for the group and zone, or None."""
    candidates = _tariffs(tariff_group=tariff_group, climate_zone=climate_zone).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day), effective_from__lte=day
    )
    return rules.pick(list(candidates), climate_zone=climate_zone, day=day)


def tariff_spans(
    *, tariff_group: str, climate_zone: int, start: datetime.date, end: datetime.date
) -> list[TariffSpan]:
    """Return the days [start, end) cut by the table in force (end exclusive).

    Days without a table are simply absent, so `split_by_tariff` reports them.
    """
    if start >= end:
        return []
    candidates = _tariffs(tariff_group=tariff_group, climate_zone=climate_zone).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=start), effective_from__lt=end
    )
    return [
        TariffSpan(str(tariff.pk), lo, hi)
        for tariff, lo, hi in rules.spans(
            list(candidates), climate_zone=climate_zone, start=start, end=end
        )
    ]


class TariffPricer:
    """Price a volume used over some days under one tariff, in whole Rial.

    A correction prices many pieces under a few tables: each table and its blocks are
    read once (one query) and kept for the life of the pricer.
    """

    def __init__(self) -> None:
        self.month = month_days()
        self._tables: dict[str, tuple[GasTariff, list[GasTariffBlock]]] = {}

    def table(self, key: str) -> tuple[GasTariff, list[GasTariffBlock]]:
        """Return the tariff of a span key and its blocks; raise LookupError if none."""
        if key not in self._tables:
            blocks = list(
                GasTariffBlock.objects.select_related("tariff")
                .filter(tariff_id=int(key))
                .order_by("from_m3")
            )
            if not blocks:
                raise LookupError(f"no gas tariff {key} with blocks")
            self._tables[key] = (blocks[0].tariff, blocks)
        return self._tables[key]

    def price(self, key: str, volume_m3: Decimal, days: int) -> int:
        tariff, blocks = self.table(key)
        return rules.price(
            blocks,
            tariff.pricing_method,
            volume_m3=volume_m3,
            days=days,
            month_days=self.month,
        )

    __call__ = price


def tariff_pricer() -> TariffPricer:
    """Return a fresh pricer (a gas_tariff.rules.Pricer) with its own cache."""
    return TariffPricer()


def tariff_label(key: str) -> str:
    """Return how a statement names a tariff: name, season, zone, dates and method."""
    tariff = GasTariff.objects.filter(pk=int(key)).first()
    if tariff is None:
        return key
    return describe(tariff)


def describe(tariff: GasTariff) -> str:
    zone = (
        tariff.get_climate_zone_display()
        if tariff.climate_zone is not None
        else _("all climate zones")
    )
    until = format_date(tariff.effective_to) if tariff.effective_to else _("until replaced")
    return _("%(name)s (%(season)s, %(zone)s, %(start)s to %(end)s; %(method)s)") % {
        "name": tariff.name,
        "season": tariff.get_season_display(),
        "zone": zone,
        "start": format_date(tariff.effective_from),
        "end": until,
        "method": tariff.get_pricing_method_display(),
    }


def gas_tariff_list() -> QuerySet[GasTariff]:
    return GasTariff.objects.prefetch_related("blocks")
