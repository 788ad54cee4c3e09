"""A fake ZarinPal v4 gateway: the same endpoints and answers, in memory, for tests and demos.

Endpoints (as the real service):
    POST /pg/v4/payment/request.json   {merchant_id, amount, currency?, callback_url,
                                        description, metadata?} -> {"data": {"code": 100,
                                        "authority": ...}, "errors": []}
    GET  /pg/StartPay/<authority>      a Persian payment page with "پرداخت" and "انصراف"
    POST /pg/StartPay/<authority>      action=pay|cancel -> 302 to the callback_url with
                                       ?Authority=...&Status=OK (pay) or NOK (cancel)
    POST /pg/v4/payment/verify.json    {merchant_id, amount, authority} -> code 100, then 101
Errors answer HTTP 422 with {"data": [], "errors": {"code": -N, "message": ..., "validations": []}}.

Test hooks (not part of the protocol):
    GET  /_fake/gateway/payments       every payment the fake knows, as JSON
    POST /_fake/gateway/reset          forget them all and reset the options
    POST /_fake/gateway/options        JSON {"delay_seconds": s, "verify_extra": {...}}: answer
                                       the API slowly, or add/override fields of verify answers
    POST /_fake/gateway/pay/<authority>?status=OK|NOK   what the payment page's buttons do,
                                       answering {"redirect": callback URL} instead of a 302
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from apps.meter_service.integrations.fake import register_fake

Environ = dict[str, Any]
# What the routes answer: the status line, the headers and the body.
Answer = tuple[str, list[tuple[str, str]], bytes]

PREFIX = "/pg/"
HOOKS_PREFIX = "/_fake/gateway/"
MIN_AMOUNT_RIAL = 1000
CARD_PAN = "502229******5995"

_START_PAY = re.compile(r"^/pg/StartPay/(?P<authority>[A-Za-z0-9]+)/?$")
_HOOK_PAY = re.compile(r"^/_fake/gateway/pay/(?P<authority>[A-Za-z0-9]+)/?$")

MESSAGES = {
    -9: "The input params invalid, validation error.",
    -10: "Terminal is not valid, please check merchant_id or ip address.",
    -50: "Session is not valid, amounts values is not the same.",
    -51: "Session is not valid, session is not active paid try.",
    -53: "Session is not this merchant_id session.",
    -54: "Invalid authority.",
}


def _to_persian_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


class FakeZarinpal:
    """The fake gateway as a WSGI app; its state is this object's, guarded by a lock."""

    def __init__(self, *, merchant_ids: set[str] | None = None) -> None:
        self.merchant_ids = merchant_ids  # None: any 36-character merchant id
        self._lock = threading.Lock()
        self.payments: dict[str, dict[str, Any]] = {}
        self.delay_seconds = 0.0
        self.verify_extra: dict[str, Any] = {}

    # --- state, for tests in the same process --------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self.payments.clear()
            self.delay_seconds = 0.0
            self.verify_extra = {}

    def set_options(
        self, *, delay_seconds: float | None = None, verify_extra: dict[str, Any] | None = None
    ) -> None:
        with self._lock:
            if delay_seconds is not None:
                self.delay_seconds = float(delay_seconds)
            if verify_extra is not None:
                self.verify_extra = dict(verify_extra)

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(p) for p in self.payments.values()]

    def decide(self, authority: str, *, paid: bool) -> str:
        """Do what the payer's button does; return the callback URL the payer is sent to."""
        with self._lock:
            payment = self.payments[authority]
            if payment["state"] == "pending":
                payment["state"] = "paid" if paid else "cancelled"
            status = "OK" if payment["state"] in ("paid", "verified") else "NOK"
            return _with_query(payment["callback_url"], Authority=authority, Status=status)

    # --- WSGI ----------------------------------------------------------------------------

    def __call__(self, environ: Environ, start_response: Callable[..., Any]) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        try:
            status, headers, body = self._route(method, path, environ)
        except Exception as exc:  # a fake must say what broke, not hang up
            status, headers, body = self._json(500, {"error": repr(exc)})
        start_response(status, headers)
        return [body]

    def _route(self, method: str, path: str, environ: Environ) -> Answer:
        if method == "POST" and path == "/pg/v4/payment/request.json":
            self._delay()
            return self._request(self._read_json(environ))
        if method == "POST" and path == "/pg/v4/payment/verify.json":
            self._delay()
            return self._verify(self._read_json(environ))
        match = _START_PAY.match(path)
        if match and method == "GET":
            return self._start_page(match["authority"])
        if match and method == "POST":
            form = parse_qs(self._read(environ).decode())
            action = (form.get("action") or [""])[0]
            return self._redirect_after(match["authority"], paid=action == "pay")
        if path.startswith(HOOKS_PREFIX):
            return self._hook(method, path, environ)
        return self._json(404, {"error": "not found"})

    # --- protocol ------------------------------------------------------------------------

    def _request(self, body: dict[str, Any]) -> Answer:
        validations = []
        merchant_id = body.get("merchant_id")
        if not isinstance(merchant_id, str) or len(merchant_id) != 36:
            validations.append({"merchant_id": "The merchant id must be 36 characters."})
        amount = body.get("amount")
        currency = body.get("currency") or "IRR"
        if currency not in ("IRR", "IRT"):
            validations.append({"currency": "The currency must be IRR or IRT."})
        rial = amount * (10 if currency == "IRT" else 1) if isinstance(amount, int) else None
        if isinstance(amount, bool) or rial is None or rial < MIN_AMOUNT_RIAL:
            validations.append({"amount": "The amount must be at least 1000 Rial."})
        callback_url = body.get("callback_url")
        parts = urlsplit(callback_url) if isinstance(callback_url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            validations.append({"callback_url": "The callback url must be a valid url."})
        if not isinstance(body.get("description"), str) or not body["description"].strip():
            validations.append({"description": "The description field is required."})
        if validations:
            return self._error(-9, validations)
        if self.merchant_ids is not None and merchant_id not in self.merchant_ids:
            return self._error(-10)
        authority = "A" + f"{secrets.randbelow(10**20):035d}"
        with self._lock:
            self.payments[authority] = {
                "authority": authority,
                "merchant_id": merchant_id,
                "amount": amount,
                "currency": currency,
                "callback_url": callback_url,
                "description": body["description"],
                "metadata": body.get("metadata") or {},
                "state": "pending",
                "ref_id": None,
                "verify_calls": 0,
            }
        data = {
            "code": 100,
            "message": "Success",
            "authority": authority,
            "fee_type": "Merchant",
            "fee": 0,
        }
        return self._json(200, {"data": data, "errors": []})

    def _verify(self, body: dict[str, Any]) -> Answer:
        authority = body.get("authority")
        if not isinstance(authority, str):
            return self._error(-54)
        with self._lock:
            payment = self.payments.get(authority)
            if payment is None:
                return self._error(-54)
            payment["verify_calls"] += 1
            if body.get("merchant_id") != payment["merchant_id"]:
                return self._error(-53)
            if body.get("amount") != payment["amount"]:
                return self._error(-50)
            if payment["state"] == "paid":
                payment["state"] = "verified"
                payment["ref_id"] = 10**9 + secrets.randbelow(9 * 10**9)
                code, message = 100, "Verified"
            elif payment["state"] == "verified":
                code, message = 101, "Verified"
            else:
                return self._error(-51)
            data = {
                "code": code,
                "message": message,
                "card_hash": hashlib.sha256(authority.encode()).hexdigest().upper(),
                "card_pan": CARD_PAN,
                "ref_id": payment["ref_id"],
                "fee_type": "Merchant",
                "fee": 0,
                **self.verify_extra,
            }
        return self._json(200, {"data": data, "errors": []})

    def _start_page(self, authority: str) -> Answer:
        with self._lock:
            payment = dict(self.payments.get(authority) or {})
        if not payment:
            return self._html(404, "تراکنش یافت نشد", "<p>این شناسه پرداخت معتبر نیست.</p>")
        amount = _to_persian_digits(f"{payment['amount']:,}".replace(",", "٬"))
        unit = "تومان" if payment["currency"] == "IRT" else "ریال"
        if payment["state"] == "pending":
            actions = (
                f'<form method="post" action="/pg/StartPay/{authority}">'
                '<button name="action" value="pay" class="pay">پرداخت</button>'
                '<button name="action" value="cancel" class="cancel">انصراف</button>'
                "</form>"
            )
        else:
            actions = "<p>این تراکنش پیش‌تر انجام یا لغو شده است.</p>"
        body = (
            f"<p class='amount'>مبلغ: <strong>{amount} {unit}</strong></p>"
            f"<p>{html.escape(payment['description'])}</p>"
            "<p class='note'>درگاه آزمایشی: کارتی لازم نیست و پولی جابه‌جا نمی‌شود.</p>"
            f"{actions}"
        )
        return self._html(200, "درگاه پرداخت (آزمایشی)", body)

    def _redirect_after(self, authority: str, *, paid: bool) -> Answer:
        if authority not in self.payments:
            return self._html(404, "تراکنش یافت نشد", "<p>این شناسه پرداخت معتبر نیست.</p>")
        location = self.decide(authority, paid=paid)
        return "302 Found", [("Location", location), ("Content-Length", "0")], b""

    # --- test hooks ----------------------------------------------------------------------

    def _hook(self, method: str, path: str, environ: Environ) -> Answer:
        if method == "GET" and path == HOOKS_PREFIX + "payments":
            return self._json(200, {"payments": self.snapshot()})
        if method == "POST" and path == HOOKS_PREFIX + "reset":
            self.reset()
            return self._json(200, {"ok": True})
        if method == "POST" and path == HOOKS_PREFIX + "options":
            options = self._read_json(environ)
            self.set_options(
                delay_seconds=options.get("delay_seconds"),
                verify_extra=options.get("verify_extra"),
            )
            return self._json(200, {"ok": True})
        match = _HOOK_PAY.match(path)
        if match and method == "POST":
            status = (parse_qs(environ.get("QUERY_STRING", "")).get("status") or ["OK"])[0]
            if match["authority"] not in self.payments:
                return self._error(-54)
            redirect = self.decide(match["authority"], paid=status == "OK")
            return self._json(200, {"redirect": redirect})
        return self._json(404, {"error": "not found"})

    # --- helpers -------------------------------------------------------------------------

    def _delay(self) -> None:
        if self.delay_seconds:
            time.sleep(self.delay_seconds)

    @staticmethod
    def _read(environ: Environ) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        return environ["wsgi.input"].read(length) if length else b""

    def _read_json(self, environ: Environ) -> dict[str, Any]:
        try:
            body = json.loads(self._read(environ) or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    @staticmethod
    def _json(status: int, payload: dict[str, Any]) -> Answer:
        reasons = {200: "OK", 404: "Not Found", 422: "Unprocessable Entity", 500: "Error"}
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        return f"{status} {reasons[status]}", headers, body

    def _error(self, code: int, validations: list[dict[str, str]] | None = None) -> Answer:
        errors = {"code": code, "message": MESSAGES[code], "validations": validations or []}
        return self._json(422, {"data": [], "errors": errors})

    @staticmethod
    def _html(status: int, title: str, body: str) -> Answer:
        page = f"""<!doctype html>
<html lang="fa" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: Vazirmatn, Tahoma, sans-serif; background: #f3f5f8; margin: 0; }}
main {{ max-width: 26rem; margin: 4rem auto; background: #fff; border-radius: .75rem;
       padding: 2rem; box-shadow: 0 1px 4px rgba(0,0,0,.12); text-align: center; }}
h1 {{ font-size: 1.25rem; }} .amount {{ font-size: 1.1rem; }} .note {{ color: #667; }}
form {{ display: flex; gap: .75rem; justify-content: center; margin-top: 1.5rem; }}
button {{ font: inherit; border: 0; border-radius: .5rem; padding: .6rem 1.6rem; cursor: pointer; }}
.pay {{ background: #0a7a3d; color: #fff; }} .cancel {{ background: #e4e7ec; color: #222; }}
</style>
</head>
<body><main><h1>{title}</h1>{body}</main></body>
</html>
"""
        encoded = page.encode()
        headers = [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(encoded))),
        ]
        return f"{status} {'OK' if status == 200 else 'Not Found'}", headers, encoded


# The instance `manage.py fake_providers` serves; tests make their own.
fake_gateway = FakeZarinpal()
register_fake(PREFIX, fake_gateway)
register_fake(HOOKS_PREFIX, fake_gateway)
