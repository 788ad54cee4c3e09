"""User task forms as data: form-js schemas kept with the process version.

A user task names its form by `camunda:formKey`; the version's `forms` maps each key to a
form-js schema (https://github.com/bpmn-io/form-js), designed in the process studio with
form-js's editor. The server never trusts the browser: a submission is checked here against
the schema (`schema_form`), and the domain services check what they read again.

What a schema may hold (anything else is refused when a version is saved or uploaded):

- components `textfield`, `textarea`, `number`, `checkbox`, `select`, `radio`, `datetime`
  (`subtype: "date"` only: a Jalali date in Persian), each with a `key`, and the layout-only
  `spacer` and `separator`; no conditions and no FEEL expressions (`=...`);
- `validate`: `required`, `min`/`max` (number), `minLength`/`maxLength`/`pattern` (text);
  `decimalDigits` on a number (0: whole numbers); `values` of a select or radio;
- labels in both languages: `label` (`dateLabel` for a date) is the English one, the custom
  property `label_fa` the Persian one, `label_fa:<value>` an option's Persian label;
- the custom property `required_if` ("other_key=value"): required when another field has
  that value.

`schemas_from_bpmn` turns Camunda `formData` (how forms were written before) into schemas.
"""

from __future__ import annotations

import copy
import datetime
import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from re import _constants as re_constants  # type: ignore[attr-defined]  # no stubs: private
from re import _parser as re_parser  # type: ignore[attr-defined]  # no stubs: private
from typing import Any, TypeAlias

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext as _
from lxml import etree

from apps.meter_service.core.forms import DigitNormalizingForm, digits_input
from apps.meter_service.core.jalali import JalaliDateField, format_date
from apps.meter_service.engine.error_codes import ProcessErrorCode

Schema: TypeAlias = dict[str, Any]
TaskData: TypeAlias = dict[str, Any]

# The schema version form-js 1.23 (package.json) writes.
SCHEMA_VERSION = 19
FIELD_COMPONENTS = ("textfield", "textarea", "number", "checkbox", "select", "radio", "datetime")
# Layout only: the server-rendered forms leave them out, and nothing is lost by that (a
# "text" component would be instructions nobody sees, so it is refused).
LAYOUT_COMPONENTS = ("spacer", "separator")
# What the server cannot honour: a field shown, hidden or filled by a FEEL expression.
EXPRESSION_PROPERTIES = ("label", "dateLabel", "description", "readonly", "defaultValue")
VALIDATE_KEYS = {
    "textfield": {"required", "minLength", "maxLength", "pattern", "validationType"},
    "textarea": {"required", "minLength", "maxLength", "pattern", "validationType"},
    "number": {"required", "min", "max"},
    "checkbox": {"required"},
    "select": {"required"},
    "radio": {"required"},
    "datetime": {"required"},
}
# Keys posted with every form that are no field of it (Django's CSRF token, submit buttons).
IGNORED_KEYS = {"csrfmiddlewaretoken"}
_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
MAX_PATTERN = 200
MAX_COMPONENTS = 100
# What a domain service needs a field to be: the value kinds of the components.
KINDS = {
    "textfield": "text",
    "textarea": "text",
    "number": "number",
    "checkbox": "boolean",
    "select": "option",
    "radio": "option",
    "datetime": "date",
}

KIND_LABELS = {
    "text": gettext_noop("text"),
    "number": gettext_noop("number"),
    "boolean": gettext_noop("yes/no"),
    "option": gettext_noop("choice"),
    "date": gettext_noop("date"),
}


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    label_fa: str = ""


