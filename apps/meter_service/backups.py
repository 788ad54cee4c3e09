"""Site backups: one tar.gz archive per backup, restored into a new site.

The archive holds, under `meter-backup/`:
  database.sqlite3 | database.sql  a consistent copy: SQLite's online backup, or mariadb-dump
                                   in one transaction (--single-transaction)
  files/<name>                     every file of the site's storage (uploads, imports, documents)
  config.json | config.enc         the site config without its secrets, or all of it encrypted
  manifest.json                    site, time, version, migrations, rows per table, SHA-256s

The manifest comes last: an archive cut short has none and is refused. `manage.py backup` and
`manage.py restore` call the functions here.
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import tarfile
import tempfile
import tomllib
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.utils.translation import gettext as _

from sites import siteconfig

ROOT = "meter-backup"
FORMAT = 1
PASSPHRASE_ENV = "METER_BACKUP_PASSPHRASE"
SQLITE_DUMP = "database.sqlite3"
MARIADB_DUMP = "database.sql"
CONFIG_PLAIN = "config.json"
CONFIG_ENCRYPTED = "config.enc"
MANIFEST = "manifest.json"
FILES = "files"
CHUNK = 1024 * 1024

# Config keys left out of an unencrypted archive: the site's own secrets, and its database and
# Redis URLs (a restored site gets its own). Nested keys holding any of SECRET_WORDS go too
# (the SMS API key, the gateway's merchant id, the mail password).
SECRET_KEYS = frozenset(
    {"secret_key", "health_token", "demo_password", "database_url", "redis_url"}
)
SECRET_WORDS = ("password", "secret", "token", "api_key", "merchant")
SCRYPT = {"n": 2**15, "r": 8, "p": 1}


class BackupError(Exception):
    """A backup or restore refused or failed; the message is translated and says why."""


# --- small helpers --------------------------------------------------------------------------


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class _HashingReader(io.RawIOBase):
    """Reads a file object and hashes what was read, for tarfile.addfile."""

    def __init__(self, handle):
        self.handle = handle
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def app_version() -> str:
    with (siteconfig.BASE_DIR / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


# --- the site config: without secrets, or encrypted ------------------------------------------


def redact(config: dict, *, top: bool = True, prefix: str = "") -> tuple[dict, list[str]]:
    """Return the config without its secrets, and the (dotted) keys left out."""
    kept, removed = {}, []
    for key, value in config.items():
        lowered = key.lower()
        if (top and lowered in SECRET_KEYS) or any(word in lowered for word in SECRET_WORDS):
            removed.append(prefix + key)
        elif isinstance(value, dict):
            kept[key], inner = redact(value, top=False, prefix=f"{prefix}{key}.")
            removed += inner
        else:
            kept[key] = value
    return kept, removed


def _key(passphrase: str, salt: bytes, params: dict) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"])
    return kdf.derive(passphrase.encode("utf-8"))


def encrypt_config(config: dict, passphrase: str) -> bytes:
    """AES-256-GCM under a key derived from the passphrase with scrypt (a fresh salt)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(12)
    plain = json.dumps(config, ensure_ascii=False).encode("utf-8")
    sealed = AESGCM(_key(passphrase, salt, SCRYPT)).encrypt(nonce, plain, ROOT.encode())
    envelope = {
        "cipher": "AES-256-GCM",
        "kdf": "scrypt",
        **SCRYPT,
        "salt": base64.b64encode(salt).decode(),
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(sealed).decode(),
    }
    return json.dumps(envelope, indent=2).encode("utf-8")


def decrypt_config(data: bytes, passphrase: str) -> dict:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        envelope = json.loads(data)
        salt = base64.b64decode(envelope["salt"])
        nonce = base64.b64decode(envelope["nonce"])
        sealed = base64.b64decode(envelope["ciphertext"])
        params = {k: int(envelope[k]) for k in ("n", "r", "p")}
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(_("The archive's encrypted site config is damaged.")) from exc
    try:
        plain = AESGCM(_key(passphrase, salt, params)).decrypt(nonce, sealed, ROOT.encode())
    except InvalidTag as exc:
        raise BackupError(
            _("Wrong passphrase: the archive's site config cannot be decrypted with it.")
        ) from exc
    return json.loads(plain)


# --- row counts -----------------------------------------------------------------------------


