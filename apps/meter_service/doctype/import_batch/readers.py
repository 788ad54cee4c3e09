"""Read the rows of an uploaded CSV or XLSX file of master data.

Everything here refuses a file as a whole (ValidationError with a translated message); the
rows themselves are checked later, one by one, by the import target's form and service.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.error_codes import CommonErrorCode
from apps.meter_service.doctype.import_batch.error_codes import ImportBatchErrorCode
from apps.meter_service.doctype.rule_setting.selectors import rule_value

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)

# The members every workbook saved by Excel, LibreOffice or openpyxl has; a renamed zip or
# .docx lacks the workbook part.
_XLSX_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")
# An XLSX is compressed XML; anything that unpacks to far more than the upload limit is a
# zip bomb rather than a spreadsheet.
_XLSX_MAX_EXPANSION = 20
_CSV_DELIMITERS = (",", ";", "\t")
# Direction marks and zero-width characters that copy-paste from right-to-left text leaves
# at the ends of a cell.
_INVISIBLE = (
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
_HEADER_NOISE = re.compile(r"[\s_\-*:" + _INVISIBLE + r"]+")
_UNIT_SUFFIX = re.compile(r"\([^()]*\)\s*$")
# Arabic letters that Arabic keyboards type where Persian has its own.
_ARABIC_TO_PERSIAN = str.maketrans({"\u064a": "\u06cc", "\u0643": "\u06a9", "\u0649": "\u06cc"})


@dataclass(frozen=True)
class Column:
    """One column an import target reads: its field name, its label, whether it must be there."""

    name: str
    label: Promise | str
    required: bool = False

    def header(self) -> str:
        """Return the column's name as written in a template file, in the active language."""
        return str(self.label)

    def aliases(self) -> set[str]:
        """Return every normalised header that names this column, in any language."""
        names = {self.name, str(self.label)}
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                names.add(str(self.label))
        # "initial reading (m³)" may be written without its unit.
        names |= {_UNIT_SUFFIX.sub("", name) for name in names}
        return {normalize_header(name) for name in names if name.strip()}


@dataclass(frozen=True)
class Row:
    """A data row: its number as a spreadsheet shows it and its cells by column name."""

    number: int
    values: dict[str, str]
    # True when a cell outside the named columns holds something; the row is then refused
    # rather than imported without that value.
    stray: bool = False


@dataclass(frozen=True)
class Table:
    """The rows of a file whose header has been matched to the target's columns."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]


def normalize_header(text: str) -> str:
    """Return a header reduced for comparison: no case, spaces, underscores or marks."""
    return _HEADER_NOISE.sub("", str(text).translate(_ARABIC_TO_PERSIAN)).casefold()


def max_rows() -> int:
    return int(rule_value("IMPORT_MAX_ROWS"))


def max_file_bytes() -> int:
    return int(settings.METER_SERVICE["IMPORT_MAX_FILE_BYTES"])


def _too_large() -> ValidationError:
    megabytes = max_file_bytes() / (1024 * 1024)
    return ValidationError(
        _("The file is too large; at most %(limit)s MB is allowed."),
        code=ImportBatchErrorCode.FILE_TOO_LARGE,
        params={"limit": f"{megabytes:g}"},
    )


def read_upload(uploaded_file: UploadedFile) -> bytes:
    """Return the bytes of an uploaded file, refusing an empty or oversized one."""
    limit = max_file_bytes()
    size = getattr(uploaded_file, "size", None)
    if size is not None and size > limit:
        raise _too_large()
    uploaded_file.seek(0)
    data = uploaded_file.read(limit + 1)
    if len(data) > limit:
        raise _too_large()
    if not data:
        raise ValidationError(_("The file is empty."), code=ImportBatchErrorCode.EMPTY_FILE)
    return data


def file_format(data: bytes, filename: str) -> str:
    """Return "csv" or "xlsx" from the file's name, after checking its content matches."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in FORMATS:
        raise ValidationError(
            _("Upload a CSV or XLSX file; files of this type cannot be imported."),
            code=CommonErrorCode.FILE_TYPE,
        )
    if not data:
        raise ValidationError(_("The file is empty."), code=ImportBatchErrorCode.EMPTY_FILE)
    if extension == XLSX:
        _check_xlsx(data)
    elif b"\x00" in data[:8192] or zipfile.is_zipfile(io.BytesIO(data)):
        # Text never holds NUL bytes; a spreadsheet or image renamed to .csv does.
        raise ValidationError(
            _("This file is not a CSV text file; save the sheet as CSV or XLSX and try again."),
            code=ImportBatchErrorCode.NOT_CSV,
        )
    return extension


