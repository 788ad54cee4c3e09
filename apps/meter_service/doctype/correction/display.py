"""The bill correction on the claim's desk page: its state, amount or why there is none."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext

from apps.meter_service.core.display import rial_text
from apps.meter_service.doctype.correction.models import CorrectionStatus
from apps.meter_service.doctype.correction.selectors import correction_of_claim


def claim_correction_html(claim) -> str:

    correction = correction_of_claim(claim)
    if correction is None:
        return "—"
    url = reverse("admin:meter_service_billcorrection_change", args=[correction.pk])
    if correction.status == CorrectionStatus.NOT_POSSIBLE:
        return format_html(
            '<a class="meter-link" href="{}">{}</a><div>{}: {}</div>',
            url,
            correction.get_status_display(),
            gettext("why no correction is possible"),
            correction.not_possible_reason,
        )
    return format_html(
        '<a class="meter-link" href="{}">{}</a> · {}: {}',
        url,
        correction.get_status_display(),
        gettext("difference (Rial)"),
        rial_text(correction.difference_rial),
    )
