"""Actions on rule settings: a change in force from a date."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.meter_service.audit.events import record_event
from apps.meter_service.core.jalali import format_date
from apps.meter_service.core.rule_settings import RULES
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.rule_setting import rules
from apps.meter_service.doctype.rule_setting.error_codes import RuleSettingErrorCode as Code
from apps.meter_service.doctype.rule_setting.events import RuleSettingEvents
from apps.meter_service.doctype.rule_setting.models import RuleSettingChange
from apps.meter_service.doctype.rule_setting.selectors import forget_kept_rules, rule_value_stored
from apps.meter_service.reference_data import forget_reference_data


def _forget_everywhere() -> None:
    """Every worker reads the rules afresh: this one now and when the change commits,
    the others through the reference generation (when a shared cache has one)."""

    def forget() -> None:
        forget_kept_rules()

    forget.forgets_rule_settings = True  # type: ignore[attr-defined]  # read by selectors
    forget()
    transaction.on_commit(forget)
    forget_reference_data()


@transaction.atomic
def rule_setting_change(
    *,
    name: str,
    value: Any,
    reason: str,
    actor: Actor,
    effective_from: datetime.date | None = None,
    today: datetime.date | None = None,
) -> RuleSettingChange:
    """Set rule setting `name` to `value` from `effective_from` (today by default).

    `value` is the text typed in the desk (Persian digits welcome) or a value of the rule's
    type; it is checked against the rule's type. The date may be today or later, never
    earlier (what was in force stays as it was); the reason is required. The change, the
    value it replaces on that date and who made it go to the table and the audit trail.
    Nothing is written when anything is refused.
    """
    today = today or timezone.localdate()
    if not rules.editable(name):
        if name not in RULES:
            raise ValidationError(
                {"name": ValidationError(_("No such rule setting."), code=Code.RULE_UNKNOWN)}
            )
        raise ValidationError(
            {
                "name": ValidationError(
                    _(
                        "%(name)s is read when the site starts: set it in the site's "
                        "site_config.json."
                    ),
                    code=Code.RULE_SITE_ONLY,
                    params={"name": name},
                )
            }
        )
    errors: dict[str, list[ValidationError]] = {}
    new_value: Any = None
    try:
        new_value = rules.parse_value(name, value)
    except ValidationError as exc:
        for field, messages in exc.error_dict.items():
            errors.setdefault(field, []).extend(messages)
    effective_from = effective_from or today
    if effective_from < today:
        errors.setdefault("effective_from", []).append(
            ValidationError(
                _("A change takes effect today or later (from %(today)s)."),
                code=Code.RULE_IN_THE_PAST,
                params={"today": format_date(today)},
            )
        )
    reason = (reason or "").strip()
    if not reason:
        errors.setdefault("reason", []).append(
            ValidationError(_("Say why the rule is changed."), code=Code.RULE_REASON_REQUIRED)
        )
    if errors:
        raise ValidationError(errors)
    # Two changes of one rule at once: the second waits, and sees the first as the old value.
    list(RuleSettingChange.objects.select_for_update().filter(name=name).values_list("id"))
    previous = rule_value_stored(name, effective_from)
    if previous == new_value:
        raise ValidationError(
            {
                "value": ValidationError(
                    _("This is already the value in force on that date."), code=Code.RULE_UNCHANGED
                )
            }
        )
    change = RuleSettingChange.objects.create(
        name=name,
        value=new_value,
        previous_value=previous,
        effective_from=effective_from,
        reason=reason,
        changed_by=actor if isinstance(actor, User) and actor.pk else None,
    )
    record_event(
        document=change,
        event_type=RuleSettingEvents.RULE_SETTING_CHANGED,
        actor=actor,
        parameters={
            "name": name,
            "old": previous,
            "new": new_value,
            "effective_from": effective_from.isoformat(),
            "reason": reason,
        },
    )
    _forget_everywhere()
    return change
