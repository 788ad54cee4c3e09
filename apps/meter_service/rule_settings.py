"""The rule settings: what a site may set under "meter_service" in its site_config.json.

Imported by the settings module (sites/settings/base.py), so nothing here may import Django
models or read django.conf.settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The in-service tolerance was once two settings: IN_SERVICE_TOLERANCE_PERCENT (± % by
# accuracy class, read by the process's generic test form) and IN_SERVICE_TOLERANCE_BANDS
# (± % by class and flow band, read by the test record). One rule, one setting: the bands.
OLD_TOLERANCE = "IN_SERVICE_TOLERANCE_PERCENT"
TOLERANCE_BANDS = "IN_SERVICE_TOLERANCE_BANDS"
FLOW_BANDS = ("low", "high")


def translate_deprecated(
    site_values: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Return a site's rule settings with deprecated names translated, and what was done.

    A site that still sets IN_SERVICE_TOLERANCE_PERCENT meant one tolerance per accuracy
    class, whatever the flow: it becomes that tolerance in both flow bands of its class
    (classes it does not name keep the default bands). When the site also sets
    IN_SERVICE_TOLERANCE_BANDS, that one wins and the old name is ignored.
    """
    values = dict(site_values)
    notes: list[str] = []
    if OLD_TOLERANCE not in values:
        return values, notes
    old = values.pop(OLD_TOLERANCE)
    if TOLERANCE_BANDS in values:
        notes.append(
            f"{OLD_TOLERANCE} is no longer read and is ignored: {TOLERANCE_BANDS} is also "
            f"set. Remove {OLD_TOLERANCE} from the site's site_config.json."
        )
        return values, notes
    bands = {cls: dict(by_band) for cls, by_band in defaults[TOLERANCE_BANDS].items()}
    for accuracy_class, percent in dict(old or {}).items():
        bands[str(accuracy_class)] = dict.fromkeys(FLOW_BANDS, percent)
    values[TOLERANCE_BANDS] = bands
    notes.append(
        f"{OLD_TOLERANCE} is deprecated and was read as {TOLERANCE_BANDS} = {bands} (the "
        f"class's tolerance in both flow bands). Replace it with {TOLERANCE_BANDS} in the "
        "site's site_config.json."
    )
    return values, notes