@dataclass(frozen=True)
class SchemaField:
    """One input of a schema, read from its component."""

    key: str
    type: str
    label: str
    label_fa: str = ""
    required: bool = False
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str = ""
    decimal_digits: int | None = None
    options: tuple[Option, ...] = ()
    required_if: str = ""
    readonly: bool = False
    description: str = ""

    @property
    def kind(self) -> str:
        return KINDS[self.type]

    def shown_label(self) -> str:
        """The label in the active language (the catalogue's Persian when none is given)."""
        if translation.get_language() == "fa" and self.label_fa:
            return self.label_fa
        return gettext(self.label) if self.label else self.key

    def option_choices(self) -> list[tuple[str, str]]:
        persian = translation.get_language() == "fa"
        return [
            (o.value, o.label_fa if persian and o.label_fa else gettext(o.label or o.value))
            for o in self.options
        ]


# --- reading and checking a schema ----------------------------------------------------------
def _fail(message: str) -> ValidationError:
    return ValidationError(message, code=ProcessErrorCode.INVALID_FORM)


def _decimal(value: Any, where: str, name: str) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(_("%(where)s: %(name)s must be a number.") % {"where": where, "name": name})
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise _fail(
            _("%(where)s: %(name)s must be a number.") % {"where": where, "name": name}
        ) from exc
    if not number.is_finite():
        raise _fail(_("%(where)s: %(name)s must be a number.") % {"where": where, "name": name})
    return number


def _count(value: Any, where: str, name: str) -> int | None:
    number = _decimal(value, where, name)
    if number is None:
        return None
    if number != number.to_integral_value() or number < 0:
        raise _fail(
            _("%(where)s: %(name)s must be a whole number of zero or more.")
            % {"where": where, "name": name}
        )
    return int(number)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


_REPEATS = {re_constants.MAX_REPEAT, re_constants.MIN_REPEAT, re_constants.POSSESSIVE_REPEAT}


def _may_backtrack(parsed: Any, *, repeated: bool) -> bool:
    """Whether a parsed pattern can take exponential time: a repeat inside a repeat, an
    alternative inside a repeat, or a back-reference (patterns come from the studio and run
    on what subscribers type, and Python's re has no time limit)."""
    for op, av in parsed:
        if op in (re_constants.GROUPREF, re_constants.GROUPREF_EXISTS):
            return True
        if op in _REPEATS:
            _low, high, inner = av
            if high > 1 and repeated:
                return True
            if _may_backtrack(inner, repeated=repeated or high > 1):
                return True
            continue
        if op == re_constants.BRANCH and repeated:
            return True
        for part in av if isinstance(av, tuple | list) else ():
            if isinstance(part, re_parser.SubPattern) and _may_backtrack(part, repeated=repeated):
                return True
            if isinstance(part, list) and any(
                isinstance(p, re_parser.SubPattern) and _may_backtrack(p, repeated=repeated)
                for p in part
            ):
                return True
    return False


