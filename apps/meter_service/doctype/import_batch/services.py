"""Upload, dry run and import of master-data files.

Every row goes through its doctype's form and service rules, so an import meets the same
rules as the desk. Rows go in batches of IMPORT_BATCH_ROWS: each row's form, then the batch's
saves together (new subscribers and bills in a few inserts, with their audit events; the
rest one by one through the service). The dry run does all the writes for real inside a
transaction and rolls it back; the import does them again, each batch committed on its own
(a short hold of SQLite's writer lock), and stops at the first batch with a refused row,
which is undone: the batch is then failed, its errors led by a message saying how many rows
were imported (only possible when the data changed after the check).

On a SQLite site the dry run writes to a private copy of the database, not to the site's:
SQLite has one writer at a time, and a check of a large file (tens of seconds) inside one
write transaction made every other writer (desk logins included) fail with "database is
locked". The copy is taken with SQLite's online backup, which writers do not wait for.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connections, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.display import local_digits
from apps.meter_service.core.forms import normalize_form_data
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.import_batch import readers
from apps.meter_service.doctype.import_batch.error_codes import ImportBatchErrorCode
from apps.meter_service.doctype.import_batch.events import ImportBatchEvents
from apps.meter_service.doctype.import_batch.models import ImportBatch, ImportStatus
from apps.meter_service.doctype.import_batch.readers import Row, Table
from apps.meter_service.doctype.import_batch.selectors import progress_key
from apps.meter_service.doctype.import_batch.targets import (
    CREATE,
    ImportSpec,
    Pending,
    get_spec,
    save_one,
)
from apps.meter_service.doctype.outbox.services import enqueue

logger = logging.getLogger("meter_service.import")

PREVIEW_ROWS = 20
# Rows checked and saved together: bounds a transaction of the import (the writer lock on
# SQLite: under a second) and the statements of a batch (a few inserts for its new records).
IMPORT_BATCH_ROWS = 250
PROGRESS_TIMEOUT = 24 * 60 * 60
# A file with thousands of bad rows is fixed from the first few hundred messages; keeping
# them all would bloat the batch row.
MAX_STORED_ERRORS = 500


# --- upload -------------------------------------------------------------------------------


def import_batch_create(
    *, target: str, uploaded_file: UploadedFile, actor: User | None
) -> ImportBatch:
    """Store an uploaded file as a batch and queue its dry run.

    The file's size, type, header and row count are checked here, so a file that cannot
    be imported at all is refused at once with the reason.
    """
    spec = get_spec(target)
    name = (getattr(uploaded_file, "name", "") or "").replace("\\", "/").rsplit("/", 1)[-1]
    data = readers.read_upload(uploaded_file)
    # Read before the transaction: parsing a large workbook must not hold the write lock.
    table = readers.read_table(data, filename=name, columns=spec.columns)
    kind = readers.file_format(data, name)
    batch = ImportBatch(
        target=target,
        original_name=name[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        total_rows=len(table.rows),
        created_by=actor,
    )
    # A generated name: the original may hold characters the storage would mangle.
    batch.file.save(f"{uuid.uuid4().hex}.{kind}", ContentFile(data), save=False)
    batch.full_clean()
    with transaction.atomic():
        batch.save()
        enqueue("import_batch_validate", batch.id)
    return batch


# --- running the rows -----------------------------------------------------------------------


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    failed_rows: int = 0
    errors: list[dict] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    omitted_errors: int = 0

    def add_error(self, *, row: int | None, column: str, messages: list) -> None:
        if len(self.errors) >= MAX_STORED_ERRORS:
            self.omitted_errors += 1
            return
        self.errors.append(_error_entry(row=row, column=column, messages=messages))

    def stored_errors(self) -> list[dict]:
        if not self.omitted_errors:
            return self.errors
        notice = _("%(count)s more errors are not shown; fix the ones above and upload again.")
        return [
            *self.errors,
            _error_entry(
                row=None,
                column="",
                messages=[
                    ValidationError(notice, params={"count": local_digits(self.omitted_errors)})
                ],
            ),
        ]


def _error_entry(*, row: int | None, column: str, messages: list) -> dict:
    """Return an error as stored on the batch, its text in every language of the site.

    The jobs run with no user's language; keeping each translation lets the desk show the
    errors in the language of whoever opens the batch.
    """
    texts = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            texts[code] = " ".join(_texts(messages))
    return {
        "row": row,
        "field": column,
        "message": texts.get(settings.LANGUAGE_CODE, next(iter(texts.values()))),
        "messages": texts,
    }


def _texts(messages: list) -> list[str]:
    texts: list[str] = []
    for message in messages:
        if isinstance(message, ValidationError):
            texts.extend(str(text) for text in message.messages)
        else:
            texts.append(str(message))
    return texts


def _jsonable(value: object) -> object:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, bool | int | str) or value is None:
        return value
    return DjangoJSONEncoder().default(value)


def _report_progress(batch_id: int, processed: int, total: int) -> None:
    cache.set(progress_key(batch_id), {"processed": processed, "total": total}, PROGRESS_TIMEOUT)


class _RowForm:
    """One form of the target, bound to each row in turn: building a form deep-copies its
    fields, which was a large share of a row's check."""

    def __init__(self, form_class: type[forms.Form]) -> None:
        self.form = form_class(data={})

    def bind(self, values: dict) -> forms.Form:
        form = self.form
        form.data = normalize_form_data(values)
        form._errors = None  # type: ignore[attr-defined]  # cleaned again by is_valid
        return form


