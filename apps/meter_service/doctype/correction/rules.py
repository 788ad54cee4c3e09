"""How a faulty meter's bills are corrected: pure functions, no queries, no writes.

The rules, from the regulations (DOMAIN.md) and the settings where the sources leave them open:

- The window: consumption is recomputed from the last verified reading or from the meter's
  last test, whichever period is shorter, and never further back than the maximum window
  (setting CORRECTION_MAX_WINDOW_DAYS). It ends on the test date.
- The corrected volume of each billing period: for a meter running fast or slow, the
  registered volume scaled by the measured error, V_true = V_registered / (1 + E / 100); for a
  stopped meter, estimated from the same days of earlier years (daily average of the bills
  that covered them), or from the periods around it when there are none. The method is
  recorded; the billing officer may override a period's volume with a reason.
- Each period is re-priced with the tariff in force on its days: a period that spans a tariff
  or season change is split by days, each piece's volume in proportion to its days. The
  difference is what the corrected volume costs minus what the registered volume costs, both
  priced the same way, so it comes from the meter's error alone.
- Money is whole Rial: each priced piece is rounded once (by the pricer), a period's amounts
  are the sums of its pieces and the total is the sum of the periods, so the statement always
  adds up.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext, gettext_noop

from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.bill.rules import BilledPeriod
from apps.meter_service.doctype.gas_tariff.rules import Pricer, TariffSpan

VOLUME_PLACES = Decimal("0.001")


@dataclass(frozen=True)
class Piece:
    tariff: str
    start: datetime.date
    end: datetime.date
    days: int
    registered_m3: Decimal
    corrected_m3: Decimal
    registered_rial: int
    corrected_rial: int

    @property
    def difference_rial(self) -> int:
        return self.corrected_rial - self.registered_rial


@dataclass(frozen=True)
class CorrectedPeriod:
    bill_id: str
    start: datetime.date
    end: datetime.date
    registered_m3: Decimal
    corrected_m3: Decimal
    method: str
    note: str
    billed_rial: int
    pieces: tuple[Piece, ...]

    @property
    def registered_rial(self) -> int:
        return sum(p.registered_rial for p in self.pieces)

    @property
    def corrected_rial(self) -> int:
        return sum(p.corrected_rial for p in self.pieces)

    @property
    def difference_rial(self) -> int:
        return sum(p.difference_rial for p in self.pieces)


@dataclass(frozen=True)
class Correction:
    window_start: datetime.date
    window_end: datetime.date
    periods: tuple[CorrectedPeriod, ...] = field(default_factory=tuple)

    @property
    def difference_rial(self) -> int:
        """Positive: the subscriber owes more (a slow meter); negative: a credit (fast)."""
        return sum(p.difference_rial for p in self.periods)


class CorrectionError(ValueError):
    """The inputs cannot give a correction (no tariff for some days, no bills, ...).

    `message` is an English catalogue id (marked with gettext_noop) with %(name)s
    placeholders: str() is the English text with ISO dates, for logs and tests;
    user_message() is the same in the active language, dates as the interface shows them
    (Jalali in Persian).
    """

    def __init__(self, message: str, **params: object) -> None:
        self.message, self.params = message, params
        super().__init__(message % {k: _plain(v) for k, v in params.items()})

    def user_message(self) -> str:
        return gettext(self.message) % {k: _shown(k, v) for k, v in self.params.items()}


def _shown(name: str, value: object) -> str:
    """A message's value as the interface shows it, in the active language."""

    if isinstance(value, datetime.date):
        return format_date(value)
    if name == "verdict" and isinstance(value, str) and value in VERDICT_WORDS:
        return gettext(VERDICT_WORDS[value])
    return str(value)


def _plain(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime.date) else str(value)


