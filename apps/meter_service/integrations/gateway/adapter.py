"""Client of the online payment gateway, speaking ZarinPal's v4 REST protocol.

The round trip:
1. `request_payment()` POSTs {merchant_id, amount, currency, callback_url, description,
   metadata} to {BASE_URL}/pg/v4/payment/request.json and gets an `authority` (code 100).
2. The payer is sent to `start_pay_url(authority)`, {BASE_URL}/pg/StartPay/{authority}.
3. The gateway sends the payer back to callback_url?Authority=...&Status=OK (or NOK).
4. `verify()` POSTs {merchant_id, amount, authority} to {BASE_URL}/pg/v4/payment/verify.json:
   code 100 the first time, 101 when already verified; both carry ref_id and the masked card.
   A payment that is never verified is returned to the payer by the gateway.

Amounts are integer Rial and every request says so with "currency": "IRR" (the protocol also
accepts "IRT", Toman; without the field an account's default unit applies, so it is explicit).

Settings are read when a client is made, never at import: settings.METER_GATEWAY =
{"BASE_URL": ..., "MERCHANT_ID": ..., "TIMEOUT": seconds}.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core.types import StrOrPromise

CURRENCY = "IRR"
REQUEST_PATH = "/pg/v4/payment/request.json"
VERIFY_PATH = "/pg/v4/payment/verify.json"
START_PAY_PATH = "/pg/StartPay/"

CODE_SUCCESS = 100
CODE_ALREADY_VERIFIED = 101

# Verify answers that settle the question for this authority: the payment is not to be
# counted (amounts differ, not paid, another merchant's session, unknown authority). Any
# other error code means the gateway could not answer now, and the callback may be retried.
VERIFY_REFUSALS = {-50, -51, -53, -54}

NETWORK_MESSAGE = _("The payment gateway could not be reached; please try again in a few minutes.")
ERROR_MESSAGE = _("The payment gateway refused the request (code %(code)s).")
BAD_ANSWER_MESSAGE = _("The payment gateway gave an answer that could not be read.")
NOT_CONFIGURED_MESSAGE = _(
    "Online payment is not set up on this site yet; pay at a counter office or the service desk."
)


def gateway_configured(config: dict[str, Any] | None = None) -> bool:
    """Whether the site names a payment gateway (its URL and merchant id)."""
    config = settings.METER_GATEWAY if config is None else config
    return bool(str(config.get("BASE_URL") or "").strip() and config.get("MERCHANT_ID"))


class GatewayError(Exception):
    """The gateway could not be reached, timed out, or answered with an error."""

    def __init__(self, message: StrOrPromise, *, code: int | None = None, detail: str = "") -> None:
        self.message = message
        self.code = code
        self.params = {"code": code} if code is not None else None
        self.detail = detail
        super().__init__(message, code, detail)

    def __str__(self) -> str:
        """Return the message in the active language."""
        return str(self.message) % self.params if self.params else str(self.message)


@dataclass(frozen=True)
class PaymentRequestResult:
    authority: str
    fee: int = 0
    fee_type: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class VerifyResult:
    """The gateway's answer to verify; `verified` for codes 100 and 101."""

    code: int
    message: str
    ref_id: str = ""
    card_pan: str = ""
    card_hash: str = ""
    fee: int = 0
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        return self.code in (CODE_SUCCESS, CODE_ALREADY_VERIFIED)

    @property
    def already_verified(self) -> bool:
        return self.code == CODE_ALREADY_VERIFIED


