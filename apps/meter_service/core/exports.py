"""Hand rows to the billing system exactly once: one batch, marked under lock, as CSV; and
keep exported text from becoming spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import re
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.utils import timezone

# A spreadsheet program reads a cell starting with one of these as a formula (OWASP's CSV
# injection): an office named "=HYPERLINK(...)" would become a live link in the export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?\Z")


def spreadsheet_text(value: Any) -> Any:
    """A text cell that cannot run as a formula: a leading quote before a formula's start.

    Numbers (also numbers in text, such as "-250") are kept as they are.
    """
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def csv_text(columns: list[str], rows: Iterable[dict[str, object]]) -> str:
    """Rows as CSV text with its header, text cells kept from running as formulas."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows({key: spreadsheet_text(value) for key, value in row.items()} for row in rows)
    return buffer.getvalue()


def mark_pending_exported(model: type[models.Model], *, prefix: str = "") -> tuple[str, list[Any]]:
    """Mark every row not yet exported with one new batch; return (batch id, pks oldest first).

    Call inside the export's transaction: the rows are locked first, so a row is never in
    two batches. With nothing pending the batch id is "" and nothing changes. The model has
    `created_at`, `exported_at` and `export_batch`.
    """
    pks = list(
        model._default_manager.select_for_update()
        .filter(exported_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("pk", flat=True)
    )
    if not pks:
        return "", []
    now = timezone.now()
    batch_id = f"{prefix}{timezone.localtime(now):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    updated = model._default_manager.filter(pk__in=pks, exported_at__isnull=True).update(
        exported_at=now, export_batch=batch_id
    )
    if updated != len(pks):  # cannot happen under the lock; never export a row twice
        raise RuntimeError(f"{model.__name__} rows changed under the export lock")
    return batch_id, pks
