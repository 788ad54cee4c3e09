"""Back up the active site into one archive: database, files, config and a manifest.

    METER_SITE=qazvin manage.py backup --output /srv/backups/
    METER_BACKUP_PASSPHRASE=... METER_SITE=qazvin manage.py backup   # config with its secrets

See apps/meter_service/backups.py for what the archive holds.
"""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from apps.meter_service import backups


def read_passphrase(*, prompt: bool, confirm: bool) -> str | None:
    """The passphrase from METER_BACKUP_PASSPHRASE, else asked for when `prompt` is set."""
    passphrase = os.environ.get(backups.PASSPHRASE_ENV)
    if passphrase:
        return passphrase
    if not prompt:
        return None
    if not sys.stdin.isatty():
        raise CommandError(
            _("No terminal to ask for the passphrase: set %(env)s instead.")
            % {"env": backups.PASSPHRASE_ENV}
        )
    passphrase = getpass.getpass(_("Backup passphrase: "))
    if confirm and getpass.getpass(_("Passphrase (again): ")) != passphrase:
        raise CommandError(_("The passphrases differ."))
    if not passphrase:
        raise CommandError(_("An empty passphrase protects nothing."))
    return passphrase


class Command(BaseCommand):
    help = (
        "Back up the active site (METER_SITE) into one .tar.gz archive: a consistent copy of "
        "the database, every stored file, the site config (without secrets, or all of it "
        f"encrypted with ${backups.PASSPHRASE_ENV}) and a manifest of checksums and row counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            "-o",
            default=".",
            help="Archive file, or a folder for meter-SITE-YYYYMMDDTHHMMSSZ.tar.gz (default: .).",
        )
        parser.add_argument(
            "--passphrase-prompt",
            action="store_true",
            help=f"Ask for a passphrase (when ${backups.PASSPHRASE_ENV} is unset) and keep the "
            "config's secrets, encrypted with it.",
        )

    def handle(self, *args, output: str, passphrase_prompt: bool, **options):
        target = Path(output)
        if target.is_dir():
            stamp = backups.now_utc().strftime("%Y%m%dT%H%M%SZ")
            target = target / f"meter-{settings.SITE_NAME}-{stamp}.tar.gz"
        if target.exists():
            raise CommandError(_("%(path)s exists already.") % {"path": target})
        passphrase = read_passphrase(prompt=passphrase_prompt, confirm=True)
        try:
            manifest = backups.create_backup(target, passphrase=passphrase, log=self.stdout.write)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        if manifest["config_left_out"]:
            self.stdout.write(
                _(
                    "The config's secrets are not in the archive (%(keys)s); set %(env)s to "
                    "keep them encrypted."
                )
                % {"keys": ", ".join(manifest["config_left_out"]), "env": backups.PASSPHRASE_ENV}
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Backup of site %(site)s written to %(path)s (%(rows)d rows, %(files)d files).")
                % {
                    "site": manifest["site"],
                    "path": target,
                    "rows": sum(manifest["rows"].values()),
                    "files": sum(1 for n in manifest["sha256"] if n.startswith("files/")),
                }
            )
        )
