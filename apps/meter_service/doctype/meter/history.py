"""A meter's service history: every installation, claim, test and replacement it went through.

The page is built from *history sources*: functions that take the meter and the viewing user
and return one section (a titled table) or None when the user may not see that kind of
record or there is nothing to show. Installations are built in; other doctypes add theirs
with `register_history_source` from their desk module (claims, tests, work orders).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.display import format_quantity
from apps.meter_service.core.jalali import format_date
from apps.meter_service.doctype.meter.models import Meter
from apps.meter_service.doctype.meter.selectors import installation_history


@dataclass
class HistorySection:
    """One table of the history page: headers and rows of cells (text or safe HTML)."""

    key: str
    title: str | Promise
    headers: list
    rows: list[list] = field(default_factory=list)
    order: int = 100

    @property
    def table(self) -> dict:
        return {"headers": self.headers, "rows": self.rows}


# A source reads what the viewer may see: it gets the viewer to check permissions.
HistorySource = Callable[[Meter, "User | AnonymousUser"], "HistorySection | None"]

# The sources of the page, in the order they were registered; sections sort by `order`.
HISTORY_SOURCES: list[HistorySource] = []


def register_history_source(source: HistorySource) -> HistorySource:
    """Add a section to every meter's history page (usable as a decorator)."""
    if source not in HISTORY_SOURCES:
        HISTORY_SOURCES.append(source)
    return source


def meter_history(*, meter: Meter, user: User | AnonymousUser) -> list[HistorySection]:
    """The sections of the meter's history the user may see, in page order."""
    sections = [section for source in HISTORY_SOURCES if (section := source(meter, user))]
    return sorted(sections, key=lambda s: s.order)


def history_url(serial: str) -> str:
    return reverse("admin:meter_service_meter_service_history", args=[serial])


def serial_link(serial: str) -> str:
    """A meter's serial linking to its history page."""
    return format_html(
        '<a class="meter-link meter-ltr" href="{}">{}</a>', history_url(serial), serial
    )


def _may_view(user, model: str) -> bool:
    return user.has_perm(f"meter_service.view_{model}")


@register_history_source
def installations_section(meter: Meter, user) -> HistorySection | None:

    if not _may_view(user, "meterinstallation"):
        return None
    rows = []
    for inst in installation_history(user=user, meter=meter).order_by("installed_on", "id"):
        subscriber = format_html(
            '<a class="meter-link" href="{}">{}</a>',
            reverse("admin:meter_service_subscriber_change", args=[inst.subscriber_id]),
            f"{inst.subscriber.subscription_number} — {inst.subscriber.name}",
        )
        rows.append(
            [
                subscriber,
                format_date(inst.installed_on),
                format_quantity(inst.initial_reading),
                format_date(inst.removed_on) or gettext("installed now"),
                format_quantity(inst.final_reading),
                inst.get_reason_display(),
            ]
        )
    return HistorySection(
        key="installations",
        title=_("Installations"),
        headers=[
            _("subscriber"),
            _("installed on"),
            _("initial reading (m³)"),
            _("removed on"),
            _("final reading (m³)"),
            _("reason"),
        ],
        rows=rows,
        order=10,
    )