def _field_of(component: Mapping[str, Any], form_key: str) -> SchemaField:
    kind = component.get("type")
    key = component.get("key")
    where = f"{form_key}/{key or kind}"
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise _fail(
            _("%(where)s: a field needs a key of letters, digits and _ (%(key)s).")
            % {"where": form_key, "key": key}
        )
    if component.get("conditional"):
        raise _fail(
            _("%(where)s: a field shown or hidden by a condition is not supported.")
            % {"where": where}
        )
    for name in EXPRESSION_PROPERTIES:
        value = component.get(name)
        if isinstance(value, str) and value.startswith("="):
            raise _fail(
                _("%(where)s: %(name)s is an expression, which the forms cannot evaluate.")
                % {"where": where, "name": name}
            )
    validate = component.get("validate") or {}
    properties = component.get("properties") or {}
    if not isinstance(validate, dict) or not isinstance(properties, dict):
        raise _fail(_("%(where)s: validate and properties must be objects.") % {"where": where})
    unknown = set(validate) - VALIDATE_KEYS[str(kind)]
    if unknown:
        raise _fail(
            _("%(where)s: unknown rule %(rule)s.")
            % {"where": where, "rule": ", ".join(sorted(unknown))}
        )
    if validate.get("validationType") not in (None, "", "custom"):
        raise _fail(
            _("%(where)s: only a custom pattern can check a text (%(type)s).")
            % {"where": where, "type": validate.get("validationType")}
        )
    pattern = _text(validate.get("pattern"))
    if len(pattern) > MAX_PATTERN:
        raise _fail(_("%(where)s: the pattern is too long.") % {"where": where})
    if pattern:
        try:
            re.compile(pattern)
            parsed = re_parser.parse(pattern)
        except re.error as exc:
            raise _fail(
                _("%(where)s: the pattern %(pattern)s is not a regular expression: %(error)s")
                % {"where": where, "pattern": pattern, "error": exc}
            ) from exc
        if _may_backtrack(parsed, repeated=False):
            raise _fail(
                _(
                    "%(where)s: the pattern %(pattern)s repeats a part that itself repeats or "
                    "has alternatives, which can take the server forever on some text; use a "
                    "character class instead, such as [0-9-]+."
                )
                % {"where": where, "pattern": pattern}
            )
    options: list[Option] = []
    if kind in ("select", "radio"):
        values = component.get("values")
        if not isinstance(values, list) or not values:
            raise _fail(_("%(where)s: a choice needs its options (values).") % {"where": where})
        for value in values:
            if not isinstance(value, dict) or not isinstance(value.get("value"), str):
                raise _fail(_("%(where)s: each option needs a value.") % {"where": where})
            option_value = value["value"]
            options.append(
                Option(
                    value=option_value,
                    label=_text(value.get("label")) or option_value,
                    label_fa=_text(properties.get(f"label_fa:{option_value}")),
                )
            )
        if len({o.value for o in options}) != len(options):
            raise _fail(_("%(where)s: two options have the same value.") % {"where": where})
    if kind == "datetime" and component.get("subtype", "date") != "date":
        raise _fail(_("%(where)s: a date field takes a date only.") % {"where": where})
    required_if = _text(properties.get("required_if"))
    if required_if and "=" not in required_if:
        raise _fail(
            _("%(where)s: required_if reads other_field=value (%(rule)s).")
            % {"where": where, "rule": required_if}
        )
    minimum = _decimal(validate.get("min"), where, "min")
    maximum = _decimal(validate.get("max"), where, "max")
    min_length = _count(validate.get("minLength"), where, "minLength")
    max_length = _count(validate.get("maxLength"), where, "maxLength")
    if (minimum is not None and maximum is not None and minimum > maximum) or (
        min_length is not None and max_length is not None and min_length > max_length
    ):
        raise _fail(_("%(where)s: the least allowed is more than the most.") % {"where": where})
    label = component.get("dateLabel") if kind == "datetime" else component.get("label")
    return SchemaField(
        key=key,
        type=str(kind),
        label=_text(label),
        label_fa=_text(properties.get("label_fa")),
        required=bool(validate.get("required")),
        minimum=minimum,
        maximum=maximum,
        min_length=min_length,
        max_length=max_length,
        pattern=pattern,
        decimal_digits=_count(component.get("decimalDigits"), where, "decimalDigits")
        if kind == "number"
        else None,
        options=tuple(options),
        required_if=required_if,
        readonly=component.get("readonly") is True,
        description=_text(component.get("description")),
    )


def _components(schema: Any, form_key: str) -> Iterable[Mapping[str, Any]]:
    if not isinstance(schema, dict) or not isinstance(schema.get("components"), list):
        raise _fail(_("Form %(key)s is not a form-js schema (no components).") % {"key": form_key})
    components = schema["components"]
    if len(components) > MAX_COMPONENTS:
        raise _fail(_("Form %(key)s has too many fields.") % {"key": form_key})
    for component in components:
        if not isinstance(component, dict):
            raise _fail(
                _("Form %(key)s has a component that is not an object.") % {"key": form_key}
            )
        kind = component.get("type")
        if kind in LAYOUT_COMPONENTS:
            continue
        if kind not in FIELD_COMPONENTS:
            raise _fail(
                _("Form %(key)s has a component of unknown type %(type)s (known: %(known)s).")
                % {
                    "key": form_key,
                    "type": kind,
                    "known": ", ".join(FIELD_COMPONENTS + LAYOUT_COMPONENTS),
                }
            )
        yield component


