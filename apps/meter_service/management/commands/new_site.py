"""Create a production site: its folder and config, its MariaDB database and user, the schema,
the fixtures and a system administrator.

    manage.py new_site qazvin --db-url mysql://root:ROOTPASS@127.0.0.1:3306/ \\
        --redis-url redis://127.0.0.1:6379/1 --admin-user admin --admin-email it@example.ir
    manage.py new_site trial --sqlite --no-input

Settings are read once, for the active site, when Django starts; so the steps that need the
new site's database (migrate, fixtures, the admin user) run in child processes with
METER_SITE set to the new site.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.permissions import Role
from sites import siteconfig

NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{1,40}$")
# Names that are, or look like, packages and modules of the project or of the test setup
# (scripts/test runs on the "test" site; "default" is the embedded demo site).
RESERVED_NAMES = frozenset(
    {
        "settings",
        "test",
        "tests",
        "testing",
        "conftest",
        "default",
        "siteconfig",
        "urls",
        "wsgi",
        "asgi",
        "sites",
        "apps",
        "django",
        "static",
        "media",
        "files",
        "fixtures",
        "scripts",
        "requirements",
        "node_modules",
        "site-packages",
    }
)
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
ADMIN_ENV = "METER_NEW_SITE_ADMIN"  # prefix of the variables handing the admin to the child

# Run in a child process for the new site (METER_SITE=<name>): create or update the admin.
ADMIN_SCRIPT = f"""
import os
import django
django.setup()
from apps.meter_service.management.commands.new_site import create_admin
print(create_admin(
    os.environ["{ADMIN_ENV}_USER"],
    os.environ.get("{ADMIN_ENV}_EMAIL", ""),
    os.environ["{ADMIN_ENV}_PASSWORD"],
))
"""


def validate_name(name: str, *, force: bool = False) -> None:
    """Raise CommandError unless `name` may name a new site."""
    if not NAME_RE.match(name):
        raise CommandError(
            f"Bad site name {name!r}: use 2-41 characters, a lowercase letter first, then "
            "lowercase letters, digits, '_' or '-'."
        )
    if name in RESERVED_NAMES or name.startswith(("test_", "test-")):
        raise CommandError(f"{name!r} is reserved; choose another site name.")
    if siteconfig.site_dir(name).exists() and not force:
        raise CommandError(
            f"Site {name!r} already exists ({siteconfig.site_dir(name)}); "
            "give --force to set it up again."
        )


def database_name(name: str) -> str:
    return f"meter_{name}"


def create_admin(username: str, email: str, password: str) -> str:
    """Create or update a superuser holding the system_admin role; return what was done."""
    from django.contrib.auth.models import Group, User
    from django.db import transaction

    with transaction.atomic():
        group, _ = Group.objects.get_or_create(name=Role.SYSTEM_ADMIN)
        user, created = User.objects.get_or_create(username=username)
        if email:
            user.email = email
        user.is_active = user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        user.groups.add(group)
    return f"admin user {username!r} {'created' if created else 'updated'}"


@dataclass
class ServerAccount:
    """The MariaDB account that creates the site's database and user (usually root)."""

    user: str
    password: str
    host: str
    port: int

    @classmethod
    def from_url(cls, url: str) -> ServerAccount:
        parts = urlsplit(url)
        if parts.scheme not in {"mysql", "mariadb"}:
            raise CommandError("--db-url must look like mysql://root:PASSWORD@127.0.0.1:3306/")
        return cls(
            user=unquote(parts.username or "root"),
            password=unquote(parts.password or ""),
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 3306,
        )

    def connect(self):
        try:
            import MySQLdb
        except ImportError as exc:
            raise CommandError(
                "mysqlclient is not installed: METER_WITH_MARIADB=1 scripts/setup"
            ) from exc
        try:
            return MySQLdb.connect(
                host=self.host,
                port=self.port,
                user=self.user,
                password=self.password,
                charset="utf8mb4",
                connect_timeout=10,
            )
        except MySQLdb.Error as exc:
            raise CommandError(
                f"Cannot connect to MariaDB as {self.user}@{self.host}:{self.port}: {exc}"
            ) from exc


