"""Error codes and audit event types are enum members, never string literals.

Each doctype names its error codes in error_codes.py (a StrEnum) and its audit events in
events.py (a TextChoices with translated labels); the codes of no one doctype are in
apps/meter_service/error_codes.py. The values are what the API answers and what the audit
trail stores, so a code typed as a string could drift from them unseen: these tests walk
the app's source and refuse one.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db import models
from django.utils import translation

from apps.meter_service.audit.event_types import EVENT_ENUMS, event_types
from apps.meter_service.audit.labels import EVENT_LABELS
from apps.meter_service.registries import error_code_enums

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "apps" / "meter_service"

# Calls that take `code=` as a lookup of a record (an agency's code), not an error's code.
LOOKUPS = {"get", "get_or_create", "update_or_create", "filter", "exclude", "create"}
# Helpers that take the error code positionally: name -> index of the argument.
POSITIONAL_CODE = {"_error": 2, "_field_error": 2, "IdentifierError": 0, "ErrorKind": 1}
CODE_NAME = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def _source_files() -> list[Path]:
    return sorted(p for p in APP.rglob("*.py") if "migrations" not in p.parts)


def _callee(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return node.func.id if isinstance(node.func, ast.Name) else ""


def _literals(node: ast.AST) -> list[ast.AST]:
    """The string literals (plain or f-strings) a value can be, through `a if c else b`."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node]
    if isinstance(node, ast.JoinedStr):
        return [node]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    if isinstance(node, ast.BoolOp):
        return [literal for value in node.values for literal in _literals(value)]
    return []


def literal_codes(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, what) for every error code or event type written as a string literal."""
    found: list[tuple[int, str]] = []

    def refuse(values: list[ast.AST], what: str) -> None:
        found.extend((value.lineno, what) for value in values)

    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = _callee(node)
            for keyword in node.keywords:
                if keyword.arg == "event_type":
                    refuse(_literals(keyword.value), f"{name}(event_type=...)")
                elif keyword.arg == "code" and name not in LOOKUPS:
                    refuse(_literals(keyword.value), f"{name}(code=...)")
            index = POSITIONAL_CODE.get(name)
            if index is not None and len(node.args) > index:
                refuse(_literals(node.args[index]), f"{name}(...) code")
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names & {"code", "default_code", "event_type"} and node.value is not None:
                refuse(_literals(node.value), f"{sorted(names)[0]} = ...")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value in ("code", "event_type"):
                    plain = [v for v in _literals(value) if isinstance(v, ast.Constant)]
                    refuse(plain, f'{{"{key.value}": ...}}')
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "event_type" for s in sides):
                refuse([lit for s in sides for lit in _literals(s)], "event_type == ...")
    return found


def test_no_error_code_or_event_type_is_a_string_literal():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in _source_files()
        for line, what in literal_codes(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert found == [], "use the doctype's ErrorCode/Events enum member instead"


@pytest.mark.parametrize(
    "source",
    [
        'raise ValidationError(MESSAGE, code="no_meter")',
        'ValidationError({"f": ValidationError(M, code="a" if x else "b")})',
        'record_event(document=d, event_type="claim_filed")',
        'raise _error("field", MESSAGE, "reading_future")',
        'raise IdentifierError(f"{kind}_format", "message")',
        'default_code = "conflict"',
        'JsonResponse({"message": m, "extra": {"code": "too_large"}})',
        'if event.event_type == "process_step": pass',
    ],
)
def test_the_scan_finds_a_literal(source):
    assert literal_codes(ast.parse(source)) != []


def test_the_scan_lets_enum_members_and_lookups_pass():
    source = (
        "raise ValidationError(MESSAGE, code=ClaimErrorCode.NO_METER_INSTALLED)\n"
        "record_event(document=d, event_type=ClaimEvents.CLAIM_FILED)\n"
        'Agency.objects.get_or_create(code="ivr", defaults={})\n'
    )
    assert literal_codes(ast.parse(source)) == []


def test_every_error_code_module_is_collected():
    # The API schema lists the codes of error_code_enums(): it must find every module.
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts) for p in APP.rglob("error_codes.py")
    }
    assert modules == {enum.__module__ for enum in error_code_enums()}
    names = {enum.__name__ for enum in error_code_enums()}
    assert {"ClaimErrorCode", "PaymentErrorCode", "CommonErrorCode", "ApiErrorCode"} <= names


def test_every_error_code_is_unique_in_the_app_and_named_after_its_value():
    owners: dict[str, list[str]] = {}
    for enum in error_code_enums():
        for member in enum:
            owners.setdefault(member.value, []).append(f"{enum.__name__}.{member.name}")
            assert CODE_NAME.match(member.value), member
            assert member.name == member.value.upper(), member
    assert {value: names for value, names in owners.items() if len(names) > 1} == {}


def test_every_events_enum_is_in_the_registry():
    defined = set()
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Events"):
                defined.add(node.name)
    assert defined == {enum.__name__ for enum in EVENT_ENUMS}
    assert all(issubclass(enum, models.TextChoices) for enum in EVENT_ENUMS)


def test_every_event_type_is_unique_in_the_app():
    values = [member.value for enum in EVENT_ENUMS for member in enum]
    assert len(values) == len(set(values)) == len(event_types())
    assert all(CODE_NAME.match(value) for value in values)


def test_every_event_type_has_a_persian_label():
    untranslated = []
    for value, label in EVENT_LABELS.items():
        with translation.override("en"):
            english = str(label)
        with translation.override("fa"):
            persian = str(label)
        if persian in (english, value):
            untranslated.append(value)
    assert untranslated == []
