"""Actions on gas tariffs: create or change a table with its blocks, load a published CSV."""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import jdatetime
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.gas_tariff import rules
from apps.meter_service.doctype.gas_tariff.error_codes import GasTariffErrorCode
from apps.meter_service.doctype.gas_tariff.events import GasTariffEvents
from apps.meter_service.doctype.gas_tariff.models import (
    GasTariff,
    GasTariffBlock,
    PricingMethod,
    Season,
)
from apps.meter_service.doctype.subscriber.models import ClimateZone, TariffGroup

TARIFF_FIELDS = (
    "name",
    "tariff_group",
    "season",
    "climate_zone",
    "effective_from",
    "effective_to",
    "pricing_method",
)


@dataclass(frozen=True)
class BlockData:
    """A block as given to the services: whole m³ a month, inclusive bounds."""

    from_m3: int
    to_m3: int | None
    rial_per_m3: int


def _block(value: BlockData | Mapping[str, Any] | tuple) -> BlockData:
    if isinstance(value, BlockData):
        return value
    if isinstance(value, Mapping):
        return BlockData(value["from_m3"], value.get("to_m3"), value["rial_per_m3"])
    return BlockData(*value)


def _check_and_lock(tariff: GasTariff, blocks: list[BlockData]) -> None:
    tariff.full_clean()
    rules.check_blocks(blocks)
    # Lock the group's tables so that two overlapping saves cannot both pass the check.
    siblings = list(GasTariff.objects.select_for_update().filter(tariff_group=tariff.tariff_group))
    rules.check_no_overlap(tariff, siblings)


def _write_blocks(tariff: GasTariff, blocks: list[BlockData]) -> None:
    rows = [
        GasTariffBlock(tariff=tariff, from_m3=b.from_m3, to_m3=b.to_m3, rial_per_m3=b.rial_per_m3)
        for b in sorted(blocks, key=lambda b: b.from_m3)
    ]
    for row in rows:
        row.full_clean(exclude=["tariff"], validate_unique=False)
    GasTariffBlock.objects.bulk_create(rows)


def _blocks_of(tariff: GasTariff) -> list[BlockData]:
    return [BlockData(b.from_m3, b.to_m3, b.rial_per_m3) for b in tariff.blocks.order_by("from_m3")]


@transaction.atomic
def gas_tariff_create(
    *,
    blocks: Iterable[BlockData | Mapping[str, Any] | tuple],
    actor: Actor = None,
    source: str = "desk",
    **fields: Any,
) -> GasTariff:
    """Create a table with its blocks; refuse gaps or overlaps between blocks, and a table
    whose days overlap another of the same group and zone."""
    unknown = set(fields) - set(TARIFF_FIELDS)
    if unknown:
        raise TypeError(f"not tariff fields: {sorted(unknown)}")
    block_list = [_block(b) for b in blocks]
    tariff = GasTariff(**fields)
    _check_and_lock(tariff, block_list)
    tariff.save()
    _write_blocks(tariff, block_list)
    record_event(
        document=tariff,
        event_type=GasTariffEvents.GAS_TARIFF_CREATED,
        actor=actor,
        parameters={"source": source, "blocks": len(block_list)},
    )
    return tariff


@transaction.atomic
def gas_tariff_update(
    *,
    tariff: GasTariff,
    blocks: Iterable[BlockData | Mapping[str, Any] | tuple] | None = None,
    actor: Actor = None,
    source: str = "desk",
    **fields: Any,
) -> GasTariff:
    """Change a table's fields and, when given, replace its blocks; records what changed."""
    unknown = set(fields) - set(TARIFF_FIELDS)
    if unknown:
        raise TypeError(f"not tariff fields: {sorted(unknown)}")
    tariff = GasTariff.objects.select_for_update().get(pk=tariff.pk)
    before = {name: getattr(tariff, name) for name in fields}
    old_blocks = _blocks_of(tariff)
    for name, value in fields.items():
        setattr(tariff, name, value)
    new_blocks = old_blocks if blocks is None else [_block(b) for b in blocks]
    new_blocks = sorted(new_blocks, key=lambda b: b.from_m3)
    changes = {
        n: [old, getattr(tariff, n)] for n, old in before.items() if getattr(tariff, n) != old
    }
    if not changes and new_blocks == old_blocks:
        return tariff
    _check_and_lock(tariff, new_blocks)
    tariff.save()
    if new_blocks != old_blocks:
        tariff.blocks.all().delete()
        _write_blocks(tariff, new_blocks)
        changes["blocks"] = [
            [[b.from_m3, b.to_m3, b.rial_per_m3] for b in old_blocks],
            [[b.from_m3, b.to_m3, b.rial_per_m3] for b in new_blocks],
        ]
    record_event(
        document=tariff,
        event_type=GasTariffEvents.GAS_TARIFF_CHANGED,
        actor=actor,
        parameters={"source": source, "changes": changes},
    )
    return tariff