@dataclass
class _Checked:
    """A row after its form: its errors so far, and its save when it has none."""

    row: Row
    errors: list[tuple[str, list]]
    # The row's values as the preview shows them (made only for the first rows shown).
    values: Callable[[], dict] | None = None
    pending: Pending | None = None


def _run_rows(
    *,
    batch: ImportBatch,
    spec: ImportSpec,
    table: Table,
    start: int = 0,
    stop: int | None = None,
    report: bool = True,
) -> _Outcome:
    """Save the rows start..stop through their services and collect what happened; the
    rows of each batch of IMPORT_BATCH_ROWS go through their form one by one, then are saved
    together (new records in a few inserts, see ImportSpec.bulk). `report`: the progress
    after each batch (the import reports it itself, once the batch is committed)."""
    outcome = _Outcome()
    total = len(table.rows)
    stop = total if stop is None else stop
    seen: dict[object, int] = {}
    custom = spec.custom_columns(table.columns)
    form = _RowForm(spec.form_class)
    if report:
        _report_progress(batch.pk, start, total)
    for first in range(start, stop, IMPORT_BATCH_ROWS):
        rows = table.rows[first : min(first + IMPORT_BATCH_ROWS, stop)]
        _run_batch(
            spec=spec,
            rows=rows,
            table=table,
            custom=custom,
            actor=batch.created_by,
            seen=seen,
            form=form,
            out=outcome,
        )
        if report:
            _report_progress(batch.pk, first + len(rows), total)
    return outcome


def _run_batch(
    *,
    spec: ImportSpec,
    rows: Sequence[Row],
    table: Table,
    custom: list[str],
    actor: Actor,
    seen: dict[object, int],
    form: _RowForm,
    out: _Outcome,
) -> None:
    checked = [
        _check_row(spec=spec, row=row, table=table, custom=custom, seen=seen, form=form)
        for row in rows
    ]
    pending = [item.pending for item in checked if item.pending is not None]

    def one(save: Pending) -> None:
        save_one(spec.save, save, actor)

    if spec.bulk is not None:
        spec.bulk(pending, actor, one)
    else:
        for save in pending:
            one(save)
    # In file order, as the rows were saved one by one before.
    for item in checked:
        errors = item.errors
        result = item.pending.result if item.pending is not None else None
        if isinstance(result, ValidationError):
            errors += [(spec.column_of(name), messages) for name, messages in _error_items(result)]
        elif isinstance(result, IntegrityError):
            logger.info("import row refused by the database: %s", result)
            errors.append(
                ("", [_("This row conflicts with a record already saved; check its values.")])
            )
        elif result is not None:
            if result == CREATE:
                out.created += 1
            else:
                out.updated += 1
            if len(out.preview) < PREVIEW_ROWS:
                values = item.values() if item.values is not None else None
                out.preview.append({"row": item.row.number, "action": result, "values": values})
        for column, messages in errors:
            out.add_error(row=item.row.number, column=column, messages=messages)
        if errors:
            out.failed_rows += 1


