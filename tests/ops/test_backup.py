"""manage.py backup and restore: a seeded site comes back whole; a damaged archive changes nothing.

On SQLite by default; on MariaDB when METER_DATABASE_URL is mysql:// (the restore makes its
own database meter_<site> and its user, and the fixture drops them).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from apps.meter_service import backups
from apps.meter_service.management.commands import new_site
from sites import siteconfig

pytestmark = pytest.mark.django_db(transaction=True)

PASSPHRASE = "correct horse 1403"
MARIADB = os.environ.get("METER_DATABASE_URL", "").startswith("mysql://")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """The site's files in a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def server_url() -> str | None:
    """restore's --db-url on the MariaDB run: the test account, without a database."""
    if not MARIADB:
        return None
    parts = urlsplit(os.environ["METER_DATABASE_URL"])
    return f"{parts.scheme}://{parts.netloc}/"


@pytest.fixture
def restored_site(server_url):
    """A new site name (h_backup_…: MariaDB database meter_h_backup_…), removed afterwards."""
    name = f"h_backup_{uuid.uuid4().hex[:8]}"
    yield name
    import shutil

    shutil.rmtree(siteconfig.site_dir(name), ignore_errors=True)
    if server_url:
        account = new_site.ServerAccount.from_url(server_url)
        conn = account.connect()
        try:
            cursor = conn.cursor()
            cursor.execute(f"DROP DATABASE IF EXISTS `{new_site.database_name(name)}`")
            for host in ("localhost", "127.0.0.1", "%"):
                cursor.execute("DROP USER IF EXISTS %s@%s", (new_site.database_name(name), host))
        finally:
            conn.close()


def run(command: str, *args, **options) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command(command, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def restore(archive: Path, name: str, server_url: str | None, *args) -> str:
    extra = ["--db-url", server_url] if server_url else []
    return run("restore", str(archive), "--site", name, *extra, *args)


def seed_files() -> dict[str, bytes]:
    """Uploads through the app's models and storage: a bill scan, an import, a document."""
    from apps.meter_service.doctype.claim.models import Claim

    claim = Claim.objects.order_by("pk").first()
    claim.last_bill_scan.save("bill.pdf", ContentFile(b"%PDF-1.4 scan " * 100), save=True)
    default_storage.save("imports/2026/01/مشترکین.csv", ContentFile("شماره,نام\n1,سارا\n".encode()))
    default_storage.save("documents/receipt-1.pdf", ContentFile(os.urandom(70_000)))
    return files_of(default_storage)


def files_of(storage) -> dict[str, bytes]:
    result = {}
    for name in backups.storage_names(storage):
        with storage.open(name, "rb") as handle:
            result[name] = handle.read()
    return result


# --- every row of every table ---------------------------------------------------------------


def all_rows(cursor, tables: list[str], quote: str) -> dict[str, list]:
    rows = {}
    for table in tables:
        cursor.execute(f"SELECT * FROM {quote}{table}{quote}")
        rows[table] = sorted((tuple(row) for row in cursor.fetchall()), key=repr)
    return rows


def source_rows() -> dict[str, list]:
    tables = sorted(connection.introspection.table_names())
    if connection.vendor == "mysql":
        with connection.cursor() as cursor:
            return all_rows(cursor, tables, "`")
    # A connection of its own: Django's turns dates into objects, the restored file's does not.
    db = sqlite3.connect(connection.settings_dict["NAME"], uri=True)
    try:
        return all_rows(db.cursor(), tables, '"')
    finally:
        db.close()


def restored_rows(name: str, server_url: str | None) -> dict[str, list]:
    if server_url:
        import MySQLdb

        config = json.loads((siteconfig.site_dir(name) / "site_config.json").read_text())
        parts = urlsplit(config["database_url"])
        db = MySQLdb.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username,
            password=parts.password,
            database=parts.path.lstrip("/"),
            charset="utf8mb4",
        )
        quote, sql = "`", "SHOW FULL TABLES WHERE Table_type = 'BASE TABLE'"
    else:
        db = sqlite3.connect(siteconfig.site_dir(name) / "db.sqlite3")
        quote = '"'
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    try:
        cursor = db.cursor()
        cursor.execute(sql)
        tables = sorted(row[0] for row in cursor.fetchall())
        return all_rows(cursor, tables, quote)
    finally:
        db.close()


