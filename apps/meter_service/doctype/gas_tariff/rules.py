"""Gas tariff rules: which table is in force, and what a volume costs. Pure, no queries.

Blocks are by monthly consumption. A period of any length is priced by turning its volume
into a monthly rate (volume × month ÷ days, the month being the setting TARIFF_MONTH_DAYS),
pricing that month on the blocks, and scaling the amount back by days ÷ month. For the slab
method this is the same as stretching every block by days ÷ month. The arithmetic is exact
(fractions) and the amount is rounded half up to a whole Rial once, at the end.
"""

from __future__ import annotations

import datetime
import itertools
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol, TypeVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import local_digits
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.gas_tariff.error_codes import GasTariffErrorCode

SLAB = "slab"
WHOLE = "whole"


# Read-only members, so that frozen dataclasses and model instances (an int pk) both fit.
class Block(Protocol):
    @property
    def from_m3(self) -> int: ...
    @property
    def to_m3(self) -> int | None: ...
    @property
    def rial_per_m3(self) -> int: ...


class Tariff(Protocol):
    @property
    def pk(self) -> object: ...
    @property
    def tariff_group(self) -> str: ...
    @property
    def climate_zone(self) -> int | None: ...
    @property
    def effective_from(self) -> datetime.date: ...
    @property
    def effective_to(self) -> datetime.date | None: ...


# A kind of tariff: what pick and spans are given, they return.
_T = TypeVar("_T", bound=Tariff)


# --- blocks ---------------------------------------------------------------------------------
def check_blocks(blocks: Sequence[Block]) -> None:
    """Refuse blocks that leave a gap, overlap, or do not run from 0 to no upper bound.

    The blocks are taken in order of their start; bounds are whole cubic metres, inclusive.
    """
    if not blocks:
        raise ValidationError(
            _("A tariff needs at least one block."), code=GasTariffErrorCode.NO_BLOCKS
        )
    ordered = sorted(blocks, key=lambda b: b.from_m3)
    if ordered[0].from_m3 != 0:
        raise ValidationError(
            _("The first block must start at 0 m³."), code=GasTariffErrorCode.BLOCKS_FIRST_NOT_ZERO
        )
    for number, (block, following) in enumerate(itertools.pairwise(ordered), start=1):
        if block.to_m3 is None:
            raise ValidationError(
                _("Only the last block may be left without an upper bound (block %(n)s)."),
                code=GasTariffErrorCode.BLOCKS_OPEN_NOT_LAST,
                params={"n": local_digits(number)},
            )
        if following.from_m3 != block.to_m3 + 1:
            raise ValidationError(
                _(
                    "Block %(n)s must start at %(start)s m³, the cubic metre after the end of "
                    "block %(previous)s; blocks may neither overlap nor leave a gap."
                ),
                code=GasTariffErrorCode.BLOCKS_NOT_CONTIGUOUS,
                params={
                    "n": local_digits(number + 1),
                    "start": local_digits(block.to_m3 + 1),
                    "previous": local_digits(number),
                },
            )
    for number, block in enumerate(ordered, start=1):
        if block.to_m3 is not None and block.to_m3 < block.from_m3:
            raise ValidationError(
                _("Block %(n)s ends before it starts."),
                code=GasTariffErrorCode.BLOCK_RANGE,
                params={"n": local_digits(number)},
            )
        if block.rial_per_m3 is None or block.rial_per_m3 < 0:
            raise ValidationError(
                _("The price of block %(n)s cannot be negative."),
                code=GasTariffErrorCode.BLOCK_PRICE,
                params={"n": local_digits(number)},
            )
    if ordered[-1].to_m3 is not None:
        raise ValidationError(
            _("Leave the last block without an upper bound, so that every volume has a price."),
            code=GasTariffErrorCode.BLOCKS_LAST_CLOSED,
        )


def _thresholds(blocks: Sequence[Block]) -> list[tuple[Fraction, Fraction | None, int]]:
    """(lower, upper, rate) of each block on a continuous scale: "46 to 95" is (45, 95]."""
    out = []
    lower = Fraction(0)
    for block in sorted(blocks, key=lambda b: b.from_m3):
        upper = None if block.to_m3 is None else Fraction(block.to_m3)
        out.append((lower, upper, block.rial_per_m3))
        if upper is not None:
            lower = upper
    return out


