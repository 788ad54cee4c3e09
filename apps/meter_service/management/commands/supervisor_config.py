"""Write the site's supervisord configuration (or systemd units) from the Procfile."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.supervision import (
    Site,
    read_procfile,
    supervisord_conf,
    systemd_units,
)
from sites.siteconfig import ENV_OVERRIDES


class Command(BaseCommand):
    help = (
        "Write sites/<site>/supervisord.conf from the Procfile: web, worker and scheduler, each "
        "restarted when it dies, logging into sites/<site>/logs/. With --systemd DIR, write "
        "systemd units from the same lines instead. METER_* overrides of the site's config "
        "set in the environment now are written in too."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="The web process's port.")
        parser.add_argument(
            "--env",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="Another environment variable of every process (METER_BIND_HOST, "
            "WEB_CONCURRENCY, ...); may be given more than once.",
        )
        parser.add_argument(
            "--procfile", default=str(Path(settings.BASE_DIR) / "Procfile"), help="The Procfile."
        )
        parser.add_argument(
            "--output", default="", help="Where to write (default sites/<site>/supervisord.conf)."
        )
        parser.add_argument(
            "--print", action="store_true", dest="print_only", help="Print instead of writing."
        )
        parser.add_argument(
            "--systemd", default="", metavar="DIR", help="Write systemd units into DIR instead."
        )
        parser.add_argument(
            "--user", default=getpass.getuser(), help="systemd: the account the processes run as."
        )

    def handle(self, *args, **options):
        environment = {"METER_SITE": settings.SITE_NAME, "PORT": str(options["port"])}
        # The site as this command sees it is the site the processes see: overrides of its
        # config given in the environment now (METER_REDIS_URL, ...) go along.
        environment.update({name: os.environ[name] for name in ENV_OVERRIDES if name in os.environ})
        for pair in options["env"]:
            key, sep, value = pair.partition("=")
            if not sep or not key.isidentifier():
                raise CommandError(f"--env wants KEY=VALUE, not {pair!r}")
            if '"' in value or "\n" in value:
                raise CommandError(f"--env {key}: a value may not hold a quote or a newline")
            environment[key] = value
        try:
            procfile = read_procfile(Path(options["procfile"]))
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        folder = Path(settings.SITE_DIR)
        site = Site(
            name=settings.SITE_NAME,
            folder=folder,
            base_dir=Path(settings.BASE_DIR),
            has_redis=bool(settings.REDIS_URL),
            environment=environment,
        )
        for needed in (site.logs, site.run):
            needed.mkdir(mode=0o700, parents=True, exist_ok=True)
        if options["systemd"]:
            target = Path(options["systemd"])
            target.mkdir(parents=True, exist_ok=True)
            for name, text in systemd_units(site, procfile, user=options["user"]).items():
                (target / name).write_text(text, encoding="utf-8")
                self.stdout.write(f"Wrote {target / name}")
            return
        text = supervisord_conf(site, procfile)
        if options["print_only"]:
            self.stdout.write(text, ending="")
            return
        output = Path(options["output"] or folder / "supervisord.conf")
        output.write_text(text, encoding="utf-8")
        output.chmod(0o600)
        self.stdout.write(f"Wrote {output}")
        self.stdout.write(f"Start: .venv/bin/supervisord -c {output}")