def sqlite_row_counts(path: Path) -> dict[str, int]:
    import sqlite3

    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        return {name: db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        db.close()


_STRING = re.compile(rb"'(?:[^'\\]|\\.)*'", re.DOTALL)
_CREATE = re.compile(rb"^CREATE TABLE `((?:[^`]|``)+)`")
_INSERT = re.compile(rb"^INSERT INTO `((?:[^`]|``)+)` VALUES")


def mariadb_dump_row_counts(path: Path) -> dict[str, int]:
    """Count the rows of each table in a mariadb-dump file.

    The rows must be counted in the dump's own snapshot, not by a query beside it that would
    see other writes. Each row is a parenthesised tuple of literals (strings quoted, with
    backslash escapes and newlines written as \\n; binary as 0x… with --hex-blob), after an
    INSERT on one line (mysqldump) or one per line (mariadb-dump 10.11): the parentheses
    outside strings, up to the statement's ';', count the rows.
    """
    counts: dict[str, int] = {}
    table = None  # the table whose INSERT statement is open
    with path.open("rb") as handle:
        for line in handle:
            if table is None:
                if match := _CREATE.match(line):
                    counts.setdefault(_name(match), 0)
                    continue
                if not (match := _INSERT.match(line)):
                    continue
                table, line = _name(match), line[match.end() :]
            values = _STRING.sub(b"", line).rstrip()
            counts[table] = counts.get(table, 0) + values.count(b"(")
            if values.endswith(b";"):
                table = None
    return dict(sorted(counts.items()))


def _name(match: re.Match) -> str:
    return match.group(1).replace(b"``", b"`").decode()


def mariadb_row_counts(connection, database: str) -> dict[str, int]:
    cursor = connection.cursor()
    cursor.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = %s AND table_type = 'BASE TABLE' ORDER BY table_name",
        (database,),
    )
    names = [row[0] for row in cursor.fetchall()]
    counts = {}
    for name in names:
        quoted = name.replace("`", "``")
        cursor.execute(f"SELECT COUNT(*) FROM `{database}`.`{quoted}`")
        counts[name] = cursor.fetchone()[0]
    return counts


# --- MariaDB client programs, with the password in a 0600 defaults file ---------------------


@contextlib.contextmanager
def mariadb_defaults_file(*, user: str, password: str, host: str, port: int | str | None):
    """Yield the path of a client option file (mode 0600) naming the account.

    The password never appears on a command line, where any user of the machine could read it
    in the process list.
    """

    def quoted(value: str) -> str:
        return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[client]", f"user={quoted(user)}", f"password={quoted(password)}"]
    if host:
        lines.append(f"host={quoted(host)}")
    if port:
        lines.append(f"port={int(port)}")
    handle, path = tempfile.mkstemp(prefix="meter-db-", suffix=".cnf")
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        yield path
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _client_program(*names: str) -> str:
    for name in names:
        if found := shutil.which(name):
            return found
    raise BackupError(
        _("%(program)s is not installed (Debian: apt-get install mariadb-client).")
        % {"program": names[0]}
    )


def _run_client(program: str, account: dict, args: list[str], *, stdin, stdout, failed: str):
    """Run a MariaDB client program as `account` (user, password, host, port); raise
    BackupError with `failed` % {"error": its stderr} when it fails."""
    with mariadb_defaults_file(**account) as defaults:
        result = subprocess.run(
            [program, f"--defaults-file={defaults}", *args],  # the file must come first
            stdin=stdin,
            stdout=stdout,
            stderr=subprocess.PIPE,
            check=False,
        )
    if result.returncode != 0:
        error = result.stderr.decode(errors="replace").strip()[-2000:]
        raise BackupError(failed % {"error": error})


def mariadb_dump(settings_dict: dict, target: Path) -> None:
    account = {k.lower(): settings_dict[k] for k in ("USER", "PASSWORD", "HOST", "PORT")}
    options = ["--single-transaction", "--routines", "--triggers", "--hex-blob"]
    options += ["--default-character-set=utf8mb4", "--no-tablespaces", settings_dict["NAME"]]
    with target.open("wb") as out:
        _run_client(
            _client_program("mariadb-dump", "mysqldump"),
            account,
            options,
            stdin=subprocess.DEVNULL,
            stdout=out,
            failed=_("mariadb-dump failed: %(error)s"),
        )