def _check_row(
    *,
    spec: ImportSpec,
    row: Row,
    table: Table,
    custom: list[str],
    seen: dict[object, int],
    form: _RowForm,
) -> _Checked:
    """Run a row's form: its errors, or the fields its service is given."""
    out = _Checked(row=row, errors=[])
    if row.stray:
        out.errors.append(("", [_("This row has values in cells without a column name.")]))
    bound = form.bind(row.values)
    valid = bound.is_valid()
    cleaned = dict(bound.cleaned_data)
    if spec.key and spec.key in cleaned:
        key = cleaned[spec.key]
        if key in seen:
            out.errors.append(
                (
                    spec.key,
                    [
                        ValidationError(
                            _("This value already appears in row %(row)s of the file."),
                            code=ImportBatchErrorCode.DUPLICATE_IN_FILE,
                            params={"row": seen[key]},
                        )
                    ],
                )
            )
            return out
        seen[key] = row.number
    if not valid:
        for name, errors in bound.errors.as_data().items():
            out.errors.append((name if name in bound.fields else "", errors))
        return out
    if row.stray:
        return out
    fields = spec.pick(cleaned, [name for name in table.columns if name in bound.fields])
    if custom:
        # The custom field columns, as typed: the service checks them (a column left out
        # leaves that value alone; an empty cell clears it).
        fields["custom_fields"] = {key: row.values.get(key, "") for key in custom}
    out.pending = Pending(fields=fields)
    fields_of_form = set(bound.fields)
    out.values = lambda: {
        name: _jsonable(cleaned.get(name) if name in fields_of_form else row.values.get(name))
        for name in table.columns
    }
    return out


def _error_items(error: ValidationError) -> list[tuple[str, list]]:
    if hasattr(error, "error_dict"):
        return [(name, errors) for name, errors in error.error_dict.items()]
    return [("", error.error_list)]


def _read_batch(batch: ImportBatch, spec: ImportSpec) -> Table:
    """Return the rows of the batch's stored file, refusing it if it is not the one uploaded."""
    try:
        with batch.file.open("rb") as stored:
            data = stored.read()
    except OSError as exc:
        raise ValidationError(
            _("The uploaded file can no longer be found; upload it again."),
            code=ImportBatchErrorCode.FILE_MISSING,
        ) from exc
    if batch.sha256 and hashlib.sha256(data).hexdigest() != batch.sha256:
        raise ValidationError(
            _("The stored file changed after it was uploaded; upload it again."),
            code=ImportBatchErrorCode.FILE_CHANGED,
        )
    return readers.read_table(data, filename=batch.file.name, columns=spec.columns)


def _file_errors(error: ValidationError) -> list[dict]:
    return [_error_entry(row=None, column="", messages=[message]) for message in error.error_list]


def _unexpected_error() -> list[dict]:
    return [
        _error_entry(
            row=None,
            column="",
            messages=[_("The file could not be processed because of an internal error.")],
        )
    ]


# --- dry run --------------------------------------------------------------------------------