def _check_xlsx(data: bytes) -> None:
    not_xlsx = ValidationError(
        _("This file is not an Excel workbook; save the sheet as .xlsx and try again."),
        code=ImportBatchErrorCode.NOT_XLSX,
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise not_xlsx from exc
    with archive:
        names = set(archive.namelist())
        if not all(member in names for member in _XLSX_MEMBERS):
            raise not_xlsx
        if sum(info.file_size for info in archive.infolist()) > (
            max_file_bytes() * _XLSX_MAX_EXPANSION
        ):
            raise _too_large()


def read_table(data: bytes, *, filename: str, columns: Sequence[Column]) -> Table:
    """Return the file's rows keyed by column name, or raise ValidationError for the file."""
    kind = file_format(data, filename)
    lines = _xlsx_lines(data) if kind == XLSX else _csv_lines(data)
    try:
        return _read_lines(lines, columns)
    finally:
        # Closes the workbook at once, also when a row limit stopped the reading early.
        lines.close()


def _read_lines(lines: Iterator[list[str]], columns: Sequence[Column]) -> Table:
    header = next(lines, None)
    if header is None or not any(header):
        raise ValidationError(
            _("The first row of the file must hold the column names."),
            code=ImportBatchErrorCode.NO_HEADER,
        )
    names = _match_header(header, columns)
    limit = max_rows()
    rows: list[Row] = []
    for number, cells in enumerate(lines, start=2):
        if not any(cells):
            continue
        if len(rows) >= limit:
            raise ValidationError(
                _("The file has more than %(limit)s data rows; split it into smaller files."),
                code=ImportBatchErrorCode.TOO_MANY_ROWS,
                params={"limit": limit},
            )
        values = {name: "" for name in names if name}
        stray = False
        for index, cell in enumerate(cells):
            name = names[index] if index < len(names) else None
            if name:
                values[name] = cell
            elif cell:
                stray = True
        rows.append(Row(number=number, values=values, stray=stray))
    if not rows:
        raise ValidationError(
            _("The file has column names but no data rows."), code=ImportBatchErrorCode.NO_ROWS
        )
    return Table(columns=tuple(name for name in names if name), rows=tuple(rows))


def _match_header(header: Sequence[str], columns: Sequence[Column]) -> list[str | None]:
    """Return the column name of each header cell (None for a blank one)."""
    by_alias: dict[str, Column] = {}
    for column in columns:
        for alias in column.aliases():
            by_alias.setdefault(alias, column)
    names: list[str | None] = []
    seen: dict[str, str] = {}
    unknown: list[str] = []
    duplicate: list[str] = []
    for text in header:
        if not text:
            names.append(None)
            continue
        found = by_alias.get(normalize_header(text))
        if found is None:
            unknown.append(text)
            names.append(None)
        elif found.name in seen:
            duplicate.append(f"{seen[found.name]} / {text}")
            names.append(None)
        else:
            seen[found.name] = text
            names.append(found.name)
    missing = [column.header() for column in columns if column.required and column.name not in seen]
    errors = []
    if unknown:
        errors.append(
            ValidationError(
                _("Unknown columns: %(columns)s. The columns of this data are: %(expected)s."),
                code=ImportBatchErrorCode.UNKNOWN_COLUMNS,
                params={
                    "columns": _join(unknown),
                    "expected": _join(column.header() for column in columns),
                },
            )
        )
    if duplicate:
        errors.append(
            ValidationError(
                _("These columns appear more than once: %(columns)s."),
                code=ImportBatchErrorCode.DUPLICATE_COLUMNS,
                params={"columns": _join(duplicate)},
            )
        )
    if missing:
        errors.append(
            ValidationError(
                _("These required columns are missing: %(columns)s."),
                code=ImportBatchErrorCode.MISSING_COLUMNS,
                params={"columns": _join(missing)},
            )
        )
    if errors:
        raise ValidationError(errors)
    return names


def _join(items: Iterable[str]) -> str:
    # The Persian comma reads naturally in both directions of text.
    separator = "، " if (translation.get_language() or "fa").startswith("fa") else ", "
    return separator.join(f"«{item}»" for item in items)


def _clean_cell(value: str) -> str:
    return value.strip().strip(_INVISIBLE).strip()


# --- CSV ----------------------------------------------------------------------------------


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data.decode("utf-8-sig")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Excel on Persian Windows saves "CSV" in the Arabic code page.
    try:
        return data.decode("cp1256")
    except UnicodeDecodeError as exc:
        raise ValidationError(
            _("The text encoding of the file is not recognised; save it as CSV UTF-8."),
            code=ImportBatchErrorCode.ENCODING,
        ) from exc


def _csv_lines(data: bytes) -> Generator[list[str], None, None]:
    text = _decode(data)
    first_line, _newline, rest = text.partition("\n")
    # Excel writes a "sep=;" line before the header when asked to; it is not a row.
    hint = re.fullmatch(r"\s*sep=(.)\s*", first_line)
    if hint:
        delimiter, text = hint.group(1), rest
        first_line = rest.partition("\n")[0]
    else:
        counts = {d: first_line.count(d) for d in _CSV_DELIMITERS}
        delimiter = max(counts, key=counts.__getitem__) if any(counts.values()) else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            yield [_clean_cell(cell) for cell in cells]
    except csv.Error as exc:
        raise ValidationError(
            _("The CSV file could not be read; check that it was saved as CSV."),
            code=ImportBatchErrorCode.BAD_CSV,
        ) from exc


# --- XLSX ---------------------------------------------------------------------------------


def cell_text(value: object) -> str:
    """Return a spreadsheet value as the text a user would type for it.

    Whole numbers lose the ".0" a spreadsheet adds to them, dates become ISO dates (a
    midnight date-time is a date), booleans become 1 and 0.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return _clean_cell(str(value))


def _xlsx_lines(data: bytes) -> Generator[list[str], None, None]:
    from openpyxl import load_workbook

    unreadable = ValidationError(
        _("The workbook could not be read; open it in Excel, save it as .xlsx and try again."),
        code=ImportBatchErrorCode.BAD_XLSX,
    )
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        # openpyxl raises anything from KeyError to XML parse errors on a damaged file.
        raise unreadable from exc
    try:
        if not workbook.worksheets:
            raise unreadable
        sheet = workbook.worksheets[0]
        # Some writers store a wrong sheet size, which would cut rows off in read-only mode.
        sheet.reset_dimensions()
        try:
            for values in sheet.iter_rows(values_only=True):
                yield [cell_text(value) for value in values]
        except ValidationError:
            raise
        except Exception as exc:
            raise unreadable from exc
    finally:
        workbook.close()


# --- templates ----------------------------------------------------------------------------


def template_csv(columns: Sequence[Column]) -> bytes:
    """Return a CSV file holding only the header row, readable by Excel (UTF-8 with BOM)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([column.header() for column in columns])
    return buffer.getvalue().encode("utf-8-sig")


def template_xlsx(columns: Sequence[Column], *, sheet_title: str) -> bytes:
    """Return an XLSX workbook holding only the header row, as text-formatted columns."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title[:31] or "Sheet1"
    sheet.sheet_view.rightToLeft = translation.get_language_bidi()
    sheet.append([column.header() for column in columns])
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.header()) + 4)
        # Text format keeps leading zeros of IDs typed into the template.
        sheet.column_dimensions[letter].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = [
    "CSV",
    "XLSX",
    "Column",
    "Row",
    "Table",
    "cell_text",
    "file_format",
    "normalize_header",
    "read_table",
    "read_upload",
    "template_csv",
    "template_xlsx",
]
