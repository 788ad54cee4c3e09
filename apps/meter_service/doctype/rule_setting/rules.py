"""Rule settings' types: how a value typed in the desk is read and checked, and shown.

Pure functions: no queries, no writes. Each rule of core/rule_settings.RULES has a type:
named here where its default does not say enough (a percentage, money, the tolerance bands,
office hours, roles), otherwise taken from its default (a yes/no, or a whole number whose
bounds its unit gives). Persian and Arabic-Indic digits are accepted everywhere.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import local_digits
from apps.meter_service.core.forms import normalize_input
from apps.meter_service.core.rule_settings import RULES, SITE_ONLY
from apps.meter_service.core.types import StrOrPromise
from apps.meter_service.doctype.rule_setting.error_codes import RuleSettingErrorCode as Code
from apps.meter_service.permissions import Role, role_label


class Kind(StrEnum):
    BOOLEAN = "boolean"
    INTEGER = "integer"
    MONEY = "money"
    PERCENT = "percent"
    NUMBER = "number"
    CHOICE = "choice"
    COMPANY_CODE = "company_code"
    ROLES = "roles"
    LANES = "lanes"
    BANDS = "bands"
    HOURS = "hours"


@dataclass(frozen=True)
class RuleType:
    kind: Kind
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    # HOURS: empty input means a day off (null)
    optional: bool = False
    # NUMBER: the bounds themselves are refused
    exclusive: bool = False


GiB = 1024**3
# Whole numbers by unit (the end of the rule's name): the least and most that make sense.
UNIT_BOUNDS: dict[str, tuple[int, int]] = {
    "_SECONDS": (1, 7 * 24 * 3600),
    "_MINUTES": (1, 7 * 24 * 60),
    "_HOURS": (1, 30 * 24),
    "_DAYS": (1, 10 * 365),
    "_BYTES": (1024, GiB),
    "_PIXELS": (1_000_000, 500_000_000),
}
COUNT_BOUNDS = (1, 1_000_000)

TYPES: dict[str, RuleType] = {
    "VAT_PERCENT": RuleType(Kind.PERCENT, 0, 100),
    "SLA_AT_RISK_PERCENT": RuleType(Kind.PERCENT, 1, 99),
    "CORRECTION_APPROVAL_LIMIT_RIAL": RuleType(Kind.MONEY, 0, 10**13),
    "TARIFF_MONTH_DAYS": RuleType(Kind.NUMBER, 28, 31),
    "TRANSITION_FLOW_FRACTION": RuleType(Kind.NUMBER, 0, 1, exclusive=True),
    "OTP_LENGTH": RuleType(Kind.INTEGER, 4, 10),
    "LAST_BILL_RECENT_COUNT": RuleType(Kind.INTEGER, 1, 24),
    "DASHBOARD_CACHE_SECONDS": RuleType(Kind.INTEGER, 0, 3600),
    "GAS_COMPANY_CODE": RuleType(Kind.COMPANY_CODE),
    "CORRECTION_ERROR_BASIS": RuleType(Kind.CHOICE, choices=("mean", "decisive")),
    "STAFF_TOTP_REQUIRED_ROLES": RuleType(Kind.ROLES),
    "COMPLAINT_ESCALATION_ROLES": RuleType(Kind.ROLES, minimum=1),
    "PERSONAL_DATA_ROLES": RuleType(Kind.ROLES),
    "PERSONAL_DATA_REVEAL_ROLES": RuleType(Kind.ROLES),
    "PROCESS_LANE_ROLES": RuleType(Kind.LANES),
    "IN_SERVICE_TOLERANCE_BANDS": RuleType(Kind.BANDS, 0, 100, exclusive=True),
    "SLA_WORKDAY_HOURS": RuleType(Kind.HOURS),
    "SLA_THURSDAY_HOURS": RuleType(Kind.HOURS, optional=True),
}


def rule_type(name: str) -> RuleType:
    """The type of rule setting `name` (KeyError for a name RULES does not have)."""
    default = RULES[name].default
    if name in TYPES:
        return TYPES[name]
    if isinstance(default, bool):
        return RuleType(Kind.BOOLEAN)
    if isinstance(default, int):
        low, high = next(
            (bounds for unit, bounds in UNIT_BOUNDS.items() if name.endswith(unit)), COUNT_BOUNDS
        )
        return RuleType(Kind.INTEGER, low, high)
    raise TypeError(f"rule setting {name} has no type: name one in TYPES")


def editable(name: str) -> bool:
    """True for a rule the desk may change (not one a site sets in site_config.json only)."""
    return name in RULES and name not in SITE_ONLY


def _error(message: StrOrPromise, code: Code, **params: Any) -> ValidationError:
    return ValidationError({"value": ValidationError(message, code=code, params=params or None)})


# --- reading what was typed --------------------------------------------------------------

TRUE_WORDS = frozenset({"true", "yes", "on", "1", "بله", "آری", "بلی", "روشن"})
FALSE_WORDS = frozenset({"false", "no", "off", "0", "خیر", "نه", "خاموش"})
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_HOUR_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Items of a list: one a line, or separated by commas (Latin or Persian).
_ITEM_SEPARATORS = re.compile(r"[\n,،]+")


def _number_text(text: str) -> str:
    """Digits made ASCII; thousands separators, spaces and a percent sign dropped."""
    return re.sub(r"[\s,٬%٪]", "", normalize_input(text))


def _decimal(text: str) -> Decimal:
    cleaned = _number_text(text)
    if not _NUMBER_RE.match(cleaned):
        raise _error(_("Enter a number, such as 12 or 12.5."), Code.RULE_NOT_A_NUMBER)
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise _error(_("Enter a number, such as 12 or 12.5."), Code.RULE_NOT_A_NUMBER) from exc


def _check_range(number: Decimal, kind: RuleType) -> None:
    low, high = kind.minimum, kind.maximum
    too_low = low is not None and (number <= low if kind.exclusive else number < low)
    too_high = high is not None and (number >= high if kind.exclusive else number > high)
    if too_low or too_high:
        message = (
            _("Enter a number greater than %(minimum)s and less than %(maximum)s.")
            if kind.exclusive
            else _("Enter a number from %(minimum)s to %(maximum)s.")
        )
        raise _error(
            message,
            Code.RULE_OUT_OF_RANGE,
            minimum=local_digits(_plain(low)),
            maximum=local_digits(_plain(high)),
        )


def _plain(number: float | Decimal | None) -> str:
    if number is None:
        return ""
    value = Decimal(str(number))
    return str(int(value)) if value == value.to_integral_value() else str(value.normalize())


def _whole_or_float(number: Decimal) -> int | float:
    return int(number) if number == number.to_integral_value() else float(number)


def _roles(items: list[str], name: str) -> list[str]:
    unknown = [item for item in items if item not in Role.values]
    if unknown:
        raise _error(
            _("Unknown role: %(role)s. Use the roles' codes, such as service_manager."),
            Code.RULE_UNKNOWN_ROLE,
            role=", ".join(unknown),
        )
    return list(dict.fromkeys(items))


def _json(text: str) -> Any:
    try:
        return json.loads(normalize_input(text))
    except (ValueError, TypeError) as exc:
        raise _error(
            _("Enter the value as JSON, in the structure the rule's default shows."),
            Code.RULE_BAD_STRUCTURE,
        ) from exc


def _lanes(text: str, name: str) -> dict[str, list[str]]:
    value = _json(text)
    lanes = set(RULES[name].default)
    if not isinstance(value, dict) or set(value) != lanes:
        raise _error(
            _("Name every lane of the process, and only those: %(lanes)s."),
            Code.RULE_BAD_STRUCTURE,
            lanes=", ".join(sorted(lanes)),
        )
    result: dict[str, list[str]] = {}
    for lane, roles in value.items():
        if not isinstance(roles, list) or not roles or not all(isinstance(r, str) for r in roles):
            raise _error(_("Each lane needs a list of one or more roles."), Code.RULE_BAD_STRUCTURE)
        result[lane] = _roles([r.strip() for r in roles], name)
    return result


def _bands(text: str, name: str, kind: RuleType) -> dict[str, dict[str, float]]:
    value = _json(text)
    message = _(
        "Give each accuracy class its tolerance (± percent) in both flow bands, such as "
        '{"1.5": {"low": 3, "high": 1.5}}.'
    )
    if not isinstance(value, dict) or not value:
        raise _error(message, Code.RULE_BAD_STRUCTURE)
    result: dict[str, dict[str, float]] = {}
    for accuracy_class, by_band in value.items():
        try:
            class_number = Decimal(str(accuracy_class))
        except InvalidOperation:
            class_number = Decimal(0)
        if class_number <= 0 or not isinstance(by_band, dict) or set(by_band) != {"low", "high"}:
            raise _error(message, Code.RULE_BAD_STRUCTURE)
        bands: dict[str, float] = {}
        for band in ("low", "high"):
            figure = by_band[band]
            if isinstance(figure, bool) or not isinstance(figure, int | float | str):
                raise _error(message, Code.RULE_BAD_STRUCTURE)
            number = _decimal(str(figure))
            _check_range(number, kind)
            bands[band] = float(number)
        result[str(accuracy_class)] = bands
    # The meters' accuracy classes (meter.AccuracyClass), which the default names: a class
    # left out would leave its meters' tests without a tolerance.
    classes = set(RULES[name].default)
    if set(result) != classes:
        raise _error(
            _("Give the tolerance of every accuracy class, and only those: %(classes)s."),
            Code.RULE_BAD_STRUCTURE,
            classes=", ".join(sorted(classes)),
        )
    return result


def _hours(text: str, kind: RuleType) -> list[str] | None:
    cleaned = normalize_input(text).strip()
    if not cleaned and kind.optional:
        return None
    parts = [part for part in re.split(r"\s*(?:-|–|to|تا|\s)\s*", cleaned) if part]
    matches = [_HOUR_RE.match(part) for part in parts]
    if len(parts) != 2 or not all(matches):
        message = (
            _("Enter the hours as 07:00-12:00, or leave empty for a day off.")
            if kind.optional
            else _("Enter the hours as 07:00-15:00.")
        )
        raise _error(message, Code.RULE_BAD_HOURS)
    start, end = (f"{int(m.group(1)):02d}:{m.group(2)}" for m in matches if m)
    if start >= end:
        raise _error(_("The office hours must end after they start."), Code.RULE_BAD_HOURS)
    return [start, end]


def parse_value(name: str, value: Any) -> Any:
    """Return the rule's value read from `value` (text typed in the desk, or a value of the
    rule's type); raise ValidationError on the field "value" when it is not one."""
    if name not in RULES:
        raise ValidationError(
            {"name": ValidationError(_("No such rule setting."), code=Code.RULE_UNKNOWN)}
        )
    kind = rule_type(name)
    text = value if isinstance(value, str) else value_text(name, value)
    if kind.kind == Kind.BOOLEAN:
        word = normalize_input(text).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise _error(_("Choose yes or no."), Code.RULE_NOT_A_BOOLEAN)
    if kind.kind in (Kind.INTEGER, Kind.MONEY):
        number = _decimal(text)
        if number != number.to_integral_value():
            message = (
                _("Enter a whole number of Rials.")
                if kind.kind == Kind.MONEY
                else _("Enter a whole number.")
            )
            raise _error(message, Code.RULE_NOT_A_NUMBER)
        _check_range(number, kind)
        return int(number)
    if kind.kind in (Kind.PERCENT, Kind.NUMBER):
        number = _decimal(text)
        _check_range(number, kind)
        return _whole_or_float(number)
    if kind.kind == Kind.CHOICE:
        choice = text.strip()
        if choice not in kind.choices:
            raise _error(
                _("Choose one of: %(choices)s."),
                Code.RULE_NOT_A_CHOICE,
                choices=", ".join(kind.choices),
            )
        return choice
    if kind.kind == Kind.COMPANY_CODE:
        code = normalize_input(text).strip()
        if code and not re.fullmatch(r"\d{3}", code):
            raise _error(
                _("Enter the company's 3-digit code, or leave it empty."),
                Code.RULE_BAD_COMPANY_CODE,
            )
        return code
    if kind.kind == Kind.ROLES:
        items = [item.strip() for item in _ITEM_SEPARATORS.split(text) if item.strip()]
        if kind.minimum and len(items) < kind.minimum:
            raise _error(_("Name at least one role."), Code.RULE_UNKNOWN_ROLE, role="")
        return _roles(items, name)
    if kind.kind == Kind.LANES:
        return _lanes(text, name)
    if kind.kind == Kind.BANDS:
        return _bands(text, name, kind)
    return _hours(text, kind)


