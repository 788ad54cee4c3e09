"""Client of the SMS provider, speaking Kavenegar's REST protocol (v1).

One call does the work: POST {BASE_URL}/v1/{API_KEY}/sms/send.json with the form fields
receptor, sender, message (and localid, our own id of the message). The answer is JSON:

    {"return": {"status": 200, "message": "تایید شد"},
     "entries": [{"messageid": 8792343, "message": "...", "status": 1,
                  "statustext": "در صف ارسال", "sender": "500025194",
                  "receptor": "09121234567", "date": 1356619709, "cost": 1200}]}

Any other "return" status is an error (the HTTP status usually carries the same number):
400 missing parameters, 403 wrong API key, 411 invalid receptor, 412 invalid sender,
413 empty or too long message, 418 not enough credit, 409 "the server cannot answer now,
try later", 5xx outages. Errors that a later try may cure (network failures, time-outs, 409,
5xx, an unreadable answer) raise SmsTransientError; refusals raise SmsPermanentError.

Texts sent to our line come back two ways. Kavenegar calls the URL given in its panel for
each one, with the form fields messageid, from, to and message (the site's webhook,
notification/views.py). Or the site asks: GET {BASE_URL}/v1/{API_KEY}/sms/receive.json
?linenumber=...&isread=0 answers the unread texts as entries {messageid, message, sender,
receptor, date} and marks them read (receive()).

The API key is part of the URL, so no URL is ever put into an error or a log line.

Settings are read when a client is made, never at import: settings.METER_SMS =
{"BASE_URL": ..., "API_KEY": ..., "SENDER": ..., "TIMEOUT": seconds}.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

SEND_PATH = "/v1/{api_key}/sms/send.json"
RECEIVE_PATH = "/v1/{api_key}/sms/receive.json"
STATUS_OK = 200

# "The server cannot answer now, try later": the one 4xx that says a retry may work.
TRANSIENT_STATUSES = frozenset({409})

# Per-message statuses at send time that mean the provider will not deliver it
# (6 failed, 11 not delivered, 13 cancelled, 14 blocked by the receptor, 100 unknown id).
FAILED_ENTRY_STATUSES = frozenset({6, 11, 13, 14, 100})

# No provider unless the site names one (site_config.json "sms"): see sms_configured().
DEFAULTS: dict[str, Any] = {
    "BASE_URL": "",
    "API_KEY": "",
    "SENDER": "",
    "TIMEOUT": 10,
    # The secret in the URL the provider calls with texts to our line (/sms/inbound/<secret>/).
    "INBOUND_SECRET": "",
}


def sms_config() -> dict[str, Any]:
    """Return settings.METER_SMS over the defaults, read now (tests change it per test)."""
    return {**DEFAULTS, **getattr(settings, "METER_SMS", {})}


def sms_configured(config: dict[str, Any] | None = None) -> bool:
    """Whether the site names an SMS provider (its URL and API key)."""
    config = sms_config() if config is None else config
    return bool(str(config.get("BASE_URL") or "").strip() and str(config.get("API_KEY") or ""))


class SmsError(Exception):
    """The provider did not take the message; `status` is its code when it answered."""

    retryable = False

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        self.detail = detail
        self.status = status
        super().__init__(f"[{status}] {detail}" if status is not None else detail)


class SmsTransientError(SmsError):
    """The provider was unreachable, timed out or had an outage: a later try may work."""

    retryable = True


class SmsPermanentError(SmsError):
    """The provider refused the message; sending the same request again will not help."""


@dataclass(frozen=True)
class SentSms:
    """The provider's receipt for one message it accepted."""

    message_id: str
    status: int
    status_text: str
    cost: int = 0
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboundMessage:
    """One text a subscriber sent to our line, as the provider hands it over."""

    message_id: str
    sender: str
    receptor: str
    text: str
    date: int = 0


