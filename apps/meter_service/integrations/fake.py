"""Serve the fake providers: several fake WSGI apps on one port, each under its path prefix.

A provider's `integrations/<provider>/fake_server.py` calls `register_fake(prefix, app)` when
imported; `load_fakes()` imports every such module, and `serve()` runs them all on one
threaded HTTP server (the `fake_providers` command, or a thread in the tests).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import pkgutil
import socketserver
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from apps.meter_service import integrations

WSGIApp = Callable[..., Iterable[bytes]]

_REGISTRY: dict[str, WSGIApp] = {}


def register_fake(prefix: str, app: WSGIApp) -> None:
    """Mount a fake WSGI app at a path prefix such as "/pg/"; the app sees the full path."""
    if not prefix.startswith("/"):
        raise ValueError(f"a prefix starts with '/': {prefix!r}")
    _REGISTRY[prefix] = app


def registered_fakes() -> dict[str, WSGIApp]:
    """Return the mounted fakes by prefix."""
    return dict(_REGISTRY)


def load_fakes() -> dict[str, WSGIApp]:
    """Import every `apps.meter_service.integrations.<provider>.fake_server` module."""

    for info in pkgutil.iter_modules(integrations.__path__):
        name = f"{integrations.__name__}.{info.name}.fake_server"
        if info.ispkg and importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
    return registered_fakes()


def dispatcher(apps: dict[str, WSGIApp]) -> WSGIApp:
    """Return one WSGI app that hands each request to the app with the longest prefix."""
    prefixes = sorted(apps, key=len, reverse=True)

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        for prefix in prefixes:
            if path.startswith(prefix):
                return apps[prefix](environ, start_response)
        body = json.dumps({"fakes": sorted(apps)}).encode()
        status = "200 OK" if path == "/" else "404 Not Found"
        start_response(status, [("Content-Type", "application/json")])
        return [body]

    return app


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    verbose = False  # log each request (serve(verbose=True))


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


@dataclass
class FakeServer:
    """A running fake server; `base_url` has no trailing slash."""

    server: WSGIServer
    thread: threading.Thread | None

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def base_url(self) -> str:
        host = self.server.server_address[0]
        assert isinstance(host, str)  # an IP address: bytes only name a Unix socket
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=5)


def serve(
    apps: dict[str, WSGIApp],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    in_thread: bool = True,
    verbose: bool = False,
) -> FakeServer:
    """Start serving the apps (port 0: any free port); in a daemon thread unless told not to.

    With in_thread=False the caller runs `server.serve_forever()` itself.
    """
    server = make_server(
        host, port, dispatcher(apps), server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
    )
    server.verbose = verbose
    thread = None
    if in_thread:
        thread = threading.Thread(target=server.serve_forever, name="fake-providers", daemon=True)
        thread.start()
    return FakeServer(server=server, thread=thread)


# --- the demo site's providers --------------------------------------------------------------

FAKE_SMS_API_KEY = "fake-kavenegar-key"
FAKE_SMS_SENDER = "500025194"
FAKE_MERCHANT_ID = "00000000-0000-4000-8000-000000000000"


def fake_providers_url(port: int | str | None = None) -> str:
    """Where `manage.py fake_providers` serves (FAKE_PROVIDERS_PORT, 8010 by default)."""
    return f"http://127.0.0.1:{port or os.environ.get('FAKE_PROVIDERS_PORT', '8010')}"


def fake_provider_sections(port: int | str | None = None) -> dict[str, dict[str, Any]]:
    """The "sms" and "gateway" sections of site_config.json that point at the local fakes.

    Only the demo site (`setup_site --demo`) and the tests use them: a site without these
    sections has no SMS provider and no payment gateway until its administrator names them.
    """
    url = fake_providers_url(port)
    return {
        "sms": {"BASE_URL": url, "API_KEY": FAKE_SMS_API_KEY, "SENDER": FAKE_SMS_SENDER},
        "gateway": {"BASE_URL": url, "MERCHANT_ID": FAKE_MERCHANT_ID},
    }


def is_fake_section(section: dict[str, Any]) -> bool:
    """Whether a provider section is the local fake's (which the demo may move to a new port)."""
    return section.get("API_KEY") == FAKE_SMS_API_KEY or (
        section.get("MERCHANT_ID") == FAKE_MERCHANT_ID
    )
