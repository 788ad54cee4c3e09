"""The webhook the SMS provider calls with each text sent to the service's short code."""

from __future__ import annotations

import hmac

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from apps.meter_service.doctype.notification.inbound import inbound_sms_receive
from apps.meter_service.integrations.sms.adapter import sms_config


def _secret_matches(token: str) -> bool:
    """Compare the URL's token with the site's secret in constant time; no secret, no entry."""
    secret = str(sms_config().get("INBOUND_SECRET") or "")
    return bool(secret) and hmac.compare_digest(token.encode("utf-8"), secret.encode("utf-8"))


@csrf_exempt  # the provider's server posts here, with the secret in the path
@require_http_methods(["GET", "POST"])
def sms_inbound(request: HttpRequest, token: str) -> HttpResponse:
    """Take one text from Kavenegar (fields messageid, from, to, message; GET or POST).

    A wrong secret gets a bare 403 whatever was wrong. A repeated message id answers 200
    without a second answer to the subscriber, so the provider stops retrying it.
    """
    if not _secret_matches(token):
        return HttpResponse(status=403)
    fields = request.POST if request.method == "POST" else request.GET
    message_id, sender = fields.get("messageid", ""), fields.get("from", "")
    if not str(message_id).strip() or not sender.strip():
        return HttpResponse("missing messageid or from", status=400, content_type="text/plain")
    inbound_sms_receive(
        message_id=message_id,
        sender=sender,
        text=fields.get("message", ""),
        receptor=fields.get("to", ""),
    )
    return HttpResponse("OK", content_type="text/plain")