# What the rules refuse, in the words the billing officer reads (translated when shown).
WINDOW_EMPTY = gettext_noop("the correction window is empty")
METER_STOPPED = gettext_noop("an error of -100 %% or less means the meter is stopped")
NO_HISTORY = gettext_noop("no earlier bills to estimate the days %(start)s – %(last)s from")
NO_TARIFF = gettext_noop("no gas tariff is in force from %(day)s")
NO_ERROR = gettext_noop("a meter running fast or slow needs its measured error")
NO_METHOD = gettext_noop("a meter found %(verdict)s is not corrected by its bills")
NO_BILL = gettext_noop("no bill falls inside the correction window")
VERDICT_WORDS = {
    "tampered": gettext_noop("tampered with"),
    "within_tolerance": gettext_noop("within the tolerance"),
}


# --- the window ---------------------------------------------------------------------------
def correction_window(
    *,
    test_date: datetime.date,
    last_test_date: datetime.date,
    last_verified_reading_date: datetime.date | None,
    max_window_days: int,
) -> tuple[datetime.date, datetime.date]:
    """(start, end) of the corrected days: the shorter of the two periods, capped."""
    starts = [last_test_date]
    if last_verified_reading_date is not None:
        starts.append(last_verified_reading_date)
    start = max(starts)  # the later start is the shorter period
    start = max(start, test_date - datetime.timedelta(days=max_window_days))
    if start >= test_date:
        raise CorrectionError(WINDOW_EMPTY)
    return start, test_date


def clip(period: BilledPeriod, start: datetime.date, end: datetime.date) -> BilledPeriod | None:
    """The part of a period inside [start, end), its volume and amount in proportion."""
    lo, hi = max(period.start, start), min(period.end, end)
    if lo >= hi:
        return None
    if (lo, hi) == (period.start, period.end):
        return period
    share = Decimal((hi - lo).days) / Decimal(period.days)
    return BilledPeriod(
        bill_id=period.bill_id,
        start=lo,
        end=hi,
        volume_m3=(period.volume_m3 * share).quantize(VOLUME_PLACES, ROUND_HALF_UP),
        amount_rial=int((period.amount_rial * share).quantize(Decimal(1), ROUND_HALF_UP)),
    )


# --- corrected volumes ---------------------------------------------------------------------
def scaled_volume(registered_m3: Decimal, error_percent: Decimal) -> Decimal:
    """The gas that passed a meter with this error: V / (1 + E/100)."""
    factor = Decimal(1) + Decimal(error_percent) / Decimal(100)
    if factor <= 0:
        raise CorrectionError(METER_STOPPED)
    return (registered_m3 / factor).quantize(VOLUME_PLACES, ROUND_HALF_UP)


def estimated_volume(
    period: BilledPeriod, history: Sequence[BilledPeriod], *, years: int = 2
) -> tuple[Decimal, str]:
    """A stopped meter's volume for the period: the daily average of the same days in the
    earlier years' bills, else of the periods around it. Returns (volume, how)."""
    daily: list[Decimal] = []
    for back in range(1, years + 1):
        try:
            start = period.start.replace(year=period.start.year - back)
            end = period.end.replace(year=period.end.year - back)
        except ValueError:  # 29 February
            start = period.start - datetime.timedelta(days=365 * back)
            end = period.end - datetime.timedelta(days=365 * back)
        covered = [c for p in history if (c := clip(p, start, end)) is not None]
        days = sum(c.days for c in covered)
        if days >= (end - start).days * 0.8:  # most of the days are billed
            daily.append(sum(c.volume_m3 for c in covered) / Decimal(days))
    if daily:
        how = "same_days_earlier_years"
    else:
        around = [p for p in history if p.end <= period.start and p.days > 0][-2:]
        around += [p for p in history if p.start >= period.end and p.days > 0][:2]
        if not around:
            raise CorrectionError(
                NO_HISTORY, start=period.start, last=period.end - datetime.timedelta(days=1)
            )
        daily = [p.volume_m3 / Decimal(p.days) for p in around]
        how = "periods_around"
    average = sum(daily) / Decimal(len(daily))
    return (average * period.days).quantize(VOLUME_PLACES, ROUND_HALF_UP), how


