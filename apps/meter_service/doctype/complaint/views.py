"""The endpoint a mail provider pushes the support mailbox's messages to (the other door
beside the IMAP poller; both end in mail.complaint_mail_receive)."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.meter_service.doctype.complaint.mail import complaint_mail_receive
from apps.meter_service.integrations.mail.imap import mail_in_config

TOKEN_HEADER = "X-Meter-Mail-Token"


def _token_matches(request: HttpRequest) -> bool:
    """The header's token against the site's secret, in constant time; no secret, no entry."""
    secret = str(mail_in_config().get("INBOUND_SECRET") or "")
    token = request.headers.get(TOKEN_HEADER, "")
    return bool(secret) and hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))


@csrf_exempt  # the provider's server posts here, with the secret in a header
@require_POST
def complaint_mail_inbound(request: HttpRequest) -> HttpResponse:
    """Take one message: the raw RFC 822 bytes as the request's body.

    A wrong token gets a bare 403. A message seen before answers 200 with "repeated", so the
    provider stops retrying it; a message matched to no complaint is logged and answered 200
    too (it was taken, there is nothing to retry)."""
    if not _token_matches(request):
        return HttpResponse(status=403)
    raw = request.body
    if not raw.strip():
        return HttpResponse("empty message", status=400, content_type="text/plain")
    received = complaint_mail_receive(raw=raw, door="http")
    return JsonResponse(
        {
            "outcome": received.mail.outcome,
            "repeated": received.repeated,
            "message_id": received.mail.message_id,
        }
    )