# --- the published CSV ----------------------------------------------------------------------
CSV_COLUMNS = (
    "season",
    "valid_from_jalali",
    "valid_to_jalali",
    "climate_zone",
    "block",
    "from_m3",
    "to_m3",
    "rial_per_m3",
)
ALL_ZONES = {"all", "همه", "*", ""}

_ROW_ERROR = gettext_lazy("Row %(row)s of the tariff file: %(error)s")


def _row_error(row: int, message: str) -> ValidationError:
    return ValidationError(
        _ROW_ERROR,
        code=GasTariffErrorCode.GAS_TARIFF_CSV_ROW,
        params={"row": row, "error": message},
    )


def _jalali(text: str) -> datetime.date:
    year, month, day = (int(part) for part in normalize_digits(text).replace("/", "-").split("-"))
    return jdatetime.date(year, month, day).togregorian()


def _read_text(file: str | Path | IO) -> str:
    if isinstance(file, str | Path):
        return Path(file).read_text(encoding="utf-8-sig")
    data = file.read()
    return data.decode("utf-8-sig") if isinstance(data, bytes) else data


def _default_name(*, tariff_group: str, season: str, zone: int | None, start: datetime.date) -> str:
    zone_label = ClimateZone(zone).label if zone is not None else _("all climate zones")
    return _("%(group)s %(year)s, %(season)s, %(zone)s") % {
        "group": TariffGroup(tariff_group).label,
        "year": local_digits(jdatetime.date.fromgregorian(date=start).year),
        "season": Season(season).label,
        "zone": zone_label,
    }


def read_tariff_csv(file: str | Path | IO) -> list[dict[str, Any]]:
    """Return the tables of a tariff file in the shared format, as service fields.

    One row per block: season, valid_from_jalali, valid_to_jalali (inclusive), climate_zone
    ("all" for every zone), block, from_m3, to_m3 (empty on the last), rial_per_m3; an
    optional pricing_method column (slab or whole). Rows of one table share the first four.
    """
    reader = csv.DictReader(io.StringIO(_read_text(file)))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationError(
            _("The tariff file lacks the columns: %(columns)s."),
            code=GasTariffErrorCode.GAS_TARIFF_CSV_COLUMNS,
            params={"columns": ", ".join(missing)},
        )
    tables: dict[tuple, dict[str, Any]] = {}
    for number, row in enumerate(reader, start=2):
        row = {k: normalize_digits((v or "").strip()) for k, v in row.items() if k}
        try:
            start, end = _jalali(row["valid_from_jalali"]), _jalali(row["valid_to_jalali"])
        except (ValueError, TypeError) as error:
            message = _("enter the dates as Jalali dates, such as 1397-01-16.")
            raise _row_error(number, message) from error
        zone_text = row["climate_zone"].lower()
        try:
            zone = None if zone_text in ALL_ZONES else int(zone_text)
            block = BlockData(
                int(row["from_m3"]),
                int(row["to_m3"]) if row["to_m3"] else None,
                int(row["rial_per_m3"]),
            )
        except ValueError as error:
            message = _("the zone, volumes and price must be whole numbers.")
            raise _row_error(number, message) from error
        method = (row.get("pricing_method") or "").lower()
        key = (row["season"].lower(), start, end, zone)
        table = tables.setdefault(
            key,
            {
                "season": key[0],
                "climate_zone": zone,
                "effective_from": start,
                "effective_to": end,
                "pricing_method": method,
                "blocks": [],
                "row": number,
            },
        )
        table["blocks"].append(block)
    return list(tables.values())


@transaction.atomic
def gas_tariff_load_csv(
    file: str | Path | IO,
    *,
    tariff_group: str,
    actor: Actor = None,
    pricing_method: str = PricingMethod.SLAB,
    name: str = "",
) -> list[GasTariff]:
    """Create the tables of a published tariff file (Jalali dates, "all" zones); all or none.

    A table already loaded with the same days, zone and blocks is left as it is and
    returned, so loading a file twice adds nothing. `name` (optional) prefixes each
    table's name; by default the group, Jalali year, season and zone name it.
    """
    loaded = []
    for table in read_tariff_csv(file):
        row = table.pop("row")
        blocks = table.pop("blocks")
        table["pricing_method"] = table["pricing_method"] or pricing_method
        table["name"] = (f"{name} " if name else "") + _default_name(
            tariff_group=tariff_group,
            season=table["season"],
            zone=table["climate_zone"],
            start=table["effective_from"],
        )
        same = GasTariff.objects.filter(
            tariff_group=tariff_group,
            season=table["season"],
            climate_zone=table["climate_zone"],
            effective_from=table["effective_from"],
            effective_to=table["effective_to"],
            pricing_method=table["pricing_method"],
        ).first()
        if same is not None and _blocks_of(same) == sorted(blocks, key=lambda b: b.from_m3):
            loaded.append(same)
            continue
        try:
            loaded.append(
                gas_tariff_create(
                    tariff_group=tariff_group, blocks=blocks, actor=actor, source="csv", **table
                )
            )
        except ValidationError as error:
            raise _row_error(row, " ".join(error.messages)) from error
    return loaded