def schema_fields(schema: Any, form_key: str = "") -> list[SchemaField]:
    """The schema's inputs, in order; ValidationError (translated) for a schema we refuse."""
    result = [_field_of(c, form_key) for c in _components(schema, form_key)]
    keys = [f.key for f in result]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise _fail(
            _("Form %(key)s has the field %(field)s twice.")
            % {"key": form_key, "field": ", ".join(twice)}
        )
    for spec in result:
        if spec.required_if:
            other = spec.required_if.partition("=")[0].strip()
            if other not in keys:
                raise _fail(
                    _("%(where)s: required_if names no field of the form (%(other)s).")
                    % {"where": f"{form_key}/{spec.key}", "other": other}
                )
    return result


def check_forms(forms_map: Any) -> dict[str, list[SchemaField]]:
    """Check a version's `forms` ({formKey: schema}); return each form's fields."""
    if not isinstance(forms_map, dict):
        raise _fail(_("The forms must be an object of form keys and schemas."))
    result = {}
    for key, schema in forms_map.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", key):
            raise _fail(_("%(key)s is not a form key.") % {"key": key})
        result[key] = schema_fields(schema, key)
    return result


# --- the Django form a schema makes -----------------------------------------------------------
def date_input() -> forms.TextInput:
    """A date typed as text with the portal's and desk's Jalali calendar (data-jalali), with
    today's date in the active calendar as the example."""
    return forms.TextInput(
        attrs={
            "inputmode": "numeric",
            "dir": "ltr",
            "autocomplete": "off",
            "data-jalali": "1",
            "placeholder": format_date(timezone.localdate()),
        }
    )


def date_hint() -> str:
    return gettext("Year/month/day, such as %(today)s, or pick the day on the calendar.") % {
        "today": format_date(timezone.localdate())
    }


def django_field(spec: SchemaField) -> forms.Field:
    label = spec.shown_label()
    common: dict[str, Any] = {"label": label, "required": spec.required}
    validators = []
    if spec.pattern:
        validators.append(
            RegexValidator(
                f"(?:{spec.pattern})\\Z", message=_("Enter a value in the expected form.")
            )
        )
    if spec.type in ("select", "radio"):
        choices = spec.option_choices()
        if spec.type == "select" and not spec.required:
            choices = [("", "—"), *choices]
        widget = forms.RadioSelect if spec.type == "radio" else forms.Select
        return forms.ChoiceField(choices=choices, widget=widget, **common)
    if spec.type == "checkbox":
        return forms.BooleanField(label=label, required=spec.required)
    if spec.type == "number":
        if spec.decimal_digits == 0:
            return forms.IntegerField(
                min_value=None if spec.minimum is None else int(spec.minimum),
                max_value=None if spec.maximum is None else int(spec.maximum),
                widget=digits_input(decimal=False),
                **common,
            )
        places = 3 if spec.decimal_digits is None else min(spec.decimal_digits, 6)
        return forms.DecimalField(
            min_value=spec.minimum,
            max_value=spec.maximum,
            max_digits=11 + places,
            decimal_places=places,
            widget=digits_input(),
            **common,
        )
    if spec.type == "datetime":
        return JalaliDateField(widget=date_input(), help_text=date_hint(), **common)
    long_text = spec.type == "textarea" or (spec.max_length or 0) > 100
    return forms.CharField(
        max_length=spec.max_length,
        min_length=spec.min_length,
        widget=forms.Textarea(attrs={"rows": 2}) if long_text else forms.TextInput,
        validators=validators,
        **common,
    )