@dataclass
class Progress:
    """What has been created so far, to report it when a later step fails."""

    created: list[str] = field(default_factory=list)
    undo: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Create a site: sites/NAME/site_config.json, a MariaDB database meter_NAME with its own "
        "user (or --sqlite), the schema, the fixtures and a system administrator."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="Site name: lowercase letters, digits, '_' or '-'.")
        db = parser.add_argument_group("database (MariaDB unless --sqlite)")
        db.add_argument("--sqlite", action="store_true", help="Use SQLite in the site folder.")
        db.add_argument(
            "--db-url",
            help="Account that creates the database and user, e.g. mysql://root:PASS@127.0.0.1/ "
            "(instead of the --db-root-*, --db-host and --db-port options).",
        )
        db.add_argument("--db-root-user", default="root")
        db.add_argument(
            "--db-root-password",
            default=None,
            help="Default: $METER_DB_ROOT_PASSWORD, else empty.",
        )
        db.add_argument(
            "--db-host",
            default="127.0.0.1",
            help="MariaDB host; 'localhost' connects through the Unix socket.",
        )
        db.add_argument("--db-port", type=int, default=3306)
        db.add_argument(
            "--db-user-host",
            default=None,
            help="Host part of the site's database user; default: localhost and 127.0.0.1 "
            "for a local server, else '%%'.",
        )
        parser.add_argument(
            "--redis-url",
            default=None,
            help=f"Redis for cache, sessions and jobs; one database number per site. Default: "
            f"{DEFAULT_REDIS_URL} for a MariaDB site, none for --sqlite.",
        )
        parser.add_argument(
            "--redis-sentinel",
            action="append",
            default=[],
            metavar="HOST:PORT",
            help="A Redis Sentinel (repeat for each): the site asks them for the current "
            "master; --redis-url then gives only the database number and password.",
        )
        parser.add_argument(
            "--redis-sentinel-master",
            default="mymaster",
            help="The master's name the sentinels watch (default: mymaster).",
        )
        parser.add_argument(
            "--allowed-hosts",
            default="127.0.0.1,localhost",
            help="Comma-separated host names the site answers to.",
        )
        parser.add_argument(
            "--https-host",
            default=None,
            help="The public host name served over HTTPS by a reverse proxy on this machine: "
            "sets public_url, allowed_hosts, CSRF's trusted origin, secure cookies and HSTS, "
            "and trusts the proxy's X-Forwarded-For and X-Forwarded-Proto.",
        )
        files = parser.add_argument_group(
            "files (scans, photos, attachments, imports): the site folder unless --files-backend s3"
        )
        files.add_argument(
            "--files-backend",
            choices=siteconfig.FILES_BACKENDS,
            default=None,
            help="local: sites/NAME/files (default); s3: an S3-compatible object store, the "
            "keys from $METER_S3_ACCESS_KEY and $METER_S3_SECRET_KEY (not written to the config).",
        )
        files.add_argument(
            "--s3-endpoint", default=None, help="e.g. https://minio.example.ir (AWS: leave out)."
        )
        files.add_argument("--s3-bucket", default=None, help="A private bucket.")
        files.add_argument("--s3-region", default=None)
        files.add_argument(
            "--s3-location", default=None, help="Prefix of the site's objects (default: NAME)."
        )
        files.add_argument(
            "--files-presigned-seconds",
            type=int,
            default=None,
            help="On S3: answer an authorised file request with a redirect to a presigned link "
            "living this many seconds (0, the default: the web process streams the file).",
        )
        parser.add_argument("--admin-user", default="admin")
        parser.add_argument("--admin-email", default="")
        parser.add_argument(
            "--admin-password", default=None, help="Default: prompt, or generate with --no-input."
        )
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Never prompt; generate the admin password when none is given and print it.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Set up an existing site (or database) again; keeps its secret key.",
        )

    # --- steps ------------------------------------------------------------------------------

    def handle(self, *args, **options):
        name = options["name"]
        force = options["force"]
        validate_name(name, force=force)
        admin_password, generated = self._admin_password(options)

        progress = Progress()
        try:
            if options["sqlite"]:
                database_url = f"sqlite:///{siteconfig.site_dir(name) / 'db.sqlite3'}"
                redis_url = options["redis_url"] or ""
            else:
                database_url = self._create_database(name, options, progress)
                redis_url = options["redis_url"] or DEFAULT_REDIS_URL
            existed = siteconfig.site_dir(name).exists()
            path = siteconfig.write_config(
                name, self._config(name, database_url, redis_url, options)
            )
            if not existed:
                progress.created.append(f"site folder {path.parent}")
                progress.undo.append(f"rm -r {path.parent}")
            self.stdout.write(f"Wrote {path}")

            self.stdout.write("Migrating and loading fixtures (manage.py setup_site)...")
            self._run_for_site(name, ["manage.py", "setup_site"])
            env = {
                f"{ADMIN_ENV}_USER": options["admin_user"],
                f"{ADMIN_ENV}_EMAIL": options["admin_email"],
                f"{ADMIN_ENV}_PASSWORD": admin_password,
            }
            self._run_for_site(name, ["-c", ADMIN_SCRIPT], extra_env=env)
        except BaseException as exc:
            self._report_failure(progress)
            if isinstance(exc, (CommandError, KeyboardInterrupt)):
                raise
            raise CommandError(f"{type(exc).__name__}: {exc}") from exc

        if not options.get("redis_sentinel"):
            self._warn_unreachable_redis(redis_url)
        self._print_next_steps(name, options, admin_password if generated else None, redis_url)

    def _admin_password(self, options) -> tuple[str, bool]:
        """Return the admin password and whether it was generated here."""
        password = options["admin_password"]
        if password:
            return password, False
        if options["interactive"] and sys.stdin.isatty():
            while True:
                first = getpass.getpass(
                    f"Password for {options['admin_user']!r} (empty: generate one): "
                )
                if not first:
                    break
                if getpass.getpass("Password (again): ") == first:
                    return first, False
                self.stderr.write("The passwords differ; try again.")
        return secrets.token_urlsafe(12), True

    def _config(self, name: str, database_url: str, redis_url: str, options) -> dict:
        path = siteconfig.site_dir(name) / "site_config.json"
        config = {}
        if path.exists():  # --force: keep the secret key (sessions, tokens) and custom keys
            import json

            config = json.loads(path.read_text(encoding="utf-8"))
        hosts = [h.strip() for h in options["allowed_hosts"].split(",") if h.strip()]
        https_host = (options.get("https_host") or "").strip().lower()
        if https_host:
            if https_host not in hosts:
                hosts.append(https_host)
            config.update(
                {
                    "public_url": f"https://{https_host}",
                    "csrf_trusted_origins": [f"https://{https_host}"],
                    "trusted_proxies": ["127.0.0.1", "::1"],
                }
            )
        config.update(
            {
                "database_url": database_url,
                "redis_url": redis_url,
                "secret_key": config.get("secret_key") or secrets.token_urlsafe(50),
                "debug": False,
                "allowed_hosts": hosts,
            }
        )
        if options.get("redis_sentinel"):
            config["redis_sentinels"] = list(options["redis_sentinel"])
            config["redis_sentinel_master"] = options["redis_sentinel_master"]
        config.pop("demo_password", None)  # production sites get no demo users
        config.update(self._files_config(name, options))
        return config

    def _files_config(self, name: str, options) -> dict:
        backend = options.get("files_backend")
        if backend is None:
            return {}  # --force keeps what the config says; a new site keeps its files folder
        if backend == siteconfig.FILES_LOCAL:
            return {"files_backend": backend}
        if not options.get("s3_bucket"):
            raise CommandError("--files-backend s3 needs --s3-bucket.")
        if options.get("files_presigned_seconds") is not None and not (
            0 <= options["files_presigned_seconds"] <= 7 * 24 * 3600
        ):
            raise CommandError("--files-presigned-seconds must be from 0 to 604800 (7 days).")
        config = {
            "files_backend": backend,
            "s3_bucket": options["s3_bucket"],
            "s3_location": options.get("s3_location") or name,
            "files_presigned_seconds": options.get("files_presigned_seconds") or 0,
        }
        if options.get("s3_endpoint"):
            config["s3_endpoint"] = options["s3_endpoint"]
        if options.get("s3_region"):
            config["s3_region"] = options["s3_region"]
        return config

    def _server_account(self, options) -> ServerAccount:
        if options["db_url"]:
            return ServerAccount.from_url(options["db_url"])
        password = options["db_root_password"]
        if password is None:
            password = os.environ.get("METER_DB_ROOT_PASSWORD", "")
        return ServerAccount(
            user=options["db_root_user"],
            password=password,
            host=options["db_host"],
            port=options["db_port"],
        )

    def _create_database(self, name: str, options, progress: Progress) -> str:
        """Create database meter_NAME and a user with rights on it only; return its URL."""
        import MySQLdb

        account = self._server_account(options)
        db_name = user_name = database_name(name)
        # In GRANT, '_' in a database name is a wildcard: escape it.
        grant_db = db_name.replace("_", r"\_")
        user_hosts = (
            [h.strip() for h in options["db_user_host"].split(",") if h.strip()]
            if options["db_user_host"]
            else (["localhost", "127.0.0.1"] if account.host in LOCAL_HOSTS else ["%"])
        )
        password = secrets.token_urlsafe(24)

        conn = account.connect()
        try:
            cursor = conn.cursor()
            cursor.execute("SHOW DATABASES LIKE %s", (grant_db,))
            if cursor.fetchone() and not options["force"]:
                raise CommandError(
                    f"Database {db_name} already exists on {account.host}; give --force to "
                    "use it (its user gets a new password)."
                )
            cursor.execute(
                f"CREATE DATABASE IF NOT EXISTS `{db_name}` "
                "CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
            progress.created.append(f"database {db_name} on {account.host}:{account.port}")
            progress.undo.append(f"DROP DATABASE `{db_name}`;")
            for host in user_hosts:
                cursor.execute(
                    "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (user_name, host, password)
                )
                cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", (user_name, host, password))
                progress.created.append(f"database user '{user_name}'@'{host}'")
                progress.undo.append(f"DROP USER '{user_name}'@'{host}';")
                cursor.execute(
                    f"GRANT ALL PRIVILEGES ON `{grant_db}`.* TO %s@%s", (user_name, host)
                )
            conn.commit()
        except MySQLdb.Error as exc:
            raise CommandError(f"MariaDB refused: {exc}") from exc
        finally:
            conn.close()
        self.stdout.write(
            f"Created database {db_name} (utf8mb4_unicode_ci) and user {user_name} "
            f"@ {', '.join(user_hosts)}"
        )
        host = f"[{account.host}]" if ":" in account.host else account.host
        return f"mysql://{quote(user_name)}:{quote(password)}@{host}:{account.port}/{db_name}"

    def _run_for_site(self, name: str, args: list[str], extra_env: dict | None = None) -> None:
        """Run `python ARGS` for the new site, in the project folder; fail on a non-zero exit."""
        env = {k: v for k, v in os.environ.items() if k not in siteconfig.ENV_OVERRIDES}
        env.update(METER_SITE=name, DJANGO_SETTINGS_MODULE="sites.settings", **(extra_env or {}))
        result = subprocess.run(
            [sys.executable, *args],
            cwd=siteconfig.BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.stdout.strip():
            self.stdout.write(result.stdout.rstrip())
        if result.returncode != 0:
            step = "manage.py setup_site" if "setup_site" in args else "creating the admin user"
            raise CommandError(
                f"{step} failed for site {name!r} (exit {result.returncode}):\n"
                f"{result.stderr.strip()[-3000:]}"
            )

    def _report_failure(self, progress: Progress) -> None:
        if not progress.created:
            self.stderr.write("Nothing was created.")
            return
        self.stderr.write("The site is NOT ready. Created so far:")
        for item in progress.created:
            self.stderr.write(f"  - {item}")
        self.stderr.write(
            "Fix the cause and run the same command again with --force, or undo with:"
        )
        for item in progress.undo:
            self.stderr.write(f"  {item}")

    def _warn_unreachable_redis(self, redis_url: str) -> None:
        if not redis_url:
            return
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2).ping()
        except redis.RedisError as exc:
            self.stderr.write(f"Warning: Redis at {redis_url} does not answer ({exc}).")

    def _print_next_steps(self, name, options, generated_password, redis_url) -> None:
        port = os.environ.get("PORT", "8000")
        lines = [
            "",
            self.style.SUCCESS(f"Site {name!r} is ready."),
            f"  Config:  {siteconfig.site_dir(name) / 'site_config.json'}",
            f"  Admin:   {options['admin_user']} (system_admin, superuser)",
        ]
        if generated_password:
            lines.append(f"  Password (generated, shown once): {generated_password}")
        lines += ["", "Next steps:"]
        if redis_url:
            lines += [
                "  Start the web server, the job worker and the scheduler (Procfile):",
                f"    METER_SITE={name} PORT={port} .venv/bin/honcho start",
            ]
        else:
            lines += [
                "  No Redis: jobs run inside the web process; start the web server only:",
                f"    METER_SITE={name} PORT={port} .venv/bin/honcho start web",
            ]
        lines += [
            "  In production, under supervisord (restarts each process that dies):",
            f"    METER_SITE={name} .venv/bin/python manage.py supervisor_config --port {port}",
            f"    .venv/bin/supervisord -c sites/{name}/supervisord.conf",
        ]
        lines += [
            f"  Desk:    http://127.0.0.1:{port}/desk/",
            f"  Health:  http://127.0.0.1:{port}/health/",
            "  Behind a reverse proxy, add its host names to allowed_hosts in the config.",
            "",
        ]
        self.stdout.write("\n".join(lines))