def mariadb_load(account, database: str, dump: Path) -> None:
    """Load a dump into `database` with the server account that created it."""
    credentials = {k: getattr(account, k) for k in ("user", "password", "host", "port")}
    with dump.open("rb") as source:
        _run_client(
            _client_program("mariadb", "mysql"),
            credentials,
            ["--default-character-set=utf8mb4", database],
            stdin=source,
            stdout=subprocess.DEVNULL,
            failed=_("Loading the database dump failed: %(error)s"),
        )


# --- writing an archive ---------------------------------------------------------------------


def storage_names(storage, folder: str = "") -> Iterator[str]:
    """Every file name in a storage, through its API (a file system or an object store)."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:  # a site nobody has uploaded to has no files folder yet
        if folder:
            raise
        return
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from storage_names(storage, f"{folder}/{sub}" if folder else sub)


def _tarinfo(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(f"{ROOT}/{name}")
    info.size = size
    info.mode = 0o600
    info.mtime = int(now_utc().timestamp())
    return info


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> str:
    archive.addfile(_tarinfo(name, len(data)), io.BytesIO(data))
    return hashlib.sha256(data).hexdigest()


def _add_stream(archive: tarfile.TarFile, name: str, handle, size: int) -> str:
    reader = _HashingReader(handle)
    archive.addfile(_tarinfo(name, size), reader)
    return reader.digest.hexdigest()


def migration_state(connection) -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def create_backup(
    output: Path,
    *,
    passphrase: str | None,
    log: Callable[[str], None] = lambda message: None,
) -> dict:
    """Write a backup of the active site to `output`; return its manifest."""
    from django.conf import settings
    from django.core.files.storage import default_storage
    from django.db import connection

    started = now_utc()  # the time the database copy stands for
    output = output.resolve()
    partial = output.with_name(output.name + ".partial")
    work = Path(tempfile.mkdtemp(prefix=".meter-backup-", dir=output.parent))
    try:
        # The database first: a file uploaded while the files are copied is then only an
        # orphan in the archive, never a record whose file is missing.
        if connection.vendor == "sqlite":
            engine, dump_name = "sqlite", SQLITE_DUMP
            dump = work / dump_name
            # The site's SQLite engine is the app's backend (settings), which adds this.
            connection.snapshot_to(str(dump))  # type: ignore[attr-defined]
            rows = sqlite_row_counts(dump)
        elif connection.vendor == "mysql":
            engine, dump_name = "mariadb", MARIADB_DUMP
            dump = work / dump_name
            mariadb_dump(connection.settings_dict, dump)
            rows = mariadb_dump_row_counts(dump)
        else:
            raise BackupError(
                _("Backups support SQLite and MariaDB, not %(vendor)s.")
                % {"vendor": connection.vendor}
            )
        log(_("Database copied: %(tables)d tables.") % {"tables": len(rows)})

        config_path = siteconfig.site_dir(settings.SITE_NAME) / "site_config.json"
        config = json.loads(config_path.read_text("utf-8")) if config_path.exists() else {}
        redacted: list[str]
        if passphrase:
            config_name, config_data, redacted = (
                CONFIG_ENCRYPTED,
                encrypt_config(config, passphrase),
                [],
            )
        else:
            clean, redacted = redact(config)
            config_name = CONFIG_PLAIN
            config_data = (json.dumps(clean, indent=2, ensure_ascii=False) + "\n").encode()

        checksums: dict[str, str] = {}
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
            with dump.open("rb") as handle:
                checksums[dump_name] = _add_stream(archive, dump_name, handle, dump.stat().st_size)
            dump.unlink()  # the copy is in the archive: free the space now
            checksums[config_name] = _add_bytes(archive, config_name, config_data)
            files = 0
            for name in storage_names(default_storage):
                with default_storage.open(name, "rb") as handle:
                    size = default_storage.size(name)
                    checksums[f"{FILES}/{name}"] = _add_stream(
                        archive, f"{FILES}/{name}", handle, size
                    )
                files += 1
            log(_("Files copied: %(files)d.") % {"files": files})
            manifest = {
                "format": FORMAT,
                "site": settings.SITE_NAME,
                "created_utc": started.isoformat(),
                "app_version": app_version(),
                "engine": engine,
                "database": dump_name,
                "config": config_name,
                "config_encrypted": bool(passphrase),
                "config_left_out": redacted,
                "migrations": migration_state(connection),
                "rows": rows,
                "sha256": checksums,
            }
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
            _add_bytes(archive, MANIFEST, data)
        partial.replace(output)
        return manifest
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- reading and checking an archive --------------------------------------------------------


@dataclass
class Archive:
    """An archive unpacked into a scratch folder, every checksum checked."""

    folder: Path
    manifest: dict
    files: list[str] = field(default_factory=list)

    @property
    def dump(self) -> Path:
        return self.folder / self.manifest["database"]


def _member_name(member: tarfile.TarInfo) -> str:
    path = PurePosixPath(member.name)
    if (
        not member.isfile()
        or path.is_absolute()
        or ".." in path.parts
        or len(path.parts) < 2
        or path.parts[0] != ROOT
    ):
        raise BackupError(
            _("The archive holds an unexpected entry %(name)s: it is not a site backup.")
            % {"name": member.name}
        )
    return "/".join(path.parts[1:])


def unpack(archive_path: Path, folder: Path) -> Archive:
    """Unpack into `folder` and check the archive whole; raise BackupError if it is not."""
    corrupt = _("The archive %(path)s is damaged or incomplete (%(error)s); nothing was changed.")
    checksums: dict[str, str] = {}
    try:
        with tarfile.open(archive_path, mode="r:*") as archive:
            for member in archive:
                name = _member_name(member)
                if name in checksums:
                    raise BackupError(
                        _("The archive holds %(name)s twice.") % {"name": member.name}
                    )
                target = folder / name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                source = archive.extractfile(member)
                assert source is not None  # _member_name let regular files only through
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                checksums[name] = digest.hexdigest()
    except FileNotFoundError as exc:
        raise BackupError(_("No archive at %(path)s.") % {"path": archive_path}) from exc
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise BackupError(corrupt % {"path": archive_path, "error": exc}) from exc

    if MANIFEST not in checksums:
        raise BackupError(
            corrupt % {"path": archive_path, "error": _("no manifest: the archive is cut short")}
        )
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        expected = dict(manifest["sha256"])
        if {"rows", "database", "engine", "config"} - set(manifest):
            raise KeyError("rows, database, engine or config")
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(
            corrupt % {"path": archive_path, "error": _("the manifest is unreadable")}
        ) from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(
            _("The archive's format %(format)s is not one this version reads.")
            % {"format": manifest.get("format")}
        )
    del checksums[MANIFEST]
    missing = sorted(set(expected) - set(checksums))
    extra = sorted(set(checksums) - set(expected))
    changed = sorted(n for n in expected if n in checksums and checksums[n] != expected[n])
    problems = (
        [_("missing: %(name)s") % {"name": n} for n in missing]
        + [_("not in the manifest: %(name)s") % {"name": n} for n in extra]
        + [_("checksum differs: %(name)s") % {"name": n} for n in changed]
    )
    if problems:
        raise BackupError(
            corrupt % {"path": archive_path, "error": "; ".join(problems[:5])}
            + (f" (+{len(problems) - 5})" if len(problems) > 5 else "")
        )
    if manifest["database"] not in checksums or manifest.get("config") not in checksums:
        raise BackupError(
            corrupt % {"path": archive_path, "error": _("no database or no site config")}
        )
    files = sorted(n[len(FILES) + 1 :] for n in checksums if n.startswith(f"{FILES}/"))
    return Archive(folder=folder, manifest=manifest, files=files)


def unknown_migrations(manifest: dict) -> list[str]:
    """The archive's applied migrations that this code does not have (a newer version's)."""
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    return sorted(
        f"{app}.{name}"
        for app, names in manifest.get("migrations", {}).items()
        for name in names
        if (app, name) not in known
    )


def pending_migrations(manifest: dict) -> bool:
    """Whether this code has migrations the archive's database has not applied."""
    from django.db.migrations.loader import MigrationLoader

    applied = {(app, n) for app, names in manifest.get("migrations", {}).items() for n in names}
    return bool(set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations) - applied)


def compare_rows(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    return [
        _("table %(table)s: %(found)s rows, the manifest says %(expected)s")
        % {"table": name, "found": found.get(name, "—"), "expected": expected.get(name, "—")}
        for name in sorted(set(expected) | set(found))
        if expected.get(name) != found.get(name)
    ]


def new_secret_key() -> str:
    return secrets.token_urlsafe(50)
