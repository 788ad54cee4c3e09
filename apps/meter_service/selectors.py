"""Reads that span document types (desk home page)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from apps.meter_service import permissions
from apps.meter_service.models import CounterOffice, ImportBatch, Meter, Subscriber


def desk_overview(*, user) -> list[dict]:
    """Return the counts shown on the desk's home page, only for kinds the user may view."""
    cards = [
        ("subscriber", _("Subscribers"), Subscriber, "person"),
        ("meter", _("Meters"), Meter, "speed"),
        ("counteroffice", _("Counter offices"), CounterOffice, "storefront"),
        ("importbatch", _("Imports"), ImportBatch, "upload_file"),
    ]
    overview = []
    for model_name, title, model, icon in cards:
        if not user.has_perm(f"meter_service.view_{model_name}"):
            continue
        overview.append(
            {
                "title": title,
                "icon": icon,
                "count": permissions.scope(user, model.objects.all()).count(),
                "url_name": f"admin:meter_service_{model_name}_changelist",
            }
        )
    return overview
