"""Reads of agencies."""

from __future__ import annotations

from apps.meter_service import permissions
from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.reference_data import reference


def client_agencies(*, user: Actor) -> list[Agency]:
    """Return the active agencies the user acts for, by name: what the filing and complaint
    APIs choose from.

    Read from the worker's kept agencies (every agency filing needs its own, and agencies
    change rarely: their saves replace the reference generation, see reference_data.py).
    The rows are shared: callers must not change them.
    """
    wanted = set(permissions.client_agency_ids(user))
    if not wanted:
        return []
    kept = reference("agencies", lambda: tuple(Agency.objects.order_by("name", "pk")))
    return [agency for agency in kept if agency.pk in wanted and agency.is_active]