# --- pricing --------------------------------------------------------------------------------
def split_by_tariff(
    start: datetime.date, end: datetime.date, spans: Sequence[TariffSpan]
) -> list[TariffSpan]:
    """The days [start, end) cut where the tariff changes; every day must have a tariff."""
    pieces = []
    day = start
    for span in sorted(spans, key=lambda s: s.start):
        lo, hi = max(day, span.start), min(end, span.end)
        if lo >= hi:
            continue
        if lo != day:
            raise CorrectionError(NO_TARIFF, day=day)
        pieces.append(TariffSpan(span.key, lo, hi))
        day = hi
        if day >= end:
            break
    if day < end:
        raise CorrectionError(NO_TARIFF, day=day)
    return pieces


def _share(volume: Decimal, days: int, total_days: int) -> Decimal:
    return (volume * Decimal(days) / Decimal(total_days)).quantize(VOLUME_PLACES, ROUND_HALF_UP)


def price_period(
    *,
    period: BilledPeriod,
    corrected_m3: Decimal,
    method: str,
    note: str,
    spans: Sequence[TariffSpan],
    pricer: Pricer,
) -> CorrectedPeriod:
    """Re-price one period, split by tariff, with its registered and corrected volumes.

    The last piece takes what rounding left of each volume, so the pieces add up exactly.
    """
    cuts = split_by_tariff(period.start, period.end, spans)
    pieces = []
    left_registered, left_corrected = period.volume_m3, corrected_m3
    for index, cut in enumerate(cuts):
        days = (cut.end - cut.start).days
        last = index == len(cuts) - 1
        registered = left_registered if last else _share(period.volume_m3, days, period.days)
        corrected = left_corrected if last else _share(corrected_m3, days, period.days)
        left_registered -= registered
        left_corrected -= corrected
        pieces.append(
            Piece(
                tariff=cut.key,
                start=cut.start,
                end=cut.end,
                days=days,
                registered_m3=registered,
                corrected_m3=corrected,
                registered_rial=pricer(cut.key, registered, days),
                corrected_rial=pricer(cut.key, corrected, days),
            )
        )
    return CorrectedPeriod(
        bill_id=period.bill_id,
        start=period.start,
        end=period.end,
        registered_m3=period.volume_m3,
        corrected_m3=corrected_m3,
        method=method,
        note=note,
        billed_rial=period.amount_rial,
        pieces=tuple(pieces),
    )


def compute_correction(
    *,
    bills: Sequence[BilledPeriod],
    window: tuple[datetime.date, datetime.date],
    verdict: str,
    error_percent: Decimal | None,
    spans: Sequence[TariffSpan],
    pricer: Pricer,
    history: Sequence[BilledPeriod] = (),
    overrides: dict[str, tuple[Decimal, str]] | None = None,
) -> Correction:
    """The correction of every billed period inside the window.

    verdict: fast or slow (scaled by error_percent) or stopped (estimated from `history`).
    overrides: {bill_id: (volume, reason)} set by the billing officer.
    """
    start, end = window
    overrides = overrides or {}
    periods = []
    for bill in sorted(bills, key=lambda b: b.start):
        part = clip(bill, start, end)
        if part is None:
            continue
        if bill.bill_id in overrides:
            volume, reason = overrides[bill.bill_id]
            corrected, method, note = Decimal(volume), "override", reason
        elif verdict == "stopped":
            earlier = [h for h in history if h.end <= part.start]
            corrected, method = estimated_volume(part, earlier)
            note = ""
        elif verdict in ("fast", "slow"):
            if error_percent is None:
                raise CorrectionError(NO_ERROR)
            corrected, method, note = scaled_volume(part.volume_m3, error_percent), "scaled", ""
        else:
            raise CorrectionError(NO_METHOD, verdict=verdict)
        periods.append(
            price_period(
                period=part,
                corrected_m3=corrected,
                method=method,
                note=note,
                spans=spans,
                pricer=pricer,
            )
        )
    if not periods:
        raise CorrectionError(NO_BILL)
    return Correction(window_start=start, window_end=end, periods=tuple(periods))
