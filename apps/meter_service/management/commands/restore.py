"""Create a site from a backup archive (manage.py backup).

    manage.py restore meter-qazvin-20260101T000000Z.tar.gz --site qazvin2             # SQLite
    manage.py restore meter-qazvin-....tar.gz --site qazvin2 \\
        --db-url mysql://root:ROOTPASS@127.0.0.1:3306/ --redis-url redis://127.0.0.1:6379/2

Everything is checked before anything is made: every checksum against the manifest, the
passphrase of an encrypted config, the migrations, the engine, the site name. The new site is
built in a hidden folder beside the others and moved into place only when its database rows
and files match the manifest; on any failure what was made is removed again.

A SQLite backup becomes a SQLite site and a MariaDB backup a MariaDB site (database meter_NAME
with its own user, as new_site makes them): a dump of one engine does not load into the other.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from apps.meter_service import backups
from apps.meter_service.management.commands import new_site
from apps.meter_service.management.commands.backup import read_passphrase
from sites import siteconfig


def site_storage(config: dict, name: str, files_folder: Path):
    """The storage a restored site's files are written to, through Django's storage API.

    The one the site itself will use (sites/siteconfig.py file_storage): its files folder, or
    its prefix in the object store, with the store's keys from the environment when the
    archive's config left them out.
    """
    from django.core.files.storage import storages

    config = {**config}
    for env_name in ("METER_S3_ACCESS_KEY", "METER_S3_SECRET_KEY"):
        if os.environ.get(env_name):
            config[siteconfig.ENV_OVERRIDES[env_name]] = os.environ[env_name]
    entry = siteconfig.file_storage(config, name, files_folder)
    return storages.create_storage(entry)


class Command(BaseCommand):
    help = (
        "Create a new site from a backup archive, after checking every checksum, and check "
        "its rows and files against the archive's manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The .tar.gz written by manage.py backup.")
        parser.add_argument("--site", required=True, help="Name of the new site.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an existing site of that name (its folder and, for MariaDB, its "
            "database meter_NAME).",
        )
        parser.add_argument(
            "--db-url",
            default=None,
            help="For a MariaDB backup: the account that creates the database meter_NAME and "
            "its user, e.g. mysql://root:PASS@127.0.0.1:3306/ (as for new_site).",
        )
        parser.add_argument(
            "--redis-url",
            default="",
            help="Redis for the new site (its own database number). Default: none, so a copy "
            "never shares the job queues of the site it came from.",
        )
        parser.add_argument(
            "--passphrase-prompt",
            action="store_true",
            help=f"Ask for the passphrase of an encrypted config (else ${backups.PASSPHRASE_ENV}).",
        )

    def handle(self, *args, **options):
        name = options["site"]
        force = options["force"]
        new_site.validate_name(name, force=True)  # the name's form; existence is checked below
        siteconfig.SITES_DIR.mkdir(exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".restore-{name}-", dir=siteconfig.SITES_DIR))
        try:
            self._restore(Path(options["archive"]), name, force, options, staging)
        except backups.BackupError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    # --- checks: nothing is made before all of them pass -------------------------------------

    def _restore(self, archive_path: Path, name: str, force: bool, options, staging: Path):
        archive = backups.unpack(archive_path, staging / "archive")
        manifest = archive.manifest
        self.stdout.write(
            _("Archive of site %(site)s, %(created)s: every checksum matches.")
            % {"site": manifest["site"], "created": manifest["created_utc"]}
        )
        account = self._check_engine(manifest, options)
        if unknown := backups.unknown_migrations(manifest):
            raise CommandError(
                _(
                    "The archive comes from a newer version of the service (migrations this "
                    "one lacks: %(names)s); update the service first."
                )
                % {"names": ", ".join(unknown[:5])}
            )
        config = self._config(archive, options)
        if config.get("files_backend") == siteconfig.FILES_S3:
            # The copy's objects go under its own prefix, never over the original site's.
            config["s3_location"] = name
        self._check_free(name, force, account)
        storage = site_storage(config, name, staging / "site" / "files")
        self._check_storage_free(storage, name, force)

        site_folder = staging / "site"
        progress = new_site.Progress()
        try:
            if account is None:
                config["database_url"] = f"sqlite:///{siteconfig.site_dir(name) / 'db.sqlite3'}"
                siteconfig.write_config(name, config, folder=site_folder)
                self._load_sqlite(archive, site_folder / "db.sqlite3")
            else:
                config["database_url"] = self._load_mariadb(archive, name, account, progress)
                siteconfig.write_config(name, config, folder=site_folder)
            self._place_files(archive, storage)
            self._move_into_place(name, site_folder)
        except BaseException:
            self._undo(account, progress)
            raise
        self._report(name, manifest, config)

    def _check_engine(self, manifest: dict, options) -> new_site.ServerAccount | None:
        """The server account for a MariaDB archive, None for a SQLite one; refuse a mix."""
        engine = manifest["engine"]
        if engine == "sqlite":
            if options["db_url"]:
                raise CommandError(
                    _(
                        "This is a SQLite backup: it restores into a SQLite site only. Leave "
                        "out --db-url (moving between engines needs dumpdata and loaddata)."
                    )
                )
            return None
        if engine == "mariadb":
            if not options["db_url"]:
                raise CommandError(
                    _(
                        "This is a MariaDB backup: it restores into MariaDB only. Give --db-url "
                        "with the account that creates the database (it does not load into "
                        "SQLite; moving between engines needs dumpdata and loaddata)."
                    )
                )
            return new_site.ServerAccount.from_url(options["db_url"])
        raise CommandError(_("Unknown database engine %(engine)s.") % {"engine": engine})

    def _config(self, archive: backups.Archive, options) -> dict:
        manifest = archive.manifest
        data = (archive.folder / manifest["config"]).read_bytes()
        if manifest.get("config_encrypted"):
            passphrase = read_passphrase(prompt=options["passphrase_prompt"], confirm=False)
            if not passphrase:
                raise CommandError(
                    _(
                        "The archive's site config is encrypted: set %(env)s or give "
                        "--passphrase-prompt."
                    )
                    % {"env": backups.PASSPHRASE_ENV}
                )
            config = backups.decrypt_config(data, passphrase)
        else:
            config = json.loads(data)
            config["secret_key"] = backups.new_secret_key()
        config["redis_url"] = options["redis_url"] or ""
        return config

    def _check_free(self, name: str, force: bool, account) -> None:
        if force:
            return
        if siteconfig.site_dir(name).exists():
            raise CommandError(
                _("Site %(site)s exists already; give --force to replace it.") % {"site": name}
            )
        if account is not None:
            conn = account.connect()
            try:
                cursor = conn.cursor()
                cursor.execute(
                    "SHOW DATABASES LIKE %s", (new_site.database_name(name).replace("_", r"\_"),)
                )
                exists = cursor.fetchone() is not None
            finally:
                conn.close()
            if exists:
                raise CommandError(
                    _("Database %(database)s exists already; give --force to replace it.")
                    % {"database": new_site.database_name(name)}
                )

    # --- making the site ---------------------------------------------------------------------

    def _check_rows(self, manifest: dict, found: dict[str, int]) -> None:
        if problems := backups.compare_rows(manifest["rows"], found):
            raise backups.BackupError(
                _("The restored database does not match the manifest: %(problems)s")
                % {"problems": "; ".join(problems[:5])}
            )

    def _load_sqlite(self, archive: backups.Archive, target: Path) -> None:
        shutil.copyfile(archive.dump, target)
        target.chmod(0o600)
        db = sqlite3.connect(target)
        try:
            result = db.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            db.close()
        if result != "ok":
            raise backups.BackupError(
                _("The restored database fails SQLite's integrity check: %(result)s")
                % {"result": result}
            )
        self._check_rows(archive.manifest, backups.sqlite_row_counts(target))
        self.stdout.write(_("Database restored (SQLite); row counts match."))

    def _load_mariadb(self, archive, name: str, account, progress) -> str:
        database = new_site.database_name(name)
        conn = account.connect()
        try:
            # --force: the old database goes; every check has passed by now.
            conn.cursor().execute(f"DROP DATABASE IF EXISTS `{database}`")
        finally:
            conn.close()
        # An OutputWrapper is a TextIOBase, which the stubs do not count as a TextIO.
        maker = new_site.Command(stdout=self.stdout, stderr=self.stderr)  # type: ignore[arg-type]
        url = maker._create_database(
            name,
            {
                "db_url": None,
                "db_root_user": account.user,
                "db_root_password": account.password,
                "db_host": account.host,
                "db_port": account.port,
                "db_user_host": None,
                "force": True,
            },
            progress,
        )
        backups.mariadb_load(account, database, archive.dump)
        conn = account.connect()
        try:
            self._check_rows(archive.manifest, backups.mariadb_row_counts(conn, database))
        finally:
            conn.close()
        self.stdout.write(
            _("Database restored (MariaDB %(database)s); row counts match.")
            % {"database": database}
        )
        return url

    def _check_storage_free(self, storage, name: str, force: bool) -> None:
        """On an object store the site's prefix must be empty, or emptied with --force."""
        if not hasattr(storage, "bucket_name"):
            return  # the files folder is new, in the staging folder
        existing = list(backups.storage_names(storage))
        if existing and not force:
            raise CommandError(
                _(
                    "The object store holds %(files)d files of a site %(site)s already; give "
                    "--force to replace them."
                )
                % {"files": len(existing), "site": name}
            )
        for stored in existing:
            storage.delete(stored)

    def _place_files(self, archive: backups.Archive, storage) -> None:
        expected = archive.manifest["sha256"]
        for name in archive.files:
            with (archive.folder / backups.FILES / name).open("rb") as handle:
                saved = storage.save(name, handle)
            if saved != name:
                raise backups.BackupError(
                    _("The file %(name)s was stored as %(saved)s.") % {"name": name, "saved": saved}
                )
        # Read back through the storage: what the site will serve is what was backed up.
        for name in archive.files:
            digest = hashlib.sha256()
            with storage.open(name, "rb") as handle:
                while chunk := handle.read(backups.CHUNK):
                    digest.update(chunk)
            if digest.hexdigest() != expected[f"{backups.FILES}/{name}"]:
                raise backups.BackupError(
                    _("The restored file %(name)s differs from the archive.") % {"name": name}
                )
        self.stdout.write(
            _("Files restored: %(files)d; checksums match.") % {"files": len(archive.files)}
        )

    def _move_into_place(self, name: str, site_folder: Path) -> None:
        final = siteconfig.site_dir(name)
        if final.exists():  # --force
            old = Path(tempfile.mkdtemp(prefix=f".replaced-{name}-", dir=siteconfig.SITES_DIR))
            final.rename(old / "site")
            site_folder.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            site_folder.rename(final)

    def _undo(self, account, progress: new_site.Progress) -> None:
        """Drop the database and user made for the site (the staging folder goes anyway)."""
        if account is None or not progress.undo:
            return
        conn = account.connect()
        try:
            cursor = conn.cursor()
            for statement in reversed(progress.undo):
                cursor.execute(statement.rstrip(";"))
        finally:
            conn.close()
        self.stderr.write(_("Removed again: %(items)s") % {"items": ", ".join(progress.created)})

    def _report(self, name: str, manifest: dict, config: dict) -> None:
        lines = [
            self.style.SUCCESS(
                _("Site %(site)s restored from the backup of %(source)s.")
                % {"site": name, "source": manifest["site"]}
            )
        ]
        if manifest.get("config_left_out"):
            lines.append(_("A new secret key was made: everyone signs in again."))
            site_owned = {"secret_key", "database_url", "redis_url"}
            if keys := [k for k in manifest["config_left_out"] if k not in site_owned]:
                lines.append(
                    _("The archive's config had no secrets: set these again in %(path)s: %(keys)s")
                    % {
                        "path": siteconfig.site_dir(name) / "site_config.json",
                        "keys": ", ".join(keys),
                    }
                )
        if not config.get("redis_url"):
            lines.append(_("The site has no Redis: give it its own with redis_url in its config."))
        if backups.pending_migrations(manifest):
            lines.append(
                _("The archive predates this version: run METER_SITE=%(site)s manage.py migrate.")
                % {"site": name}
            )
        self.stdout.write("\n".join(lines))