# --- showing a value ---------------------------------------------------------------------


def value_text(name: str, value: Any) -> str:
    """The value as the change form shows it for editing (and as parse_value reads it)."""
    kind = rule_type(name).kind
    if value is None:
        return ""
    if kind == Kind.BOOLEAN:
        return "true" if value else "false"
    if kind == Kind.ROLES:
        return "\n".join(str(item) for item in value)
    if kind in (Kind.LANES, Kind.BANDS):
        return json.dumps(value, ensure_ascii=False, indent=2)
    if kind == Kind.HOURS:
        return "-".join(value)
    if isinstance(value, float) and math.isfinite(value):
        return _plain(value)
    return str(value)


def value_display(name: str, value: Any) -> str:
    """The value as people read it in the desk's lists and history."""
    kind = rule_type(name).kind if name in RULES else None
    if kind == Kind.BOOLEAN:
        return gettext("Yes") if value else gettext("No")
    if kind == Kind.HOURS:
        return local_digits("–".join(value)) if value else gettext("Day off")
    if kind == Kind.MONEY:
        return gettext("%(amount)s Rial") % {"amount": local_digits(f"{int(value):,}")}
    if kind == Kind.PERCENT:
        return local_digits(_plain(value)) + "%"
    if kind == Kind.ROLES:
        return ", ".join(role_label(role) for role in value) if value else "—"
    if kind == Kind.LANES:
        return "; ".join(
            f"{lane}: " + ", ".join(role_label(role) for role in roles)
            for lane, roles in value.items()
        )
    if kind == Kind.BANDS:
        return "; ".join(
            local_digits(f"{cls}: ±{_plain(b['low'])}% / ±{_plain(b['high'])}%")
            for cls, b in value.items()
        )
    if kind == Kind.COMPANY_CODE and not value:
        return "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return local_digits(_plain(value))
    return str(value)