@contextlib.contextmanager
def _dry_run_database() -> Iterator[None]:
    """Point this thread's default database at a private copy while the dry run writes.

    Only for a SQLite database in a file (the backend's snapshot_to): elsewhere the dry run
    writes to the database itself and rolls back (MariaDB locks the rows it writes only).
    """
    site = connections[DEFAULT_DB_ALIAS]
    # Only our SQLite backend has snapshot_to, and SQLite is_in_memory_db.
    in_memory = hasattr(site, "snapshot_to") and site.is_in_memory_db()  # type: ignore[attr-defined]
    if not hasattr(site, "snapshot_to") or in_memory or site.in_atomic_block:
        yield
        return
    folder = Path(
        tempfile.mkdtemp(prefix=".import-check-", dir=Path(site.settings_dict["NAME"]).parent)
    )
    try:
        copy_path = folder / "db.sqlite3"
        site.snapshot_to(str(copy_path))
        copy = type(site)(
            {**site.settings_dict, "NAME": str(copy_path), "CONN_MAX_AGE": 0}, DEFAULT_DB_ALIAS
        )
        connections[DEFAULT_DB_ALIAS] = copy  # this thread's connection only
        try:
            yield
        finally:
            connections[DEFAULT_DB_ALIAS] = site
            copy.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def import_batch_validate(*, batch_id: int) -> ImportBatch:
    """Dry-run a batch: save every row for real, then roll all of it back.

    Uniqueness, record rules and database constraints are met as in the import itself, and
    rows later in the file see the rows before them. Leaves the batch valid or invalid.
    """
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    if batch.status not in (ImportStatus.UPLOADED, ImportStatus.VALIDATING):
        logger.info("batch %s is %s; not checked again", batch.pk, batch.status)
        return batch
    batch.status = ImportStatus.VALIDATING
    batch.save(update_fields=["status"])
    spec = get_spec(batch.target)
    outcome = _Outcome()
    try:
        table = _read_batch(batch, spec)
        with _dry_run_database(), transaction.atomic():
            outcome = _run_rows(batch=batch, spec=spec, table=table)
            transaction.set_rollback(True)
    except ValidationError as error:
        # The file itself cannot be read any more: not one row was checked.
        errors, rows, processed = _file_errors(error), batch.total_rows, 0
    except Exception:
        logger.exception("import dry run failed", extra={"batch": batch.pk})
        return _fail(batch, errors=_unexpected_error(), processed=0)
    else:
        errors, rows = outcome.stored_errors(), len(table.rows)
        processed = rows
    batch.status = ImportStatus.INVALID if errors else ImportStatus.VALID
    batch.total_rows = rows
    batch.processed_rows = processed
    batch.created_rows, batch.updated_rows = outcome.created, outcome.updated
    batch.errors, batch.preview = errors, outcome.preview
    batch.finished_at = timezone.now() if errors else None
    batch.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_rows",
            "updated_rows",
            "errors",
            "preview",
            "finished_at",
        ]
    )
    record_event(
        document=batch,
        event_type=ImportBatchEvents.IMPORT_VALIDATED,
        actor=batch.created_by,
        parameters={
            "valid": not errors,
            "rows": rows,
            "would_create": outcome.created,
            "would_update": outcome.updated,
            "rows_with_errors": outcome.failed_rows,
        },
    )
    return batch


# --- import ---------------------------------------------------------------------------------


@transaction.atomic
def import_batch_start(*, batch: ImportBatch, actor: Actor) -> ImportBatch:
    """Queue the import of a batch whose dry run found no errors."""
    # A conditional update, so a double click or two users cannot start it twice.
    started = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.VALID).update(
        status=ImportStatus.IMPORTING, processed_rows=0
    )
    if not started:
        raise ValidationError(
            _("Only a file that was checked and has no errors can be imported."),
            code=ImportBatchErrorCode.NOT_VALID,
        )
    batch.refresh_from_db()
    _report_progress(batch.pk, 0, batch.total_rows)
    record_event(
        document=batch,
        event_type=ImportBatchEvents.IMPORT_STARTED,
        actor=actor,
        parameters={"rows": batch.total_rows},
    )
    enqueue("import_batch_apply", batch.id)
    return batch


class _BatchRefused(Exception):
    """A batch of the import had a refused row: its transaction is rolled back."""