def month_amount(blocks: Sequence[Block], method: str, monthly_m3: Fraction) -> Fraction:
    """Return the exact price of a month's volume on the blocks (not rounded)."""
    if monthly_m3 <= 0:
        return Fraction(0)
    steps = _thresholds(blocks)
    if method == WHOLE:
        for _lower, upper, rate in steps:
            if upper is None or monthly_m3 <= upper:
                return monthly_m3 * rate
        raise ValueError("the blocks have no open last block")
    if method != SLAB:
        raise ValueError(f"unknown pricing method {method!r}")
    amount = Fraction(0)
    for lower, upper, rate in steps:
        if monthly_m3 <= lower:
            break
        top = monthly_m3 if upper is None else min(monthly_m3, upper)
        amount += (top - lower) * rate
    return amount


def round_rial(amount: Fraction) -> int:
    """Round a non-negative amount half up to a whole Rial."""
    return math.floor(amount + Fraction(1, 2))


def price(
    blocks: Sequence[Block],
    method: str,
    *,
    volume_m3: Decimal | int,
    days: int,
    month_days: Fraction | Decimal | int,
) -> int:
    """Return what volume_m3 used over `days` days costs, in whole Rial (rounded once)."""
    volume = Fraction(Decimal(volume_m3))
    if volume < 0:
        raise ValueError("a volume cannot be negative")
    if volume == 0:
        return 0
    if days <= 0:
        raise ValueError("a priced volume needs at least one day")
    month = Fraction(month_days)
    monthly = volume * month / days
    return round_rial(month_amount(blocks, method, monthly) * days / month)


# --- which table is in force ------------------------------------------------------------------
def in_force(tariff: Tariff, day: datetime.date) -> bool:
    return tariff.effective_from <= day and (
        tariff.effective_to is None or day <= tariff.effective_to
    )


def fits_zone(tariff: Tariff, climate_zone: int) -> bool:
    return tariff.climate_zone is None or tariff.climate_zone == climate_zone


def pick(tariffs: Iterable[_T], *, climate_zone: int, day: datetime.date) -> _T | None:
    """Return the table in force on the day for the zone (the zone's own beats every zone's)."""
    fitting = [t for t in tariffs if fits_zone(t, climate_zone) and in_force(t, day)]
    if not fitting:
        return None
    return max(fitting, key=lambda t: (t.climate_zone is not None, t.effective_from))


def spans(
    tariffs: Sequence[_T], *, climate_zone: int, start: datetime.date, end: datetime.date
) -> list[tuple[_T, datetime.date, datetime.date]]:
    """Return (tariff, from, to) pieces of [start, end) by the table in force; to exclusive.

    Days without a table are left out; neighbouring days under the same table are merged.
    """
    one_day = datetime.timedelta(days=1)
    cuts = {start, end}
    for each in tariffs:
        edges = [each.effective_from]
        if each.effective_to is not None:
            edges.append(each.effective_to + one_day)
        cuts.update(edge for edge in edges if start < edge < end)
    edges = sorted(cuts)
    pieces: list[tuple[_T, datetime.date, datetime.date]] = []
    for lo, hi in itertools.pairwise(edges):
        # The same table is in force on every day between two cuts.
        tariff = pick(tariffs, climate_zone=climate_zone, day=lo)
        if tariff is None:
            continue
        if pieces and pieces[-1][0] is tariff and pieces[-1][2] == lo:
            pieces[-1] = (tariff, pieces[-1][1], hi)
        else:
            pieces.append((tariff, lo, hi))
    return pieces


def check_no_overlap(tariff: Tariff, others: Iterable[Tariff]) -> None:
    """Refuse a table whose days overlap another for the same group and zone."""
    end = tariff.effective_to or datetime.date.max
    for other in others:
        if other.pk is not None and other.pk == tariff.pk:
            continue
        if (other.tariff_group, other.climate_zone) != (tariff.tariff_group, tariff.climate_zone):
            continue
        other_end = other.effective_to or datetime.date.max
        if tariff.effective_from <= other_end and other.effective_from <= end:
            raise ValidationError(
                {
                    "effective_from": ValidationError(
                        _(
                            "The tariff “%(name)s” for the same group and zone is in force "
                            "from %(start)s; the days of two tariffs may not overlap."
                        ),
                        code=GasTariffErrorCode.GAS_TARIFF_OVERLAP,
                        params={"name": str(other), "start": format_date(other.effective_from)},
                    )
                }
            )


@dataclass(frozen=True)
class TariffSpan:
    """Days on which one tariff (a season's table) is in force; end exclusive."""

    key: str
    start: datetime.date
    end: datetime.date


# A pricer prices a volume used over a number of days under one tariff, in whole Rial.
Pricer = Callable[[str, Decimal, int], int]
