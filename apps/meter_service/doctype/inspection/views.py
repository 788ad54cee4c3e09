"""The test report on the subscriber portal: for the claim's own subscriber (or staff)."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.meter_service import permissions
from apps.meter_service.doctype.claim.selectors import claim_by_tracking_code, claim_get
from apps.meter_service.doctype.inspection.selectors import claim_report_inspection
from apps.meter_service.doctype.printout.models import PrintoutKind
from apps.meter_service.doctype.printout.services import printout_pdf
from apps.meter_service.permissions import Role


def portal_test_report(request, code: str):
    """Send the claim's latest test report as a PDF; 404 for anyone else's claim."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("portal:login"))
    claim = claim_by_tracking_code(code=code)
    claim = claim_get(user=request.user, pk=claim.pk if claim is not None else None)
    is_owner = (
        permissions.has_role(request.user, Role.SUBSCRIBER)
        and claim.subscriber.user_id == request.user.pk
    )
    if not (is_owner or permissions.is_company_staff(request.user)):
        raise Http404(_("No such record."))
    inspection = claim_report_inspection(claim=claim)
    if inspection is None:
        raise Http404(_("This claim's meter has not been tested yet."))
    response = HttpResponse(
        printout_pdf(kind=PrintoutKind.TEST_REPORT, document=inspection),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'inline; filename="test-report-{claim.tracking_code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