def import_batch_apply(*, batch_id: int) -> ImportBatch:
    """Import a started batch, IMPORT_BATCH_ROWS rows a transaction, stopping at the first
    batch with a refused row (its rows are undone).

    The rows are checked again, since the data may have changed since the dry run. Each
    batch commits on its own, so no transaction holds the writer lock (SQLite) for long; the
    batch row counts what is committed, so the progress is what is saved, and a second run
    of the job (after a worker died) goes on after the last committed batch. A row refused
    here means another user changed the data after the check: the batch is then failed with
    the row's errors after a first message saying which rows were imported (see
    _partial_notice); nothing is half-written silently.
    """
    batch = ImportBatch.objects.select_related("created_by").get(pk=batch_id)
    if batch.status != ImportStatus.IMPORTING:
        logger.info("batch %s is %s; not imported", batch.pk, batch.status)
        return batch
    spec = get_spec(batch.target)
    try:
        table = _read_batch(batch, spec)
    except ValidationError as error:
        return _fail(batch, errors=_file_errors(error), processed=0)
    total = len(table.rows)
    done = batch.processed_rows
    # Counts of the batches an earlier run committed (the check's would-be counts before).
    created, updated = (batch.created_rows, batch.updated_rows) if done else (0, 0)
    outcome = _Outcome()
    try:
        while done < total:
            stop = min(done + IMPORT_BATCH_ROWS, total)
            with transaction.atomic():
                # Only the run that finds the batch where it left it goes on.
                locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
                if locked.status != ImportStatus.IMPORTING or locked.processed_rows != done:
                    return locked
                outcome = _run_rows(
                    batch=batch, spec=spec, table=table, start=done, stop=stop, report=False
                )
                if outcome.errors:
                    raise _BatchRefused
                created += outcome.created
                updated += outcome.updated
                ImportBatch.objects.filter(pk=batch.pk).update(
                    processed_rows=stop, created_rows=created, updated_rows=updated
                )
            done = stop
            _report_progress(batch.pk, done, total)  # committed: the desk's bar moves on
        with transaction.atomic():
            batch.created_rows, batch.updated_rows = created, updated
            _mark_imported(batch, rows=total)
    except _BatchRefused:
        errors = outcome.stored_errors()
        if done:
            errors = [_partial_notice(done, total), *errors]
        return _fail(
            batch, errors=errors, processed=done, created=created, updated=updated, imported=done
        )
    except Exception:
        logger.exception("import failed", extra={"batch": batch.pk})
        errors = _unexpected_error()
        if done:
            errors = [_partial_notice(done, total), *errors]
        return _fail(
            batch, errors=errors, processed=done, created=created, updated=updated, imported=done
        )
    return batch


def _partial_notice(done: int, total: int) -> dict:
    return _error_entry(
        row=None,
        column="",
        messages=[
            ValidationError(
                _(
                    "The first %(done)s of the %(total)s rows were imported before the "
                    "errors below (the data changed after the check); the other rows were "
                    "not. Fix them and upload a file of the rows that were not imported."
                ),
                code=ImportBatchErrorCode.PARTLY_IMPORTED,
                params={"done": local_digits(done), "total": local_digits(total)},
            )
        ],
    )


def _mark_imported(batch: ImportBatch, *, rows: int) -> None:
    """Record the import's end (its counts set on `batch`) in one short transaction."""
    batch.status = ImportStatus.IMPORTED
    batch.total_rows = batch.processed_rows = rows
    batch.errors = []
    batch.finished_at = timezone.now()
    batch.save(
        update_fields=[
            "status",
            "total_rows",
            "processed_rows",
            "created_rows",
            "updated_rows",
            "errors",
            "finished_at",
        ]
    )
    record_event(
        document=batch,
        event_type=ImportBatchEvents.IMPORT_APPLIED,
        actor=batch.created_by,
        parameters={"rows": rows, "created": batch.created_rows, "updated": batch.updated_rows},
    )


def _fail(
    batch: ImportBatch,
    *,
    errors: list[dict],
    processed: int,
    created: int = 0,
    updated: int = 0,
    imported: int = 0,
) -> ImportBatch:
    """Mark the batch failed after the transaction of the refused rows was rolled back.
    `created` and `updated`: what committed batches of an import saved before (the errors
    then start with the notice saying so)."""
    batch.status = ImportStatus.FAILED
    batch.errors = errors
    batch.processed_rows = processed
    batch.created_rows, batch.updated_rows = created, updated
    batch.finished_at = timezone.now()
    batch.save(
        update_fields=[
            "status",
            "errors",
            "processed_rows",
            "created_rows",
            "updated_rows",
            "finished_at",
        ]
    )
    record_event(
        document=batch,
        event_type=ImportBatchEvents.IMPORT_FAILED,
        actor=batch.created_by,
        parameters={"errors": len(errors), **({"rows_imported": imported} if imported else {})},
    )
    return batch
