"""How complaints show elsewhere in the desk: the claim page's list of its complaints."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from apps.meter_service.core import tracking
from apps.meter_service.core.jalali import format_datetime
from apps.meter_service.doctype.complaint import rules, selectors


def claim_complaints_html(claim, user) -> str:
    """The claim's complaints, newest first, each linking to its desk page."""
    if user is None or not user.has_perm("meter_service.view_complaint"):
        return ""
    complaints = selectors.complaints_for_claim(user=user, claim=claim)
    rows = [
        (
            reverse("admin:meter_service_complaint_change", args=[complaint.pk]),
            tracking.display_local(complaint.tracking_code),
            complaint.ticket.title,
            rules.topic_label(complaint.ticket.queue),
            rules.status_label(complaint.ticket.status),
            format_datetime(complaint.filed_at),
        )
        for complaint in complaints
    ]
    if not rows:
        return gettext("No complaint is about this claim.")
    return format_html(
        '<ul class="meter-claim-complaints">{}</ul>',
        format_html_join(
            "",
            '<li><a class="text-primary-600 meter-ltr" href="{}">{}</a> {} ({}, {}, {})</li>',
            rows,
        ),
    )
