"""Run the fake gateway over real HTTP in a thread, and talk HTTP to it as a browser would."""

from __future__ import annotations

import contextlib
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

from apps.meter_service.integrations.fake import serve
from apps.meter_service.integrations.gateway.fake_server import (
    HOOKS_PREFIX,
    PREFIX,
    FakeZarinpal,
)

MERCHANT_ID = "11111111-2222-4333-8444-555555555555"


@contextlib.contextmanager
def running_gateway(settings, *, timeout: float = 5) -> Iterator[FakeZarinpal]:
    """Serve a fresh fake gateway on a free port and point settings.METER_GATEWAY at it."""
    fake = FakeZarinpal()
    server = serve({PREFIX: fake, HOOKS_PREFIX: fake})
    fake.base_url = server.base_url
    settings.METER_GATEWAY = {
        "BASE_URL": server.base_url,
        "MERCHANT_ID": MERCHANT_ID,
        "TIMEOUT": timeout,
    }
    try:
        yield fake
    finally:
        server.stop()


def closed_port() -> int:
    """Return a local port nothing listens on (connections to it are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(method: str, url: str, *, form: dict | None = None, body: dict | None = None):
    """Send one request without following redirects; return (status, headers, text)."""
    data, headers = None, {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()