def test_a_seeded_site_is_restored_whole(roles, restored_site, server_url, tmp_path):
    from apps.meter_service.demo.data import load_demo

    load_demo(password="demo-pass")
    files = seed_files()
    expected = source_rows()
    assert sum(len(rows) for rows in expected.values()) > 500  # the demo data is there

    archive = tmp_path / "site.tar.gz"
    out = run("backup", "--output", str(archive))
    assert "secrets are not in the archive" in out
    assert oct(archive.stat().st_mode & 0o777) == oct(0o600)
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile(f"{backups.ROOT}/{backups.MANIFEST}"))
    assert manifest["engine"] == ("mariadb" if server_url else "sqlite")
    assert manifest["rows"]["meter_service_claim"] == len(expected["meter_service_claim"])
    assert "0001_initial" in manifest["migrations"]["meter_service"]
    assert "secret_key" in manifest["config_left_out"]
    for name, data in files.items():
        assert manifest["sha256"][f"files/{name}"] == hashlib.sha256(data).hexdigest()

    out = restore(archive, restored_site, server_url)
    assert f"Site {restored_site} restored" in out

    site = siteconfig.site_dir(restored_site)
    assert restored_rows(restored_site, server_url) == expected
    from apps.meter_service.management.commands.restore import site_storage

    config = json.loads((site / "site_config.json").read_text())
    assert files_of(site_storage(config, restored_site, site / "files")) == files
    config = json.loads((site / "site_config.json").read_text())
    assert len(config["secret_key"]) >= 50 and config["redis_url"] == ""
    if server_url:
        assert urlsplit(config["database_url"]).path == f"/meter_{restored_site}"
    else:
        assert config["database_url"] == f"sqlite:///{site / 'db.sqlite3'}"
    assert not list(siteconfig.SITES_DIR.glob(f".restore-{restored_site}-*"))

    # The name is taken now: refused without --force, replaced with it.
    with pytest.raises(CommandError, match="exists already; give --force"):
        restore(archive, restored_site, server_url)
    restore(archive, restored_site, server_url, "--force")
    assert restored_rows(restored_site, server_url) == expected


def test_an_encrypted_config_needs_its_passphrase(roles, restored_site, server_url, tmp_path):
    default_storage.save("documents/a.txt", ContentFile(b"one"))
    archive = tmp_path / "site.tar.gz"
    os.environ[backups.PASSPHRASE_ENV] = PASSPHRASE
    try:
        run("backup", "--output", str(archive))
    finally:
        del os.environ[backups.PASSPHRASE_ENV]
    with tarfile.open(archive) as tar:
        sealed = tar.extractfile(f"{backups.ROOT}/{backups.CONFIG_ENCRYPTED}").read()
        assert f"{backups.ROOT}/{backups.CONFIG_PLAIN}" not in tar.getnames()
    from django.conf import settings

    source = siteconfig.site_dir(settings.SITE_NAME) / "site_config.json"
    secret_key = json.loads(source.read_text())["secret_key"]
    assert secret_key.encode() not in sealed

    with pytest.raises(CommandError, match="encrypted"):
        restore(archive, restored_site, server_url)
    os.environ[backups.PASSPHRASE_ENV] = "wrong passphrase"
    try:
        with pytest.raises(CommandError, match="Wrong passphrase"):
            restore(archive, restored_site, server_url)
        assert_nothing_left(restored_site, server_url)
        os.environ[backups.PASSPHRASE_ENV] = PASSPHRASE
        restore(archive, restored_site, server_url)
    finally:
        del os.environ[backups.PASSPHRASE_ENV]
    config = json.loads((siteconfig.site_dir(restored_site) / "site_config.json").read_text())
    assert config["secret_key"] == secret_key


# --- damaged archives ------------------------------------------------------------------------


