"""Fixtures serving the fake SMS provider over real HTTP, with settings pointed at it.

Import `fake_sms` (and `sms_fake_server`) into a conftest.py to use them there.
"""

from __future__ import annotations

import json
import re
import urllib.parse
import urllib.request

import pytest

from apps.meter_service.integrations import fake
from apps.meter_service.integrations.sms.fake_server import FakeKavenegar

API_KEY = "test-kavenegar-key"
SENDER = "500025194"
PREFIXES = ("/v1/", "/_fake/sms", "/sms/")


class FakeSmsClient:
    """Drive the fake through its HTTP test hooks, as a test or a demo script would."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def _call(self, method: str, path: str, fields: dict | None = None) -> bytes:
        data = urllib.parse.urlencode(fields).encode() if fields and method == "POST" else None
        query = "?" + urllib.parse.urlencode(fields) if fields and method == "GET" else ""
        request = urllib.request.Request(self.base_url + path + query, data=data, method=method)
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read()

    def messages(self, receptor: str = "") -> list[dict]:
        fields = {"receptor": receptor} if receptor else None
        return json.loads(self._call("GET", "/_fake/sms", fields))

    def requests(self, local_id: str | int) -> int:
        """Send requests that reached the fake with this localid (duplicates included)."""
        return json.loads(self._call("GET", "/_fake/sms/requests", {"localid": local_id}))[
            "requests"
        ]

    def fail_next(self, count: int = 1, status: int = 503) -> None:
        self._call("POST", "/_fake/sms/fail", {"count": count, "status": status})

    def reset(self) -> None:
        self._call("DELETE", "/_fake/sms")

    def inbox(self, receptor: str = "") -> str:
        fields = {"receptor": receptor} if receptor else None
        return self._call("GET", "/sms/inbox", fields).decode("utf-8")

    def last_code(self, receptor: str, length: int | None = None) -> str:
        """Return the sign-in code of the last SMS to a mobile, in ASCII digits.

        The code is the first run of `length` digits, or of 4 or more when not given.
        """
        from apps.meter_service.core.identifiers import normalize_digits

        text = normalize_digits(self.messages(receptor)[-1]["message"])
        size = f"{{{length}}}" if length else "{4,}"
        return re.search(rf"\b\d{size}\b", text).group(0)


@pytest.fixture(scope="session")
def sms_fake_server():
    """One fake provider on a free port for the whole run; `fake_sms` empties it per test."""
    app = FakeKavenegar(api_key=API_KEY, senders=[SENDER])
    server = fake.serve(dict.fromkeys(PREFIXES, app))
    yield server
    server.stop()


@pytest.fixture
def fake_sms(sms_fake_server, settings) -> FakeSmsClient:
    """The fake provider, emptied, with settings.METER_SMS pointing at it."""
    client = FakeSmsClient(sms_fake_server.base_url)
    client.reset()
    settings.METER_SMS = {
        **settings.METER_SMS,
        "BASE_URL": sms_fake_server.base_url,
        "API_KEY": API_KEY,
        "SENDER": SENDER,
        "TIMEOUT": 5,
    }
    return client
