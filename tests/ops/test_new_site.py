"""manage.py new_site: name rules, the site config, SQLite and MariaDB sites end to end."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from apps.meter_service.management.commands import new_site
from sites import siteconfig


def run_new_site(*args, stderr: io.StringIO | None = None) -> str:
    """Run the command; return its output. Pass `stderr` to read its errors on failure."""
    out = io.StringIO()
    call_command("new_site", *args, stdout=out, stderr=stderr or io.StringIO())
    return out.getvalue()


def read_config(name: str) -> dict:
    return json.loads((siteconfig.site_dir(name) / "site_config.json").read_text("utf-8"))


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["", "a", "A", "Qazvin", "1site", "_site", "-site", "my site", "site.x", "site/x", "x" * 42],
)
def test_bad_names_are_refused(name):
    with pytest.raises(CommandError, match="Bad site name"):
        new_site.validate_name(name)


@pytest.mark.parametrize("name", ["settings", "test", "tests", "default", "wsgi", "test_qazvin"])
def test_reserved_names_are_refused(name):
    with pytest.raises(CommandError, match="reserved"):
        new_site.validate_name(name)


@pytest.mark.parametrize("name", ["qazvin", "zanjan-2", "ab", "gas_co_281", "x" * 41])
def test_good_names_pass(name, tmp_path, monkeypatch):
    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)
    new_site.validate_name(name)


def test_an_existing_site_needs_force(tmp_path, monkeypatch):
    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)
    (tmp_path / "qazvin").mkdir()

    with pytest.raises(CommandError, match=r"already exists.*--force"):
        new_site.validate_name("qazvin")
    new_site.validate_name("qazvin", force=True)


def test_the_command_refuses_a_bad_name_before_creating_anything(tmp_path, monkeypatch):
    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)
    with pytest.raises(CommandError, match="reserved"):
        run_new_site("settings", "--sqlite", "--no-input")
    assert list(tmp_path.iterdir()) == []


def test_a_failure_after_creating_says_what_was_created(tmp_path, monkeypatch):
    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)

    def fail(self, name, args, extra_env=None):
        raise CommandError("manage.py setup_site failed for site 'qazvin' (exit 1)")

    monkeypatch.setattr(new_site.Command, "_run_for_site", fail)

    err = io.StringIO()
    with pytest.raises(CommandError, match="setup_site failed"):
        run_new_site("qazvin", "--sqlite", "--no-input", stderr=err)

    assert "NOT ready" in err.getvalue()
    assert f"site folder {tmp_path / 'qazvin'}" in err.getvalue()
    assert f"rm -r {tmp_path / 'qazvin'}" in err.getvalue()


def test_admin_server_url_is_parsed():
    account = new_site.ServerAccount.from_url("mysql://root:p%40ss@db.example.ir:3307/")
    assert (account.user, account.password, account.host, account.port) == (
        "root",
        "p@ss",
        "db.example.ir",
        3307,
    )
    with pytest.raises(CommandError, match="mysql://"):
        new_site.ServerAccount.from_url("postgres://root@127.0.0.1/")


# --- a SQLite site, end to end (migrate and the admin run in child processes) ----------------


def sqlite_admin(name: str, username: str) -> tuple:
    db = sqlite3.connect(siteconfig.site_dir(name) / "db.sqlite3")
    try:
        return db.execute(
            "SELECT u.is_staff, u.is_superuser, u.is_active, u.email, u.password, g.name "
            "FROM auth_user u JOIN auth_user_groups ug ON ug.user_id = u.id "
            "JOIN auth_group g ON g.id = ug.group_id WHERE u.username = ?",
            (username,),
        ).fetchone()
    finally:
        db.close()


def test_new_sqlite_site_end_to_end(new_site_name):
    name = new_site_name
    out = run_new_site(
        name, "--sqlite", "--no-input", "--admin-user", "boss", "--admin-email", "it@example.ir"
    )

    config = read_config(name)
    assert config["database_url"] == f"sqlite:///{siteconfig.site_dir(name) / 'db.sqlite3'}"
    assert config["redis_url"] == ""
    assert config["debug"] is False
    assert config["allowed_hosts"] == ["127.0.0.1", "localhost"]
    assert len(config["secret_key"]) >= 50
    assert "demo_password" not in config
    # No SMS provider or payment gateway until the administrator names them.
    assert "sms" not in config and "gateway" not in config
    mode = stat.S_IMODE((siteconfig.site_dir(name) / "site_config.json").stat().st_mode)
    assert mode == 0o600
    # The database and the uploads are in the site folder: nobody else may enter it.
    for folder in (siteconfig.site_dir(name), siteconfig.site_dir(name) / "files"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700

    assert "loaded 0001_roles.json" in out
    [generated] = [line for line in out.splitlines() if "Password (generated" in line]
    password = generated.rsplit(": ", 1)[1]
    assert f"METER_SITE={name}" in out
    assert "honcho start" in out

    is_staff, is_superuser, is_active, email, hashed, group = sqlite_admin(name, "boss")
    assert (is_staff, is_superuser, is_active) == (1, 1, 1)
    assert email == "it@example.ir"
    assert group == "system_admin"
    assert check_password(password, hashed)

    # Again: refused without --force; with it, the secret key stays and the password changes.
    with pytest.raises(CommandError, match="already exists"):
        run_new_site(name, "--sqlite", "--no-input")
    run_new_site(
        name, "--sqlite", "--force", "--admin-user", "boss", "--admin-password", "n3w-Pass-1403"
    )
    assert read_config(name)["secret_key"] == config["secret_key"]
    assert check_password("n3w-Pass-1403", sqlite_admin(name, "boss")[4])


# --- a MariaDB site (only on the MariaDB run, with an account that may create users) ----------


@pytest.fixture
def mariadb_account():
    """The test run's MariaDB account as new_site's --db-url, if it may create databases."""
    url = os.environ.get("METER_DATABASE_URL", "")
    if not url.startswith("mysql://"):
        pytest.skip("needs MariaDB: set METER_DATABASE_URL=mysql://...")
    import MySQLdb

    account = new_site.ServerAccount.from_url(url)
    conn = account.connect()
    try:
        cursor = conn.cursor()
        cursor.execute("SHOW GRANTS")
        grants = " ".join(row[0] for row in cursor.fetchall())
    finally:
        conn.close()
    if "CREATE USER" not in grants and "ALL PRIVILEGES ON *.*" not in grants:
        pytest.skip(f"{account.user} may not create users (see .ci/run for the grants)")
    parts = urlsplit(url)
    return account, MySQLdb, f"{parts.scheme}://{parts.netloc}/"


def drop_site_database(account, name: str) -> None:
    conn = account.connect()
    try:
        cursor = conn.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS `meter_{name}`")
        for host in ("localhost", "127.0.0.1", "%"):
            cursor.execute("DROP USER IF EXISTS %s@%s", (f"meter_{name}", host))
    finally:
        conn.close()


def test_new_mariadb_site_end_to_end(mariadb_account, new_site_name):
    account, MySQLdb, root_url = mariadb_account
    name = new_site_name
    redis_url = settings.REDIS_URL or "redis://127.0.0.1:6379/0"
    try:
        out = run_new_site(
            name, "--db-url", root_url, "--redis-url", redis_url, "--admin-password", "Adm1n-1403"
        )

        config = read_config(name)
        assert config["redis_url"] == redis_url
        url = urlsplit(config["database_url"])
        assert (url.scheme, url.path, url.username) == ("mysql", f"/meter_{name}", f"meter_{name}")
        assert (url.hostname, url.port) == (account.host, account.port)
        assert f"Created database meter_{name}" in out
        assert "Password (generated" not in out

        site = MySQLdb.connect(
            host=url.hostname,
            port=url.port,
            user=url.username,
            password=url.password,
            database=f"meter_{name}",
        )
        try:
            cursor = site.cursor()
            cursor.execute(
                "SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME "
                "FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = DATABASE()"
            )
            assert cursor.fetchone() == ("utf8mb4", "utf8mb4_unicode_ci")
            cursor.execute("SHOW DATABASES")
            assert {row[0] for row in cursor.fetchall()} == {
                "information_schema",
                f"meter_{name}",
            }
            cursor.execute(
                "SELECT u.is_superuser, u.is_staff, u.password FROM auth_user u "
                "JOIN auth_user_groups ug ON ug.user_id = u.id "
                "JOIN auth_group g ON g.id = ug.group_id "
                "WHERE u.username = 'admin' AND g.name = 'system_admin'"
            )
            is_superuser, is_staff, hashed = cursor.fetchone()
            assert (is_superuser, is_staff) == (1, 1)
            assert check_password("Adm1n-1403", hashed)
        finally:
            site.close()

        # The same database again without --force is refused before anything is changed.
        with pytest.raises(CommandError, match="already exists"):
            run_new_site(name, "--db-url", root_url, "--no-input")
    finally:
        drop_site_database(account, name)


def test_mariadb_connection_failure_creates_nothing(mariadb_account, new_site_name):
    account, _, _ = mariadb_account
    bad_url = f"mysql://{account.user}:wrong-password@{account.host}:{account.port}/"

    err = io.StringIO()
    with pytest.raises(CommandError, match="Cannot connect"):
        run_new_site(new_site_name, "--db-url", bad_url, "--no-input", stderr=err)

    assert "Nothing was created." in err.getvalue()
    assert not siteconfig.site_dir(new_site_name).exists()


# --- behind the TLS proxy -------------------------------------------------------------------


def _site_python(name: str, code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "METER_SITE": name}
    # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a site never does.
    for variable in (
        "METER_DATABASE_URL",
        "METER_REDIS_URL",
        "METER_DEBUG",
        "METER_ALLOWED_HOSTS",
        "DJANGO_ALLOW_ASYNC_UNSAFE",
    ):
        env.pop(variable, None)
    return subprocess.run(
        [sys.executable, *code], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def test_a_site_behind_the_https_proxy_passes_the_deploy_check(new_site_name):
    """Every browser POST answered 403 "Origin checking failed" behind a TLS proxy, and
    check --deploy warned of insecure cookies and no HSTS."""
    name = new_site_name
    run_new_site(name, "--sqlite", "--no-input", "--https-host", "meter.example.ir")
    config = read_config(name)
    assert config["public_url"] == "https://meter.example.ir"
    assert "meter.example.ir" in config["allowed_hosts"]
    assert config["trusted_proxies"] == ["127.0.0.1", "::1"]

    checked = _site_python(name, ["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert checked.returncode == 0, checked.stdout + checked.stderr

    # A POST through the proxy: marked secure by X-Forwarded-Proto, its Origin trusted.
    script = """
from django.test import Client
from django.urls import reverse
client = Client(enforce_csrf_checks=True)
headers = {"HTTP_HOST": "meter.example.ir", "HTTP_X_FORWARDED_PROTO": "https"}
page = client.get("/office/login/", **headers)
token = page.cookies["csrftoken"].value
response = client.post("/office/login/", {"username": "x", "password": "y",
    "csrfmiddlewaretoken": token}, HTTP_ORIGIN="https://meter.example.ir", **headers)
print(page.status_code, response.status_code, page.cookies["csrftoken"]["secure"])
print(client.get("/office/login/", HTTP_HOST="meter.example.ir").status_code)
"""
    shell = _site_python(name, ["manage.py", "shell", "-c", script])
    assert shell.returncode == 0, shell.stderr
    first, second = shell.stdout.strip().splitlines()[-2:]
    assert first == "200 200 True"  # the form is shown again with its error, not a 403
    assert second == "301"  # plain HTTP is sent to HTTPS
