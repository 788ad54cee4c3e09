"""An uploaded workbook is XML inside a zip: openpyxl parses it through defusedxml, so a
DOCTYPE or an entity in any part of it refuses the file instead of being expanded."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import openpyxl.xml
import pytest
from django.core.exceptions import ValidationError

from apps.meter_service.doctype.import_batch import readers

COLUMNS = [readers.Column(name="serial", label="serial", required=True)]


def _workbook(*rows: list[str]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_entity(data: bytes, value: str) -> bytes:
    """The workbook with its sheet's second cell replaced by an entity of this value."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                assert "<t>GT-1</t>" in text
                text = text.replace("<t>GT-1</t>", "<t>&v;</t>", 1)
                content = f'<!DOCTYPE worksheet [<!ENTITY v "{value}">]>{text}'.encode()
            target.writestr(item, content)
    return out.getvalue()


def test_openpyxl_parses_through_defusedxml():
    assert openpyxl.xml.DEFUSEDXML


def test_a_workbook_reads_as_typed():
    table = readers.read_table(_workbook(["serial"], ["GT-1"]), filename="m.xlsx", columns=COLUMNS)
    assert [row.values["serial"] for row in table.rows] == ["GT-1"]


def test_a_workbook_with_a_doctype_or_entity_is_refused():
    data = _with_entity(_workbook(["serial"], ["GT-1"]), "expanded")
    with pytest.raises(ValidationError) as refused:
        readers.read_table(data, filename="m.xlsx", columns=COLUMNS)
    assert refused.value.code == "bad_xlsx"
