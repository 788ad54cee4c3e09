"""Rules of counter offices: pure checks, no writes."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.counter_office.error_codes import CounterOfficeErrorCode
from apps.meter_service.permissions import Role, has_role


def check_operators(users: Iterable[User]) -> None:
    """Raise ValidationError unless every user given holds the counter-office operator role."""
    wrong = [u.get_username() for u in users if not has_role(u, Role.COUNTER_OFFICE_OPERATOR)]
    if wrong:
        raise ValidationError(
            {
                "users": ValidationError(
                    _("These users are not counter-office operators: %(users)s."),
                    code=CounterOfficeErrorCode.NOT_OPERATOR,
                    params={"users": ", ".join(wrong)},
                )
            }
        )
