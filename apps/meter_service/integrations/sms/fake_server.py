"""A fake of Kavenegar's SMS API for tests and the demo: nothing leaves the machine.

It speaks the protocol the adapter uses and keeps every message in memory:

- ``POST|GET /v1/{API_KEY}/sms/send.json`` (receptor, sender, message, localid): checks the
  API key (403), the receptors (411), the sender (412) and the text (413); a repeated localid
  gets the message already taken, which is not stored again (as Kavenegar does).
- ``GET /_fake/sms/requests`` (optional ``?localid=``): how many send requests reached the
  fake, per localid, duplicates and refusals included: whether the client sent twice.
- ``GET /_fake/sms`` (optional ``?receptor=``): the messages as JSON, oldest first.
  ``DELETE /_fake/sms``: forget every message and every planned failure.
- ``POST /_fake/sms/fail`` (``count``, default 1; ``status``, default 503): make the next
  ``count`` sends fail. 5xx answers as an outage would (an HTML page), 4xx as an API error.
- ``GET|POST /v1/{API_KEY}/sms/receive.json`` (linenumber, isread=0): the texts subscribers
  sent to the line and not yet read, marked read by this call, as Kavenegar does.
- ``POST /_fake/sms/deliver`` (``url``, ``from``, ``message``; optional ``to``, ``messageid``):
  a subscriber texts our line. The text is kept for receive.json and, when ``url`` is given,
  POSTed there as Kavenegar's inbound webhook does (form fields messageid, from, to,
  message); the answer is ``{"messageid": ..., "status": <the site's HTTP status>}``. Give
  the same ``messageid`` again to play a repeated delivery.
- ``GET /sms/inbox`` (optional ``?receptor=``): a Persian page listing the messages, newest
  first, so a demo user can read the one-time codes "sent" to a subscriber's mobile.

``sms_fake_app`` is the instance mounted by ``manage.py fake_providers`` (see
``integrations/fake.py``); it reads the API key and sender from settings.METER_SMS at each
request. Tests build their own ``FakeKavenegar(...)`` so each starts empty.
"""

from __future__ import annotations

import datetime
import html
import itertools
import json
import math
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from zoneinfo import ZoneInfo

from apps.meter_service.core.identifiers import clean_digits, to_persian_digits
from apps.meter_service.integrations.fake import register_fake

SEND_PATH = re.compile(r"^/v1/(?P<key>[^/]+)/sms/send\.json$")
RECEIVE_PATH = re.compile(r"^/v1/(?P<key>[^/]+)/sms/receive\.json$")
MOBILE = re.compile(r"^(?:\+98|0098|0)?(9\d{9})$")
SENDER = re.compile(r"^\+?\d{3,20}$")

# Kavenegar's limits for one message: Persian text 268 characters, Latin text 612.
MAX_UNICODE_LENGTH = 268
MAX_LATIN_LENGTH = 612
COST_PER_PART = 1_200  # Rial, for a believable "cost"

MESSAGES = {
    200: "تایید شد",
    400: "پارامترها ناقص هستند",
    403: "کد شناسائی API-Key معتبر نمی‌باشد",
    404: "متد نامشخص است",
    405: "متد Get/Post اشتباه است",
    409: "سرور قادر به پاسخگوئی نیست، بعدا تلاش کنید",
    411: "دریافت کننده نامعتبر است",
    412: "ارسال کننده نامعتبر است",
    413: "پیام خالی است و یا طول پیام بیش از حد مجاز می‌باشد",
    418: "اعتبار حساب شما کافی نیست",
}
QUEUED, QUEUED_TEXT = 1, "در صف ارسال"

StartResponse = Callable[..., Any]


