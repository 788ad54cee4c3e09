"""The rule setting in force today, for the modules the rule_setting doctype sits above.

Core, permissions, privacy, the sign-in limits and the middleware may not import a doctype
(the layers), yet their rules are changed in the desk like any other. The rule_setting
doctype registers its reader here when the app is ready (apps.py); until then (settings,
system checks, a command run without the app) a rule is the site's settings.METER_SERVICE.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

_reader: Callable[[str], Any] | None = None


def register(reader: Callable[[str], Any]) -> None:
    """Read rules through `reader` from now on (the rule_setting doctype's rule_value)."""
    global _reader
    _reader = reader


def rule_in_force(name: str) -> Any:
    """The value of rule setting `name` in force today."""
    if _reader is not None:
        return _reader(name)
    return settings.METER_SERVICE[name]