def assert_nothing_left(name: str, server_url: str | None) -> None:
    assert not siteconfig.site_dir(name).exists()
    assert not list(siteconfig.SITES_DIR.glob(f".restore-{name}-*"))
    if not server_url:
        return
    import MySQLdb

    database = new_site.database_name(name)
    conn = new_site.ServerAccount.from_url(server_url).connect()
    try:
        cursor = conn.cursor()
        cursor.execute("SHOW DATABASES LIKE %s", (database.replace("_", "\\_"),))
        assert cursor.fetchone() is None
        # The test account may not read mysql.user, but may create users: a user the
        # restore left behind would make this fail.
        for host in ("localhost", "127.0.0.1"):
            try:
                cursor.execute("CREATE USER %s@%s", (database, host))
            except MySQLdb.OperationalError as exc:
                pytest.fail(f"user {database}@{host} was left behind: {exc}")
            cursor.execute("DROP USER %s@%s", (database, host))
    finally:
        conn.close()


def rewrite(archive: Path, target: Path, change) -> None:
    """Copy the archive member by member, passing each (name, data) through `change`."""
    with tarfile.open(archive) as source, tarfile.open(target, "w:gz") as out:
        for member in source:
            data = change(member.name, source.extractfile(member).read())
            if data is None:
                continue
            member.size = len(data)
            out.addfile(member, io.BytesIO(data))


