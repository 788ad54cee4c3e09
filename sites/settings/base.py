"""Base settings, shared by every site. Site-specific values come from sites/siteconfig.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NotRequired, TypedDict

import dj_database_url
from django.utils.translation import gettext_lazy as _

from apps.meter_service.content_security import site_policy
from apps.meter_service.core.rule_settings import site_rules
from sites.siteconfig import (
    BASE_DIR,
    file_storage,
    load_config,
    presigned_seconds,
    site_dir,
    site_name,
)

SITE_NAME = site_name()
SITE_CONFIG = load_config(SITE_NAME)
SITE_DIR = site_dir(SITE_NAME)

# Domain rules that the sources leave open are settings with sensible defaults, all in
# apps/meter_service/core/rule_settings.py (RULES, with what each means; `manage.py settings_table`
# prints them); a site overrides any of them in its site_config.json under "meter_service".
# Deprecated names are translated, and reported by the system check meter_service.W002.
# The time limits are rules too, so they are read first: the database and Redis need them.
METER_SERVICE, METER_SERVICE_DEPRECATIONS = site_rules(
    SITE_CONFIG.get("meter_service", {}), SITE_CONFIG
)

SECRET_KEY = SITE_CONFIG["secret_key"]
DEBUG = bool(SITE_CONFIG.get("debug", False))
ALLOWED_HOSTS = list(SITE_CONFIG.get("allowed_hosts") or ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = SITE_CONFIG.get("csrf_trusted_origins", [])
CSRF_FAILURE_VIEW = "apps.meter_service.errors.csrf_failure"

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # Only for the migration that moved its plain-text keys to hashed ApiTokens.
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_rq",
    # Two-factor sign-in to the desk: authenticator apps (TOTP) and one-time backup codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # Complaint tickets are django-helpdesk's models (queues, tickets, follow-ups, changes);
    # its own pages load scripts from CDNs, so the desk and portal show them instead.
    "apps.meter_service.helpdesk_app.ComplaintsHelpdeskConfig",
    "apps.meter_service.apps.MeterServiceConfig",
]

MIDDLEWARE = [
    "apps.meter_service.core.logs.RequestLogMiddleware",
    # Content-Security-Policy (django-csp), with the desk's and API docs' additions by path;
    # early, so that the pages the middlewares below answer with (413, 400) carry it too.
    "apps.meter_service.content_security.ContentSecurityPolicyMiddleware",
    "apps.meter_service.middleware.RequestSizeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "apps.meter_service.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with the second factor too (two_factor.py).
    "django_otp.middleware.OTPMiddleware",
    "apps.meter_service.middleware.IdleSessionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.meter_service.middleware.ReferenceScopeMiddleware",
    # Last: runs the view again when MariaDB/Galera rolled its transaction back on a conflict.
    "apps.meter_service.core.db_retry.RetryOnConflictMiddleware",
]

ROOT_URLCONF = "sites.urls"
WSGI_APPLICATION = "sites.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The app's templates come before unfold's so the desk can override its pages.
        "DIRS": [BASE_DIR / "apps" / "meter_service" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # {{ CSP_NONCE }}: the request's nonce, for the few inline <script>/<style>.
                "csp.context_processors.nonce",
            ],
        },
    },
]


def _database(url: str) -> dict[str, Any]:
    db: dict[str, Any] = {**dj_database_url.parse(url, conn_max_age=60)}
    if db["ENGINE"] == "django.db.backends.mysql":
        # Counts commits, for the conflict retry (apps/meter_service/core/db_retry.py).
        db["ENGINE"] = "apps.meter_service.backends.mysql"
        db["OPTIONS"] = {
            "charset": "utf8mb4",
            "init_command": "SET sql_mode='STRICT_TRANS_TABLES', innodb_strict_mode=1",
            "isolation_level": "read committed",
            # A frozen or unreachable server must not freeze the site and /health/: give
            # up connecting after a few seconds, and on a read or write that hangs.
            "connect_timeout": int(METER_SERVICE["DATABASE_CONNECT_TIMEOUT_SECONDS"]),
            "read_timeout": int(METER_SERVICE["DATABASE_READ_TIMEOUT_SECONDS"]),
            "write_timeout": int(METER_SERVICE["DATABASE_WRITE_TIMEOUT_SECONDS"]),
        }
        db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        # A kept connection is checked before a request reuses it: behind HAProxy the node
        # it was made to may have gone, and the request then connects to the next one.
        db["CONN_HEALTH_CHECKS"] = True
    elif db["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers and the single writer work together; IMMEDIATE takes the write
        # lock at BEGIN so two writers queue instead of failing mid-transaction, and they
        # queue on a lock file rather than in SQLite's busy sleeps (see the backend).
        db["ENGINE"] = "apps.meter_service.backends.sqlite3"
        # Connections are kept (conn_max_age above): the last connection to close checkpoints
        # the WAL into the database file and syncs it, which a connection per request would
        # do on most requests of a quiet site.
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
        # Tests run in memory, as Django's default; said outright so that pytest-xdist's
        # per-worker renaming (which only knows Django's own engine name) leaves it alone.
        db["TEST"] = {"NAME": ":memory:"}
    return db


DATABASES = {"default": _database(SITE_CONFIG["database_url"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL: str = SITE_CONFIG.get("redis_url") or ""
# Redis behind Sentinel: every client (cache, sessions, the scheduler's lock, the job queues,
# /health/) asks the sentinels for the current master, and again after a failover, so the
# site follows a promoted replica without a restart. The URL then gives only the database
# number and password; its host is not used.
REDIS_SENTINELS: list[tuple[str, int]] = [
    (host, int(port))
    for host, port in (item.rsplit(":", 1) for item in SITE_CONFIG.get("redis_sentinels") or [])
]
REDIS_SENTINEL_MASTER: str = SITE_CONFIG.get("redis_sentinel_master") or "mymaster"
if REDIS_SENTINELS and not REDIS_URL:
    REDIS_URL = f"redis://{REDIS_SENTINEL_MASTER}/0"
# Every Redis client of the site (cache, sessions, the scheduler's lock, the job queues)
# gives up on a Redis that does not connect or answer: a frozen Redis must not freeze them.
REDIS_TIMEOUTS = {
    "socket_connect_timeout": float(METER_SERVICE["REDIS_CONNECT_TIMEOUT_SECONDS"]),
    "socket_timeout": float(METER_SERVICE["REDIS_TIMEOUT_SECONDS"]),
}


def _with_redis_timeouts(url: str) -> str:
    """The URL with the timeouts as query arguments (how django_rq passes them to redis-py);
    arguments the URL already has are kept."""
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(url)
    query = {key: str(value) for key, value in REDIS_TIMEOUTS.items()}
    query.update(parse_qsl(parts.query))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _rq_connection() -> dict[str, Any]:
    """How django_rq connects: the URL, or the sentinels (its SENTINELS configuration)."""
    if not REDIS_SENTINELS:
        return {"URL": _with_redis_timeouts(REDIS_URL or "redis://127.0.0.1:6379/0")}
    from redis.connection import parse_url

    parsed = parse_url(REDIS_URL)
    return {
        "SENTINELS": REDIS_SENTINELS,
        "MASTER_NAME": REDIS_SENTINEL_MASTER,
        "DB": parsed.get("db", 0),
        "PASSWORD": parsed.get("password"),
        "USERNAME": parsed.get("username"),
        "SOCKET_TIMEOUT": REDIS_TIMEOUTS["socket_timeout"],
        "CONNECTION_KWARGS": {"socket_connect_timeout": REDIS_TIMEOUTS["socket_connect_timeout"]},
        "SENTINEL_KWARGS": dict(REDIS_TIMEOUTS),
    }


CACHES: dict[str, dict[str, Any]]
if REDIS_URL:
    # A Redis outage is a cache miss (ResilientRedisCache), bounded by short timeouts.
    CACHES = {
        "default": {
            "BACKEND": "apps.meter_service.backends.redis_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"meter:{SITE_NAME}",
            "OPTIONS": dict(REDIS_TIMEOUTS),
        }
    }
    if REDIS_SENTINELS:
        CACHES["default"]["OPTIONS"].update(
            sentinels=REDIS_SENTINELS, sentinel_master=REDIS_SENTINEL_MASTER
        )
    # Sessions are written to the database too and read from Redis first: a Redis restart
    # or outage signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Background jobs: RQ on Redis when configured; otherwise jobs run in-process after commit
# (see apps/meter_service/jobs.py), so the embedded site needs no Redis.
RQ_QUEUES = {
    # The worker raises the answer timeout of its own connection above its blocking wait.
    name: {**_rq_connection(), "DEFAULT_TIMEOUT": 600}
    for name in ("default", "notifications")
}
METER_JOBS_ASYNC = bool(REDIS_URL)
# The worker's children (RQ's scheduler, each job's work horse) end when it is killed.
# Its job class runs a job again when MariaDB/Galera rolled it back on a conflict.
RQ = {
    "WORKER_CLASS": "apps.meter_service.rq_worker.Worker",
    "JOB_CLASS": "apps.meter_service.rq_worker.Job",
}
# Each user's roles kept in the cache between requests (see permissions.py). Only with a
# cache every process shares: a change of roles must reach every worker at once.
METER_ROLES_CACHE = bool(REDIS_URL)
# The reference data each filing reads (process version, holidays, fee tariffs) kept in each
# worker, checked against a generation in that shared cache (see reference_data.py).
METER_REFERENCE_CACHE = bool(REDIS_URL)
# After the claim events that make a document (filed, paid, tested, correction approved), a
# job prints its PDF ahead and stores it (doctype/printout); the next download serves it.
METER_PRINT_AHEAD = True

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "apps" / "meter_service" / "locale"]
TIME_ZONE = "Asia/Tehran"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "meter_language"
# Persian decimals with "٫" wherever Django localizes a number (apps/meter_service/formats/fa).
FORMAT_MODULE_PATH = ["apps.meter_service.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / ".static"
# Front-end packages come from the npm registry through package-lock.json (scripts/setup);
# only the files the pages and PDFs use are served (apps/meter_service/staticfiles.py).
_NODE_MODULES = BASE_DIR / "node_modules"
METER_VENDOR_FILES = {
    "vendor/vazirmatn": (
        _NODE_MODULES / "vazirmatn",
        [
            "OFL.txt",
            # The four weights fonts.css declares, with Latin and with Persian digits.
            *(
                f"{folder}/webfonts/Vazirmatn{digits}-{weight}.woff2"
                for folder, digits in (("fonts", ""), ("misc/Farsi-Digits/fonts", "-FD"))
                for weight in ("Regular", "Medium", "SemiBold", "Bold")
            ),
            # The PDFs' (WeasyPrint) fonts.
            *(
                f"{folder}/ttf/Vazirmatn{digits}-{weight}.ttf"
                for folder, digits in (("fonts", ""), ("misc/Farsi-Digits/fonts", "-FD"))
                for weight in ("Regular", "Bold")
            ),
        ],
    ),
    "vendor/bpmn-js": (
        _NODE_MODULES / "bpmn-js" / "dist",
        [
            "bpmn-navigated-viewer.production.min.js",
            "bpmn-modeler.production.min.js",
            "assets/*",
        ],
    ),
    # The process studio's form designer (engine/studio_page.py, engine/form_schema.py).
    "vendor/form-js": (
        _NODE_MODULES / "@bpmn-io" / "form-js" / "dist",
        [
            "form-editor.umd.js",
            "assets/form-js.css",
            "assets/form-js-editor.css",
            "assets/properties-panel.css",
        ],
    ),
    # The process studio's decision-table editor (engine/studio_page.py).
    "vendor/dmn-js": (
        _NODE_MODULES / "dmn-js" / "dist",
        [
            "dmn-modeler.production.min.js",
            "assets/dmn-js-shared.css",
            "assets/dmn-js-decision-table.css",
            "assets/dmn-js-decision-table-controls.css",
            "assets/dmn-js-drd.css",
            "assets/dmn-js-literal-expression.css",
            "assets/dmn-font/css/dmn.css",
            "assets/dmn-font/font/*",
        ],
    ),
    "vendor/jalalidatepicker": (
        _NODE_MODULES / "@majidh1" / "jalalidatepicker" / "dist",
        ["jalalidatepicker.min.js", "jalalidatepicker.min.css"],
    ),
}
METER_STATIC_SKIP_APPS = ["helpdesk"]
METER_STATIC_SKIP_PATHS = ["*.map", "drf_spectacular_sidecar/redoc/*"]
STATICFILES_FINDERS = [
    "apps.meter_service.staticfiles.AppFilesFinder",
    "apps.meter_service.staticfiles.VendorFilesFinder",
]
STORAGES = {
    # Uploads, imports and every other file: the site's files folder or an object store
    # (site_config.json files_backend; sites/siteconfig.py file_storage).
    "default": file_storage(SITE_CONFIG, SITE_NAME),
    "staticfiles": {
        "BACKEND": "apps.meter_service.staticfiles.IncrementalCompressedStaticFilesStorage"
    },
}
MEDIA_ROOT = SITE_DIR / "files"
MEDIA_URL = "/files/"
# Uploads are readable by the service's own account only (served by files.py).
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# /health/ shows its checks' details to a probe on the machine itself, or to one that
# sends this token (X-Health-Token header or ?token=); others read only the status.
METER_HEALTH_TOKEN = SITE_CONFIG.get("health_token", "")
# Who sends an authorised upload (apps/meter_service/files.py): "" the web process,
# "x-accel-redirect" nginx (an internal location at METER_FILES_INTERNAL_URL aliased to the
# site's files folder), "x-sendfile" Apache's mod_xsendfile.
METER_FILES_SENDFILE = SITE_CONFIG.get("files_sendfile", "")
METER_FILES_INTERNAL_URL = SITE_CONFIG.get("files_internal_url", "/_protected_files/")
# On an object store: 0 streams a file through the web process; N > 0 answers the authorised
# request with a redirect to a presigned link that lives N seconds (the bucket stays private).
METER_FILES_PRESIGNED_SECONDS = presigned_seconds(SITE_CONFIG)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Request bodies (apps/meter_service/middleware.py RequestSizeMiddleware): endpoints that take
# no file at most 64 KB; the others at most the largest import file and its form.
METER_SMALL_REQUEST_PATHS = [
    "/portal/login/",
    "/portal/status/",
    "/office/login/",
    "/desk/login/",
    "/pay/callback/",
    "/i18n/",
    "/health/",
]
METER_SMALL_REQUEST_BYTES = 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

AUTHENTICATION_BACKENDS = ["apps.meter_service.auth_backend.RoleBackend"]
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.meter_service.api.auth.HashedTokenAuthentication",
        "apps.meter_service.api.auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "apps.meter_service.api.exceptions.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Meter service API",
    "DESCRIPTION": (
        "Meter test claims for agencies, counter offices, subscribers and the IVR; complaints "
        "from subscribers and the national complaints system (3194). "
        # A code span: Swagger UI renders the description as Markdown with HTML, where a bare
        # <key> is taken for a tag and vanishes.
        "Programs authenticate with `Authorization: Token <key>` (`manage.py issue_api_token`). "
        "Messages are in Persian unless ?lang=en or Accept-Language: en asks for English. "
        'Every error is {"message": ..., "extra": {...}}. '
        "Lists come a page at a time (limit, default 20, at most 100): follow each page's "
        "`next` link until it is null. `count` is exact when `count_exact` is true; on a long "
        "list counting stops 1,000 items past the offset and `count_exact` is false (there "
        "are more than `count`)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Claims and complaints both have a status and a channel, with different choices; the
    # claims' keep the names they had before complaints came.
    "ENUM_NAME_OVERRIDES": {
        "StatusEnum": "apps.meter_service.doctype.claim.models.ClaimStatus.choices",
        "ChannelEnum": "apps.meter_service.doctype.claim.models.Channel.choices",
        "ComplaintStatusEnum": "apps.meter_service.doctype.complaint.serializers.STATUS_CHOICES",
        "ComplaintChannelEnum": (
            "apps.meter_service.doctype.complaint.models.ComplaintChannel.choices"
        ),
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "apps.meter_service.core.logs.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.server": {"level": "WARNING"},
        # SpiffWorkflow logs every task state change at INFO; the audit trail has the steps.
        "spiff": {"level": "WARNING"},
        "rq.worker": {"level": "INFO"},
    },
}

if not DEBUG:
    SESSION_COOKIE_HTTPONLY = True
    CSRF_COOKIE_HTTPONLY = False
    X_FRAME_OPTIONS = "DENY"  # no page of the site is framed, by itself or anyone

# Behind the reverse proxy (TLS): the proxies whose X-Forwarded-For is believed (addresses
# or networks; apps/meter_service/core/client_address.py), and the site's public URL, which
# `new_site --https-host NAME` writes. With an https public URL the proxy's
# X-Forwarded-Proto marks requests secure, cookies are secure, HSTS is sent, plain HTTP is
# redirected (but /health/, which local probes call directly), and the bank is given
# callback URLs on the public address.
METER_TRUSTED_PROXIES = list(SITE_CONFIG.get("trusted_proxies", []))
METER_PUBLIC_URL = str(SITE_CONFIG.get("public_url", "")).rstrip("/")
if METER_PUBLIC_URL.startswith("https://"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(SITE_CONFIG.get("hsts_seconds", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    if METER_PUBLIC_URL not in CSRF_TRUSTED_ORIGINS:
        CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, METER_PUBLIC_URL]
    # Joining the browsers' preload list is the operator's decision, not a default.
    SILENCED_SYSTEM_CHECKS = ["security.W021"]

# The largest request body any endpoint takes: an import file and its form.
METER_MAX_REQUEST_BYTES = max(
    12 * 1024 * 1024, int(METER_SERVICE["IMPORT_MAX_FILE_BYTES"]) + 2 * 1024 * 1024
)

# django-helpdesk: no teams (pinax), no webhooks, no mail polling; ticket pages are ours.
HELPDESK_TEAMS_MODE_ENABLED = False
HELPDESK_ENABLE_PER_QUEUE_STAFF_PERMISSION = False
HELPDESK_PUBLIC_ENABLED = False
HELPDESK_KB_ENABLED = False

# SMS provider (Kavenegar's REST API), named in site_config.json under "sms", e.g.
# {"BASE_URL": "https://api.kavenegar.com", "API_KEY": "...", "SENDER": "..."}. Without one
# the site has no provider: messages are held (queued) until one is configured, and /health/
# and the desk say so. Only the demo site (setup_site --demo) names the local fake
# (manage.py fake_providers).
# Retries are the outbox's (OUTBOX_RETRY_* rule settings), as for every job.
METER_SMS = {
    **SITE_CONFIG.get("sms", {}),
    "TIMEOUT": METER_SERVICE["SMS_TIMEOUT_SECONDS"],  # an old "TIMEOUT" here is read into it
}

# Online payment gateway (ZarinPal's v4 REST protocol, amounts sent in Rial), named in
# site_config.json under "gateway", e.g. {"BASE_URL": "https://payment.zarinpal.com",
# "MERCHANT_ID": "..."}. Without one, online payment is refused as not set up; only the demo
# site names the local fake.
METER_GATEWAY = {
    **SITE_CONFIG.get("gateway", {}),
    "TIMEOUT": METER_SERVICE["GATEWAY_TIMEOUT_SECONDS"],  # an old "TIMEOUT" here is read into it
}

# The support mailbox complainants reply to, named in site_config.json under "mail_in", e.g.
# {"ADDRESS": "support@example.ir", "HOST": "imap.example.ir", "PORT": 993, "SSL": true,
# "USER": "...", "PASSWORD": "...", "MAILBOX": "INBOX", "INBOUND_SECRET": "..."}
# (integrations/mail/imap.py). ADDRESS is the Reply-To of emails to complainants; HOST is
# polled for replies (jobs.complaint_mail_poll); INBOUND_SECRET opens /mail/inbound/ to a
# provider that pushes mail instead.
METER_MAIL_IN: dict[str, Any] = dict(SITE_CONFIG.get("mail_in", {}))

# Content-Security-Policy of every page (apps/meter_service/content_security.py; the
# middleware adds METER_GATEWAY's origin to form-action, where the portal sends the payer).
# SECURITY.md says what each area allows and why.
CONTENT_SECURITY_POLICY = site_policy()

DEMO_PASSWORD = SITE_CONFIG.get("demo_password", "")

# Email to staff (service-level warnings and escalations). The embedded site writes mail to
# the console log; a site names its SMTP server in site_config.json under "email", e.g.
# {"host": "mail.example.ir", "port": 587, "user": "...", "password": "...", "tls": true}.
_EMAIL = SITE_CONFIG.get("email", {})
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if _EMAIL.get("host")
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_HOST = _EMAIL.get("host", "localhost")
EMAIL_PORT = int(_EMAIL.get("port", 25))
EMAIL_HOST_USER = _EMAIL.get("user", "")
EMAIL_HOST_PASSWORD = _EMAIL.get("password", "")
EMAIL_USE_TLS = bool(_EMAIL.get("tls", False))
DEFAULT_FROM_EMAIL = _EMAIL.get("from", "meter-service@localhost")
FIXTURE_DIRS = [BASE_DIR / "fixtures"]
SHARED_DATA_DIR: Path = BASE_DIR / "fixtures" / "data"


class _PeriodicJob(TypedDict):
    path: str
    every_seconds: int
    queue: NotRequired[str]  # "default" unless named


# Jobs the scheduler process enqueues on RQ, with their intervals.
METER_PERIODIC_JOBS: list[_PeriodicJob] = [
    {"path": "apps.meter_service.jobs.heartbeat", "every_seconds": 60},
    # The process's timers: payment deadlines, access waits, SLA warnings and escalations.
    {"path": "apps.meter_service.jobs.process_run_timers", "every_seconds": 60},
    {"path": "apps.meter_service.jobs.sla_refresh_states", "every_seconds": 300},
    # Complaints past their SLA are escalated; resolved ones left unanswered are closed.
    {"path": "apps.meter_service.jobs.complaints_run_timers", "every_seconds": 300},
    {"path": "apps.meter_service.jobs.dashboard_refresh", "every_seconds": 240},
    # SMS held while the site named no provider go out once it names one.
    {"path": "apps.meter_service.jobs.sms_send_held", "every_seconds": 300},
    # Online payments whose callback never came are settled with the bank. (Jobs whose
    # hand-over or worker was lost are the outbox's: the scheduler sweeps it every tick.)
    {"path": "apps.meter_service.jobs.payments_reconcile", "every_seconds": 300},
    # Records that only grow (sign-in codes, their audit, expired sessions), by retention.
    {"path": "apps.meter_service.jobs.records_purge", "every_seconds": 3600},
    # Scheduled reports (saved lists, the dashboard) mailed once a period to each recipient.
    {"path": "apps.meter_service.jobs.scheduled_reports_send", "every_seconds": 300},
    # Replies to complaint emails, from the support mailbox (when the site names one).
    {"path": "apps.meter_service.jobs.complaint_mail_poll", "every_seconds": 120},
]
# A site may run a periodic job more or less often: under "periodic_jobs" in site_config.json,
# seconds by the job's name, e.g. {"payments_reconcile": 60, "records_purge": 600}.
_PERIODIC_SECONDS: dict[str, Any] = SITE_CONFIG.get("periodic_jobs", {})
METER_PERIODIC_JOBS = [
    {
        **job,
        "every_seconds": int(
            _PERIODIC_SECONDS.get(job["path"].rsplit(".", 1)[1], job["every_seconds"])
        ),
    }
    for job in METER_PERIODIC_JOBS
]

# The most rows one export of a desk list (or one scheduled report) holds: "list_export_rows"
# in site_config.json (doctype/saved_list/rules.py).
METER_LIST_EXPORT_ROWS = int(SITE_CONFIG.get("list_export_rows", 5000))

# The name authenticator apps show beside the desk's codes (two_factor.py).
OTP_TOTP_ISSUER = f"Meter test service ({SITE_NAME})"