class ZarinpalGateway:
    """ZarinPal v4 over HTTPS (or HTTP to the local fake), standard library only."""

    def __init__(self, *, base_url: str, merchant_id: str, timeout: float = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.merchant_id = merchant_id
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> ZarinpalGateway:
        """The site's gateway; GatewayError when the site names none (nothing is sent)."""
        config = settings.METER_GATEWAY
        if not gateway_configured(config):
            raise GatewayError(NOT_CONFIGURED_MESSAGE, detail="no gateway configured")
        return cls(
            base_url=config["BASE_URL"],
            merchant_id=config["MERCHANT_ID"],
            timeout=float(config.get("TIMEOUT", 10)),
        )

    # --- protocol ------------------------------------------------------------------------

    def request_payment(
        self,
        *,
        amount_rial: int,
        callback_url: str,
        description: str,
        mobile: str = "",
        order_id: str = "",
    ) -> PaymentRequestResult:
        """Ask for an authority for a payment of amount_rial; raise GatewayError if refused."""
        metadata = {
            key: value for key, value in (("mobile", mobile), ("order_id", order_id)) if value
        }
        payload = {
            "merchant_id": self.merchant_id,
            "amount": int(amount_rial),
            "currency": CURRENCY,
            "callback_url": callback_url,
            "description": description,
            "metadata": metadata,
        }
        answer = self._post(REQUEST_PATH, payload)
        data = answer.get("data")
        if not isinstance(data, dict) or data.get("code") != CODE_SUCCESS:
            raise self._error_from(answer)
        authority = data.get("authority")
        if not isinstance(authority, str) or not authority:
            raise GatewayError(BAD_ANSWER_MESSAGE, detail="no authority in the answer")
        return PaymentRequestResult(
            authority=authority,
            fee=int(data.get("fee") or 0),
            fee_type=str(data.get("fee_type") or ""),
            raw=answer,
        )

    def start_pay_url(self, authority: str) -> str:
        """Return the gateway's payment page for an authority, where the payer is sent."""
        return f"{self.base_url}{START_PAY_PATH}{authority}"

    def verify(self, *, amount_rial: int, authority: str) -> VerifyResult:
        """Settle a payment for our amount; a refusal is a result, an outage a GatewayError."""
        payload = {
            "merchant_id": self.merchant_id,
            "amount": int(amount_rial),
            "authority": authority,
        }
        answer = self._post(VERIFY_PATH, payload)
        data = answer.get("data")
        if isinstance(data, dict) and data.get("code") in (CODE_SUCCESS, CODE_ALREADY_VERIFIED):
            ref_id = data.get("ref_id")
            if ref_id in (None, "", 0):
                raise GatewayError(BAD_ANSWER_MESSAGE, detail="no ref_id in a verified answer")
            return VerifyResult(
                code=int(data["code"]),
                message=str(data.get("message") or ""),
                ref_id=str(ref_id),
                card_pan=str(data.get("card_pan") or ""),
                card_hash=str(data.get("card_hash") or ""),
                fee=int(data.get("fee") or 0),
                raw=answer,
            )
        error = self._error_from(answer)
        if error.code in VERIFY_REFUSALS:
            return VerifyResult(code=error.code, message=error.detail, raw=answer)
        raise error

    # --- transport -----------------------------------------------------------------------

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON and return the JSON answer, whatever the HTTP status; else GatewayError."""
        request = urllib.request.Request(
            self.base_url + path,
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            # The gateway answers errors with a 4xx status and the same JSON shape.
            body = exc.read()
            if exc.code >= 500 or not body:
                raise GatewayError(NETWORK_MESSAGE, detail=f"HTTP {exc.code}") from exc
        except OSError as exc:  # refused, unreachable, timed out (URLError is an OSError)
            raise GatewayError(NETWORK_MESSAGE, detail=str(exc)) from exc
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise GatewayError(BAD_ANSWER_MESSAGE, detail="not JSON") from exc
        if not isinstance(answer, dict):
            raise GatewayError(BAD_ANSWER_MESSAGE, detail="not a JSON object")
        return answer

    @staticmethod
    def _error_from(answer: dict[str, Any]) -> GatewayError:
        errors = answer.get("errors")
        data = answer.get("data")
        code: Any  # any JSON value: int() below refuses what is no number
        if isinstance(errors, dict) and "code" in errors:
            code, message = errors.get("code"), errors.get("message")
        elif isinstance(data, dict) and "code" in data:
            code, message = data.get("code"), data.get("message")
        else:
            return GatewayError(BAD_ANSWER_MESSAGE, detail="no code in the answer")
        try:
            code = int(code)
        except (TypeError, ValueError):
            return GatewayError(BAD_ANSWER_MESSAGE, detail=f"code {code!r}")
        return GatewayError(ERROR_MESSAGE, code=code, detail=str(message or ""))


def get_gateway() -> ZarinpalGateway:
    """Return the gateway client configured by settings.METER_GATEWAY (read now)."""
    return ZarinpalGateway.from_settings()