def test_a_damaged_archive_is_refused_and_leaves_nothing(
    roles, restored_site, server_url, tmp_path
):
    default_storage.save("documents/receipt.pdf", ContentFile(b"receipt " * 5000))
    archive = tmp_path / "site.tar.gz"
    run("backup", "--output", str(archive))
    data = archive.read_bytes()

    flipped = tmp_path / "flipped.tar.gz"
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(data[: len(data) * 2 // 3])
    # Well-formed archives whose content no longer matches the manifest.
    changed_file = tmp_path / "changed-file.tar.gz"
    rewrite(
        archive,
        changed_file,
        lambda n, d: d.replace(b"receipt", b"RECEIPT", 1) if n.endswith("receipt.pdf") else d,
    )
    changed_db = tmp_path / "changed-db.tar.gz"
    rewrite(
        archive, changed_db, lambda n, d: d + b"\n" if n.endswith(".sql") or "sqlite" in n else d
    )
    no_manifest = tmp_path / "no-manifest.tar.gz"
    rewrite(archive, no_manifest, lambda n, d: None if n.endswith(backups.MANIFEST) else d)
    missing_file = tmp_path / "missing-file.tar.gz"
    rewrite(archive, missing_file, lambda n, d: None if "receipt" in n else d)
    not_gzip = tmp_path / "not-gzip.tar.gz"
    not_gzip.write_bytes(gzip.decompress(data)[:1000])

    escaping = tmp_path / "escaping.tar.gz"
    with tarfile.open(escaping, "w:gz") as tar:
        info = tarfile.TarInfo(f"{backups.ROOT}/files/../../outside.txt")
        info.size = 2
        tar.addfile(info, io.BytesIO(b"hi"))
    linking = tmp_path / "linking.tar.gz"
    with tarfile.open(linking, "w:gz") as tar:
        info = tarfile.TarInfo(f"{backups.ROOT}/files/passwd")
        info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(info)

    cases = {
        escaping: "unexpected entry",
        linking: "unexpected entry",
        flipped: "damaged or incomplete",
        cut: "damaged or incomplete",
        changed_file: "checksum differs: files/documents/receipt.pdf",
        changed_db: "checksum differs: database",
        no_manifest: "no manifest",
        missing_file: "missing: files/documents/receipt.pdf",
        not_gzip: "damaged or incomplete",
        tmp_path / "absent.tar.gz": "No archive",
    }
    for bad, message in cases.items():
        with pytest.raises(CommandError, match=message):
            restore(bad, restored_site, server_url)
        assert_nothing_left(restored_site, server_url)

    def with_manifest(change):
        """A member changer that edits the manifest only (the checksums still hold)."""

        def edit(name: str, data: bytes) -> bytes:
            if not name.endswith(backups.MANIFEST):
                return data
            manifest = json.loads(data)
            change(manifest)
            return json.dumps(manifest).encode()

        return edit

    # Rows that disagree with the dump are found only once the database is loaded, which
    # is then dropped again with its user.
    wrong_rows = tmp_path / "wrong-rows.tar.gz"
    rewrite(archive, wrong_rows, with_manifest(lambda m: m["rows"].update(auth_group=99)))
    with pytest.raises(CommandError, match="does not match the manifest: table auth_group"):
        restore(wrong_rows, restored_site, server_url)
    assert_nothing_left(restored_site, server_url)

    newer = tmp_path / "newer.tar.gz"
    future = "9999_from_a_newer_version"
    rewrite(
        archive, newer, with_manifest(lambda m: m["migrations"]["meter_service"].append(future))
    )
    with pytest.raises(CommandError, match=rf"newer version.*{future}"):
        restore(newer, restored_site, server_url)
    assert_nothing_left(restored_site, server_url)

    # The same refusal in Persian, the site's language.
    with pytest.raises(CommandError, match="آسیب"), translation.override("fa"):
        call_command(
            "restore",
            str(cut),
            "--site",
            restored_site,
            *(["--db-url", server_url] * bool(server_url)),
            stdout=io.StringIO(),
        )
    assert_nothing_left(restored_site, server_url)

    # The good archive still restores, so the refusals above were about the damage.
    restore(archive, restored_site, server_url)
    assert siteconfig.site_dir(restored_site).exists()


def test_an_archive_restores_into_its_own_engine_only(roles, restored_site, server_url, tmp_path):
    archive = tmp_path / "site.tar.gz"
    run("backup", "--output", str(archive))
    if server_url:
        with pytest.raises(CommandError, match="MariaDB backup: it restores into MariaDB only"):
            run("restore", str(archive), "--site", restored_site)
    else:
        with pytest.raises(CommandError, match="SQLite backup: it restores into a SQLite site"):
            run("restore", str(archive), "--site", restored_site, "--db-url", "mysql://x@h/")
    assert_nothing_left(restored_site, server_url)


def test_row_counts_are_read_from_the_dump_itself(tmp_path):
    """mariadb-dump's lines: strings with quotes, parentheses and escapes count no rows."""
    dump = tmp_path / "d.sql"
    dump.write_bytes(
        b"CREATE TABLE `empty` (\n  `id` int\n);\n"
        b"CREATE TABLE `t` (\n  `id` int\n);\n"
        b"INSERT INTO `t` VALUES (1,'a (b), c'),(2,'it\\'s (x'),(3,NULL,0x2829);\n"
        b"INSERT INTO `t` VALUES (4,'\\\\'),(5,'\\\\\\')(');\n"
    )
    assert backups.mariadb_dump_row_counts(dump) == {"empty": 0, "t": 5}
    # mariadb-dump 10.11: one row per line.
    dump.write_bytes(
        b"CREATE TABLE `t` (\n  `id` int\n);\nLOCK TABLES `t` WRITE;\n"
        b"INSERT INTO `t` VALUES\n(1,'a\\nb (x);',0x00FF),\n(2,'it\\'s',NULL);\n"
        b"UNLOCK TABLES;\nCREATE TABLE `u` (\n  `id` int\n);\n"
        b"INSERT INTO `u` VALUES\n(7);\n"
    )
    assert backups.mariadb_dump_row_counts(dump) == {"t": 2, "u": 1}


def test_the_database_password_goes_in_a_private_option_file():
    with backups.mariadb_defaults_file(
        user="meter_x", password='p"a\\ss', host="127.0.0.1", port=3306
    ) as path:
        assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
        text = Path(path).read_text()
    assert 'password="p\\"a\\\\ss"' in text
    assert not os.path.exists(path)


def test_secrets_are_left_out_of_a_plain_config():
    config = {
        "secret_key": "k",
        "database_url": "mysql://u:p@h/d",
        "allowed_hosts": ["a"],
        "sms": {"BASE_URL": "https://sms", "API_KEY": "s"},
        "gateway": {"MERCHANT_ID": "m"},
        "email": {"host": "mail", "password": "p"},
    }
    clean, removed = backups.redact(config)
    assert clean == {
        "allowed_hosts": ["a"],
        "sms": {"BASE_URL": "https://sms"},
        "gateway": {},
        "email": {"host": "mail"},
    }
    assert sorted(removed) == sorted(
        ["secret_key", "database_url", "sms.API_KEY", "gateway.MERCHANT_ID", "email.password"]
    )