class KavenegarSms:
    """Kavenegar's REST API over HTTPS (or HTTP to the local fake), standard library only."""

    def __init__(self, *, base_url: str, api_key: str, sender: str = "", timeout: float = 10):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.sender = sender
        self.timeout = timeout

    @classmethod
    def from_settings(cls) -> KavenegarSms:
        config = sms_config()
        return cls(
            base_url=config["BASE_URL"],
            api_key=str(config["API_KEY"]),
            sender=str(config["SENDER"] or ""),
            timeout=float(config["TIMEOUT"]),
        )

    def send(self, *, to: str, body: str, local_id: int | None = None) -> SentSms:
        """Send one message to one mobile number; raise SmsTransientError or SmsPermanentError.

        `local_id` is our own id of the message: the provider answers a repeated localid with
        the message it already took instead of sending it again, which makes a retry after a
        lost answer safe.
        """
        fields = {"receptor": to, "message": body}
        if self.sender:
            fields["sender"] = self.sender
        if local_id is not None:
            fields["localid"] = str(local_id)
        http_status, raw = self._post(fields)
        return self._receipt(http_status, raw)

    def receive(self, *, line_number: str) -> list[InboundMessage]:
        """Return the unread texts sent to our line (the provider marks them read)."""
        http_status, raw = self._post({"linenumber": line_number, "isread": "0"}, path=RECEIVE_PATH)
        answer = _json_or_none(raw)
        returned = answer.get("return") if isinstance(answer, dict) else None
        if not isinstance(returned, dict):
            raise SmsTransientError("unreadable answer from the provider", status=http_status)
        status = _int(returned.get("status"), default=http_status)
        if status != STATUS_OK:
            error = (
                SmsTransientError
                if status >= 500 or status in TRANSIENT_STATUSES
                else (SmsPermanentError)
            )
            raise error(str(returned.get("message") or "provider error"), status=status)
        entries = answer.get("entries") or []
        return [
            InboundMessage(
                message_id=str(entry.get("messageid") or ""),
                sender=str(entry.get("sender") or ""),
                receptor=str(entry.get("receptor") or ""),
                text=str(entry.get("message") or ""),
                date=_int(entry.get("date"), default=0),
            )
            for entry in entries
            if isinstance(entry, dict) and entry.get("messageid") not in (None, "")
        ]

    # --- transport --------------------------------------------------------------------------

    def _url(self, path: str = SEND_PATH) -> str:
        key = urllib.parse.quote(self.api_key, safe="")
        return self.base_url + path.format(api_key=key)

    def _post(self, fields: dict[str, str], *, path: str = SEND_PATH) -> tuple[int, bytes]:
        request = urllib.request.Request(
            self._url(path),
            data=urllib.parse.urlencode(fields).encode("utf-8"),
            headers={
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:  # an answer with a 4xx/5xx status
            with exc:
                return exc.code, exc.read()
        except urllib.error.URLError as exc:
            raise SmsTransientError(f"provider unreachable: {exc.reason}") from exc
        except TimeoutError as exc:
            raise SmsTransientError("provider timed out") from exc
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise SmsTransientError(f"connection failed: {type(exc).__name__}") from exc

    # --- answers ----------------------------------------------------------------------------

    def _receipt(self, http_status: int, raw: bytes) -> SentSms:
        answer = _json_or_none(raw)
        returned = answer.get("return") if isinstance(answer, dict) else None
        if not isinstance(returned, dict):
            if http_status >= 500 or 200 <= http_status < 300:
                # An outage page from a proxy, or a success we cannot read: try again (the
                # localid keeps a message the provider did take from going out twice).
                raise SmsTransientError("unreadable answer from the provider", status=http_status)
            raise SmsPermanentError("provider refused the request", status=http_status)
        status = _int(returned.get("status"), default=http_status)
        message = str(returned.get("message") or "")
        if status != STATUS_OK:
            if status >= 500 or status in TRANSIENT_STATUSES:
                raise SmsTransientError(message or "provider error", status=status)
            raise SmsPermanentError(message or "provider refused the message", status=status)
        entries = answer.get("entries")
        entry = entries[0] if isinstance(entries, list) and entries else None
        if not isinstance(entry, dict) or entry.get("messageid") in (None, ""):
            raise SmsTransientError("answer without a message id", status=status)
        entry_status = _int(entry.get("status"), default=0)
        status_text = str(entry.get("statustext") or "")
        if entry_status in FAILED_ENTRY_STATUSES:
            raise SmsPermanentError(status_text or "message not accepted", status=entry_status)
        return SentSms(
            message_id=str(entry["messageid"]),
            status=entry_status,
            status_text=status_text,
            cost=_int(entry.get("cost"), default=0),
            raw=answer,
        )


def _json_or_none(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _int(value: Any, *, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def send_sms(*, to: str, body: str, local_id: int | None = None) -> SentSms:
    """Send one message with the configured provider (see KavenegarSms.send)."""
    return KavenegarSms.from_settings().send(to=to, body=body, local_id=local_id)
