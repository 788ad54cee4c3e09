"""Serve the fake outside providers (payment gateway, SMS, ...) on one local port, for demos."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.integrations.fake import load_fakes, serve


class Command(BaseCommand):
    help = (
        "Serve every fake provider (apps/meter_service/integrations/*/fake_server.py) on one "
        "port, each under its path prefix. Never for production."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8010)
        parser.add_argument("--verbose-requests", action="store_true", help="Log each request.")

    def handle(self, *args, host="127.0.0.1", port=8010, verbose_requests=False, **options):
        apps = load_fakes()
        if not apps:
            raise CommandError("No fake provider is registered.")
        try:
            running = serve(apps, host=host, port=port, in_thread=False, verbose=verbose_requests)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc}") from exc
        for prefix in sorted(apps):
            self.stdout.write(f"{running.base_url}{prefix}")
        self.stdout.write(f"fake providers on {running.base_url} (Ctrl-C to stop)")
        try:
            running.server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            running.server.server_close()