class SchemaForm(DigitNormalizingForm):
    """The fields of one user task's schema, with its cross-field rules.

    Refuses keys the schema does not have: data for a field the form dropped is a mistake of
    the caller (or a forged post), never silently thrown away.
    """

    def __init__(
        self,
        *args: Any,
        fields: Iterable[SchemaField] = (),
        extra_rule: Callable[[TaskData], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.schema_fields = list(fields)
        self._extra_rule = extra_rule
        for spec in self.schema_fields:
            self.fields[spec.key] = django_field(spec)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned is None:  # as Django does when a clean() returns nothing
            cleaned = self.cleaned_data
        # With a prefix (a form beside another in one post), the keys under the prefix.
        own = {self.add_prefix(name) for name in self.fields}
        mine = (lambda key: key.startswith(f"{self.prefix}-")) if self.prefix else None
        unknown = sorted(
            key
            for key in (self.data or {})
            if key not in own
            and key not in IGNORED_KEYS
            and not key.startswith("_")
            and (mine is None or mine(key))
        )
        if unknown:
            raise ValidationError(
                gettext("This form has no field %(fields)s.") % {"fields": ", ".join(unknown)},
                code=ProcessErrorCode.UNKNOWN_FORM_FIELD,
            )
        for spec in self.schema_fields:
            if not spec.required_if or cleaned.get(spec.key) not in (None, ""):
                continue
            other, _sep, expected = spec.required_if.partition("=")
            if str(cleaned.get(other.strip())) == expected.strip():
                self.add_error(spec.key, _("This field is required."))
        if self._extra_rule and not self.errors:
            try:
                self._extra_rule(task_data(cleaned))
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned


def errors_into(form: forms.BaseForm, other: forms.BaseForm) -> None:
    """List the other form's errors as the form's own, "label: error" (one error summary for
    two forms posted together, as the claim form and the process's further details)."""
    for name, errors in other.errors.items():
        field = other.fields.get(name)
        for error in errors:
            form.add_error(None, f"{field.label}: {error}" if field and field.label else error)


def task_data(cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """Cleaned values as the plain JSON the engine keeps (dates ISO, decimals as floats)."""
    data: dict[str, Any] = {}
    for key, value in cleaned.items():
        if isinstance(value, datetime.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = float(value)
        elif value == "":
            value = None
        data[key] = value
    return data


def sample_value(spec: SchemaField) -> object:
    """A value the field accepts (the studio's dry run)."""
    if spec.type in ("select", "radio"):
        return spec.options[0].value if spec.options else ""
    if spec.type == "checkbox":
        return spec.required
    if spec.type == "number":
        low = spec.minimum if spec.minimum is not None else Decimal(1)
        return str(int(low) if spec.decimal_digits == 0 else low)
    if spec.type == "datetime":
        return format_date(timezone.localdate())
    length = spec.min_length or 1
    return ("sample" * (length // 6 + 1))[: max(length, 6)]


# --- domain fields ----------------------------------------------------------------------------
def missing_domain_fields(
    fields: Iterable[SchemaField], needed: Mapping[str, tuple[str, tuple[str, ...]]]
) -> list[str]:
    """What the form lacks of `needed` ({key: (kind, options it must offer)}), as messages."""
    by_key = {f.key: f for f in fields}
    problems = []
    for key, (kind, options) in needed.items():
        spec = by_key.get(key)
        if spec is None:
            problems.append(gettext("it has no field %(field)s") % {"field": key})
            continue
        if spec.kind != kind:
            problems.append(
                gettext("%(field)s must be a %(kind)s field")
                % {"field": key, "kind": gettext(KIND_LABELS.get(kind, kind))}
            )
            continue
        lacking = sorted(set(options) - {o.value for o in spec.options})
        if lacking:
            problems.append(
                gettext("%(field)s must offer %(options)s")
                % {"field": key, "options": ", ".join(lacking)}
            )
    return problems


# --- from Camunda formData ------------------------------------------------------------------
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"


def _persian(text: str) -> str:
    with translation.override("fa"):
        translated = gettext(text) if text else ""
    return translated if translated != text else ""


def _component(form_field: etree._Element) -> dict[str, Any]:
    ns = {"camunda": CAMUNDA_NS}
    key = form_field.get("id") or ""
    label = form_field.get("label") or key
    kind = form_field.get("type") or "string"
    rules = {
        c.get("name"): c.get("config")
        for c in form_field.xpath("camunda:validation/camunda:constraint", namespaces=ns)
    }
    validate: dict[str, Any] = {}
    properties: dict[str, str] = {}
    if "required" in rules:
        validate["required"] = True
    label_fa = _persian(label)
    if label_fa:
        properties["label_fa"] = label_fa
    if rules.get("required_if"):
        properties["required_if"] = str(rules["required_if"])
    component: dict[str, Any] = {"id": f"Field_{key}", "key": key}
    if kind == "enum":
        values = []
        for value in form_field.xpath("camunda:value", namespaces=ns):
            option_label = value.get("name") or value.get("id") or ""
            values.append({"label": option_label, "value": value.get("id") or ""})
            option_fa = _persian(option_label)
            if option_fa:
                properties[f"label_fa:{value.get('id')}"] = option_fa
        component.update(type="select", label=label, values=values)
    elif kind == "boolean":
        component.update(type="checkbox", label=label)
        validate.pop("required", None)  # a boolean was never required to be ticked
    elif kind in ("long", "decimal"):
        component.update(type="number", label=label, decimalDigits=0 if kind == "long" else 3)
        for rule in ("min", "max"):
            if rules.get(rule) not in (None, ""):
                number = Decimal(str(rules[rule]))
                validate[rule] = (
                    int(number) if number == number.to_integral_value() else float(number)
                )
    elif kind == "date":
        component.update(type="datetime", subtype="date", dateLabel=label)
    else:
        max_length = int(rules["maxlength"]) if rules.get("maxlength") else None
        component.update(type="textarea" if (max_length or 0) > 100 else "textfield", label=label)
        if rules.get("minlength"):
            validate["minLength"] = int(str(rules["minlength"]))
        if max_length is not None:
            validate["maxLength"] = max_length
    if "readonly" in rules:
        component["readonly"] = True
    if validate:
        component["validate"] = validate
    if properties:
        component["properties"] = properties
    return component


def schema_from_form_data(form_key: str, form_data: etree._Element) -> Schema:
    """The form-js schema of one `camunda:formData` element."""
    components = [
        _component(f)
        for f in form_data.xpath("camunda:formField", namespaces={"camunda": CAMUNDA_NS})
    ]
    return {
        "type": "default",
        "id": form_key,
        "schemaVersion": SCHEMA_VERSION,
        "components": components,
    }


def _form_key(task: etree._Element) -> str:
    """A task's form key: its camunda:formKey, else its id (engine/forms.form_key)."""
    return task.get(f"{{{CAMUNDA_NS}}}formKey") or task.get("id") or ""


@functools.lru_cache(maxsize=16)
def _schemas_from_bpmn(bpmn: str) -> dict[str, Schema]:
    root = etree.fromstring(bpmn.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
    result: dict[str, Schema] = {}
    for task in root.xpath("//bpmn:userTask", namespaces=ns):
        form_data = task.xpath("bpmn:extensionElements/camunda:formData", namespaces=ns)
        key = _form_key(task)
        if form_data and key:
            result[key] = schema_from_form_data(key, form_data[0])
    return result


@functools.lru_cache(maxsize=16)
def start_form_key(bpmn: str) -> str:
    """The formKey of the process's start event: the claim form's extra fields ("" for none).

    As a Camunda start form: the subscriber fills it in when filing the claim."""
    root = etree.fromstring(bpmn.encode(), etree.XMLParser(resolve_entities=False, no_network=True))
    ns = {"bpmn": BPMN_NS}
    for start in root.xpath("/bpmn:definitions/bpmn:process/bpmn:startEvent", namespaces=ns):
        key = start.get(f"{{{CAMUNDA_NS}}}formKey")
        if key:
            return str(key)
    return ""


def schemas_from_bpmn(bpmn: str) -> dict[str, Schema]:
    """{formKey: schema} of every user task of the BPMN that has `camunda:formData`."""
    return copy.deepcopy(_schemas_from_bpmn(bpmn))