class FakeKavenegar:
    """A WSGI app standing in for api.kavenegar.com; thread-safe, state in memory.

    With ``api_key`` or ``senders`` left as None they come from settings.METER_SMS at each
    request, so the fake always agrees with the site's configuration.
    """

    def __init__(self, *, api_key: str | None = None, senders: Iterable[str] | None = None):
        self._api_key = api_key
        self._senders = None if senders is None else frozenset(senders)
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._by_local_id: dict[str, dict[str, Any]] = {}
        self._failures: list[int] = []
        self._requests: dict[str, int] = {}
        self._ids = itertools.count(87_900_001)
        self._delay_seconds = 0.0
        self._repeats = 0  # sends of a localid already taken (dropped, as Kavenegar does)
        self._inbound: list[dict[str, Any]] = []
        self._inbound_ids = itertools.count(5_100_001)

    # --- in-process test hooks (the HTTP ones, and set_delay / repeated_sends) --------------

    def messages(self, receptor: str = "") -> list[dict[str, Any]]:
        """Return copies of the stored messages, oldest first, for one receptor if given."""
        wanted = _mobile(receptor) if receptor else ""
        with self._lock:
            return [dict(m) for m in self._messages if not wanted or m["receptor"] == wanted]

    def requests(self, local_id: str | int | None = None) -> int | dict[str, int]:
        """Send requests received, per localid ("" without one); one localid's count if given.

        Unlike messages(), a repeated localid counts again: this tells whether the client
        asked twice, which the de-duplication would otherwise hide."""
        with self._lock:
            if local_id is not None:
                return self._requests.get(str(local_id), 0)
            return dict(self._requests)

    def reset(self) -> None:
        """Forget every message, every request counted and every planned failure."""
        with self._lock:
            self._messages.clear()
            self._by_local_id.clear()
            self._failures.clear()
            self._requests.clear()
            self._delay_seconds = 0.0
            self._repeats = 0
            self._inbound.clear()

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        """Make the next `count` sends answer with `status` (5xx outage or 4xx API error)."""
        with self._lock:
            self._failures.extend([int(status)] * int(count))

    def set_delay(self, seconds: float) -> None:
        """Answer each send this much later, after taking it: a sender killed meanwhile does
        not know that the text went out (the fault-injection tests kill the worker so)."""
        with self._lock:
            self._delay_seconds = max(0.0, float(seconds))

    def repeated_sends(self) -> int:
        """How many sends repeated a localid already taken (not sent to the phone again)."""
        with self._lock:
            return self._repeats

    def deliver(
        self,
        *,
        sender: str,
        message: str,
        url: str = "",
        receptor: str = "",
        message_id: str | int | None = None,
        timeout: float = 10,
    ) -> dict[str, Any]:
        """A subscriber texts our line: keep it for receive.json and, given the site's webhook
        `url`, POST it there as Kavenegar does. Return the message id and the site's status."""
        with self._lock:
            if message_id in (None, ""):
                message_id = next(self._inbound_ids)
            line = receptor or next(iter(sorted(self._allowed_senders())), "10004346")
            entry = {
                "messageid": str(message_id),
                "message": message,
                "sender": sender,
                "receptor": line,
                "date": int(time.time()),
                "read": False,
            }
            self._inbound.append(entry)
        status = None
        if url:
            fields = {"messageid": entry["messageid"], "from": sender, "to": line}
            fields["message"] = message
            request = urllib.request.Request(
                url,
                data=urllib.parse.urlencode(fields).encode("utf-8"),
                headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
                method="POST",
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                with exc:
                    status = exc.code
            entry["read"] = status is not None and 200 <= status < 300
        return {"messageid": entry["messageid"], "status": status}

    def _receive(
        self, start_response: StartResponse, key: str, fields: dict[str, Any]
    ) -> list[bytes]:
        if not key or key != self._expected_key():
            return _api_error(start_response, 403)
        line = fields.get("linenumber", "").strip()
        if not line:
            return _api_error(start_response, 400)
        with self._lock:
            unread = [m for m in self._inbound if m["receptor"] == line and not m["read"]]
            for m in unread:
                m["read"] = True
            entries = [{k: v for k, v in m.items() if k != "read"} for m in unread]
        return _json(start_response, 200, {"return": _return(200), "entries": entries})

    # --- WSGI -------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        query = _form(environ.get("QUERY_STRING", ""))
        match = SEND_PATH.match(path)
        if match:
            if method not in ("GET", "POST"):
                return _api_error(start_response, 405)
            fields = {**query, **(_form(_body(environ)) if method == "POST" else {})}
            return self._send(start_response, urllib.parse.unquote(match["key"]), fields)
        match = RECEIVE_PATH.match(path)
        if match:
            fields = {**query, **(_form(_body(environ)) if method == "POST" else {})}
            return self._receive(start_response, urllib.parse.unquote(match["key"]), fields)
        if path.rstrip("/") == "/_fake/sms/deliver" and method == "POST":
            fields = {**query, **_form(_body(environ))}
            if not fields.get("from") or "message" not in fields:
                return _json(start_response, 400, {"error": "from and message are required"})
            try:
                answer = self.deliver(
                    sender=fields["from"],
                    message=fields["message"],
                    url=fields.get("url", ""),
                    receptor=fields.get("to", ""),
                    message_id=fields.get("messageid") or None,
                )
            except (urllib.error.URLError, OSError) as exc:
                return _json(start_response, 502, {"error": f"site unreachable: {exc}"})
            return _json(start_response, 200, answer)
        if path.rstrip("/") == "/_fake/sms":
            if method == "DELETE":
                self.reset()
                return _json(start_response, 200, {"ok": True})
            return _json(start_response, 200, self.messages(query.get("receptor", "")))
        if path.rstrip("/") == "/_fake/sms/requests":
            if "localid" in query:
                return _json(start_response, 200, {"requests": self.requests(query["localid"])})
            return _json(start_response, 200, self.requests())
        if path.rstrip("/") == "/_fake/sms/fail" and method == "POST":
            fields = {**query, **_form(_body(environ))}
            try:
                count, status = int(fields.get("count", 1)), int(fields.get("status", 503))
            except ValueError:
                return _json(start_response, 400, {"error": "count and status are numbers"})
            self.fail_next(count, status)
            return _json(start_response, 200, {"failing": count, "status": status})
        if path.rstrip("/") == "/sms/inbox" and method == "GET":
            return _html(start_response, self._inbox(query.get("receptor", "")))
        return _api_error(start_response, 404)

    # --- the API ----------------------------------------------------------------------------

    def _expected_key(self) -> str:
        if self._api_key is not None:
            return self._api_key
        from django.conf import settings

        return str(getattr(settings, "METER_SMS", {}).get("API_KEY", ""))

    def _allowed_senders(self) -> frozenset[str]:
        if self._senders is not None:
            return self._senders
        from django.conf import settings

        sender = str(getattr(settings, "METER_SMS", {}).get("SENDER", "") or "")
        return frozenset({sender} if sender else ())

    def _send(self, start_response: StartResponse, key: str, fields: dict[str, str]) -> list[bytes]:
        with self._lock:
            counted = fields.get("localid", "").strip()
            self._requests[counted] = self._requests.get(counted, 0) + 1
            failure = self._failures.pop(0) if self._failures else None
        if failure is not None:
            if failure >= 500:
                return _outage(start_response, failure)
            return _api_error(start_response, failure)
        if not key or key != self._expected_key():
            return _api_error(start_response, 403)
        receptor, message = fields.get("receptor", ""), fields.get("message", "")
        if not receptor.strip() or not message:
            return _api_error(start_response, 400)
        receptors = [_mobile(r) for r in receptor.split(",")]
        if not all(receptors):
            return _api_error(start_response, 411)
        senders = self._allowed_senders()
        sender = fields.get("sender", "").strip() or next(iter(sorted(senders)), "10004346")
        if not SENDER.match(sender) or (senders and sender not in senders):
            return _api_error(start_response, 412)
        limit = MAX_LATIN_LENGTH if message.isascii() else MAX_UNICODE_LENGTH
        if len(message) > limit:
            return _api_error(start_response, 413)
        local_id = fields.get("localid", "").strip()
        entries = []
        with self._lock:
            for number in receptors:
                dedup = f"{local_id}:{number}" if local_id else ""
                if dedup and dedup in self._by_local_id:
                    entries.append(self._by_local_id[dedup])
                    self._repeats += 1
                    continue
                entry = {
                    "messageid": next(self._ids),
                    "message": message,
                    "status": QUEUED,
                    "statustext": QUEUED_TEXT,
                    "sender": sender,
                    "receptor": number,
                    "date": int(time.time()),
                    "cost": COST_PER_PART * _parts(message),
                    "localid": local_id,
                }
                self._messages.append(entry)
                if dedup:
                    self._by_local_id[dedup] = entry
                entries.append(entry)
            entries = [{k: v for k, v in e.items() if k != "localid"} for e in entries]
            delay = self._delay_seconds
        if delay:
            time.sleep(delay)
        return _json(start_response, 200, {"return": _return(200), "entries": entries})

    # --- the demo inbox ---------------------------------------------------------------------

    def _inbox(self, receptor: str) -> str:
        wanted = _mobile(receptor) if receptor else ""
        rows = []
        for m in reversed(self.messages(wanted)):
            when = _jalali(m["date"])
            rows.append(
                "<tr>"
                f"<td class='num'>{html.escape(when)}</td>"
                f"<td class='num'>{html.escape(to_persian_digits(m['receptor']))}</td>"
                f"<td class='num'>{html.escape(to_persian_digits(m['sender']))}</td>"
                f"<td class='text'>{html.escape(m['message'])}</td>"
                "</tr>"
            )
        if rows:
            table = (
                "<table><thead><tr><th>زمان</th><th>گیرنده</th><th>فرستنده</th><th>متن پیامک</th>"
                "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            )
        else:
            table = "<p class='empty'>هنوز پیامکی فرستاده نشده است.</p>"
        value = html.escape(receptor, quote=True)
        return INBOX_PAGE.format(
            receptor=value, table=table, count=to_persian_digits(str(len(rows)))
        )


INBOX_PAGE = """<!doctype html>
<html lang="fa" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>صندوق پیامک آزمایشی</title>
<style>
body {{ font-family: Vazirmatn, Tahoma, sans-serif; margin: 2rem auto; max-width: 60rem;
       padding: 0 1rem; color: #1f2937; background: #f9fafb; }}
h1 {{ font-size: 1.4rem; }}
p.note {{ color: #6b7280; }}
form {{ margin: 1rem 0; display: flex; gap: .5rem; align-items: center; }}
input {{ font: inherit; padding: .3rem .5rem; direction: ltr; }}
table {{ width: 100%; border-collapse: collapse; background: #fff; }}
th, td {{ border: 1px solid #e5e7eb; padding: .5rem; text-align: right; vertical-align: top; }}
td.num {{ white-space: nowrap; unicode-bidi: plaintext; }}
td.text {{ white-space: pre-line; }}
p.empty {{ padding: 1rem; background: #fff; border: 1px dashed #d1d5db; }}
</style>
</head>
<body>
<h1>صندوق پیامک آزمایشی</h1>
<p class="note">پیامک‌هایی که سامانه فرستاده است ({count} پیامک). این سرویس آزمایشی است و
هیچ پیامکی واقعاً ارسال نمی‌شود؛ کد ورود را از همین‌جا بخوانید. صفحه هر ۵ ثانیه تازه می‌شود.</p>
<form method="get">
<label for="receptor">شماره همراه:</label>
<input id="receptor" name="receptor" value="{receptor}" placeholder="09121234567">
<button type="submit">نمایش</button>
</form>
{table}
</body>
</html>
"""


def _mobile(text: str) -> str:
    match = MOBILE.match(clean_digits(text or ""))
    return "0" + match.group(1) if match else ""


def _parts(message: str) -> int:
    size = 160 if message.isascii() else 70
    return max(1, math.ceil(len(message) / size))


def _jalali(stamp: int) -> str:
    moment = datetime.datetime.fromtimestamp(stamp, tz=ZoneInfo("Asia/Tehran"))
    try:
        import jdatetime

        text = jdatetime.datetime.fromgregorian(datetime=moment).strftime("%Y/%m/%d %H:%M:%S")
    except ImportError:  # pragma: no cover - jdatetime is a dependency of the site
        text = moment.strftime("%Y-%m-%d %H:%M:%S")
    return to_persian_digits(text)


def _return(status: int) -> dict[str, Any]:
    return {"status": status, "message": MESSAGES.get(status, "خطای ناشناخته")}


def _form(text: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))


def _body(environ: dict[str, Any]) -> str:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    return environ["wsgi.input"].read(length).decode("utf-8") if length > 0 else ""


def _reason(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Error"


def _json(start_response: StartResponse, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    start_response(
        _reason(status),
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _api_error(start_response: StartResponse, status: int) -> list[bytes]:
    return _json(start_response, status, {"return": _return(status), "entries": None})


def _outage(start_response: StartResponse, status: int) -> list[bytes]:
    body = f"<html><body><h1>{_reason(status)}</h1></body></html>".encode()
    start_response(
        _reason(status),
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _html(start_response: StartResponse, page: str) -> list[bytes]:
    body = page.encode("utf-8")
    start_response(
        "200 OK",
        [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


# The instance `manage.py fake_providers` serves, under each path the protocol and hooks use.
sms_fake_app = FakeKavenegar()
for _prefix in ("/v1/", "/_fake/sms", "/sms/"):
    register_fake(_prefix, sms_fake_app)
