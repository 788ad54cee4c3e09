"""Per-site configuration: sites/<name>/site_config.json, overridden by environment variables.

A site is one deployment (one database, one files folder). The embedded default site runs on
SQLite without Redis; a production site names MariaDB and Redis in its config or environment.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
from typing import Any

SITES_DIR = Path(__file__).resolve().parent
BASE_DIR = SITES_DIR.parent

# Environment variables that override a key of site_config.json, for Procfile and CI use.
ENV_OVERRIDES = {
    "METER_DATABASE_URL": "database_url",
    "METER_REDIS_URL": "redis_url",
    "METER_SECRET_KEY": "secret_key",
    "METER_DEBUG": "debug",
    "METER_ALLOWED_HOSTS": "allowed_hosts",
    # The object store's keys stay out of site_config.json when the environment gives them.
    "METER_S3_ACCESS_KEY": "s3_access_key",
    "METER_S3_SECRET_KEY": "s3_secret_key",
}

# Where a site keeps its files (site_config.json "files_backend"): the files folder of the
# site, or an S3-compatible object store (AWS, MinIO, Ceph RGW) through django-storages.
FILES_LOCAL = "local"
FILES_S3 = "s3"
FILES_BACKENDS = (FILES_LOCAL, FILES_S3)
S3_STORAGE = "apps.meter_service.core.storage.PrivateS3Storage"


def _test_worker() -> str:
    """The pytest-xdist worker (gw0, gw1, ...) whose copy of the test run's site is active.

    Under pytest-xdist the test run's site (scripts/test names it in
    METER_SITE_PER_TEST_WORKER) is one per worker: `<site>-gw0` with its own config and
    files folder, and the environment's Redis database plus the worker's number, so two
    workers never read or clear each other's files, queues or locks. A test that points a
    process at another site (METER_SITE=<new site>) gets that site, and its Redis, as given.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    per_worker = os.environ.get("METER_SITE_PER_TEST_WORKER")
    if worker.startswith("gw") and os.environ.get("METER_SITE", "default") == per_worker:
        return worker
    return ""


def site_name() -> str:
    """Return the active site's name."""
    name = os.environ.get("METER_SITE", "default")
    worker = _test_worker()
    return f"{name}-{worker}" if worker else name


def worker_redis_url(url: str) -> str:
    """The test worker gwN's Redis database: the given one + N (see `_test_worker`)."""
    worker = _test_worker()
    match = re.fullmatch(r"(redis://[^/]+)/(\d+)", url)
    if not worker or not match:
        return url
    return f"{match[1]}/{int(match[2]) + int(worker[2:])}"


def site_dir(name: str | None = None) -> Path:
    """Return the folder holding a site's config, database (SQLite) and uploaded files."""
    return SITES_DIR / (name or site_name())


def default_config(name: str) -> dict[str, Any]:
    """Return the config of a fresh embedded site: SQLite in the site folder, no Redis."""
    return {
        "database_url": f"sqlite:///{site_dir(name) / 'db.sqlite3'}",
        "redis_url": "",
        "secret_key": secrets.token_urlsafe(50),
        "debug": False,
        "allowed_hosts": ["127.0.0.1", "localhost"],
        "demo_password": "demo-1403",
    }


def write_config(name: str, config: dict[str, Any], folder: Path | None = None) -> Path:
    """Write a site's config file, creating the site folder and its files folder.

    The folder holds the secret key, a SQLite database and the uploads (scans, national
    IDs): only the service's own account may read it (0700; the config file 0600). `folder`
    puts the site somewhere else first (a restore builds it aside, then moves it in).
    """
    folder = folder or site_dir(name)
    (folder / "files").mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    (folder / "files").chmod(0o700)
    path = folder / "site_config.json"
    path.write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def load_config(name: str | None = None) -> dict[str, Any]:
    """Return the site's config, created with defaults the first time, with env overrides."""
    name = name or site_name()
    path = site_dir(name) / "site_config.json"
    config: dict[str, Any]
    if path.exists():
        config = json.loads(path.read_text(encoding="utf-8"))
    else:
        config = default_config(name)
        write_config(name, config)
    for env_name, key in ENV_OVERRIDES.items():
        if env_name in os.environ:
            config[key] = os.environ[env_name]
    if "METER_REDIS_URL" in os.environ:
        # The test run's Redis: each pytest-xdist worker keeps its queues and locks apart.
        config["redis_url"] = worker_redis_url(config["redis_url"])
    if isinstance(config.get("debug"), str):
        config["debug"] = config["debug"].lower() in {"1", "true", "yes", "on"}
    if isinstance(config.get("allowed_hosts"), str):
        config["allowed_hosts"] = [h.strip() for h in config["allowed_hosts"].split(",") if h]
    return config


def file_storage(
    config: dict[str, Any], name: str, files_folder: Path | None = None
) -> dict[str, Any]:
    """Return the STORAGES["default"] entry for a site's config.

    Local files live in the site's files folder (MEDIA_ROOT unless `files_folder` is given).
    On S3 every site keeps its objects under its own prefix (`s3_location`, default the site's
    name), so several sites may share one bucket; the bucket itself must stay private: files
    are only ever served through the app's authorised view (apps/meter_service/files.py).
    """
    backend = config.get("files_backend") or FILES_LOCAL
    if backend == FILES_LOCAL:
        options: dict[str, int | str] = {
            "file_permissions_mode": 0o600,
            "directory_permissions_mode": 0o700,
        }
        if files_folder is not None:
            options["location"] = str(files_folder)
        return {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": options}
    if backend != FILES_S3:
        raise ValueError(f"files_backend must be one of {FILES_BACKENDS}, not {backend!r}")
    if not config.get("s3_bucket"):
        raise ValueError("files_backend s3 needs s3_bucket in the site config")
    return {
        "BACKEND": S3_STORAGE,
        "OPTIONS": {
            "bucket_name": config["s3_bucket"],
            "endpoint_url": config.get("s3_endpoint") or None,
            "region_name": config.get("s3_region") or None,
            "access_key": config.get("s3_access_key") or None,
            "secret_key": config.get("s3_secret_key") or None,
            "location": config.get("s3_location", name),
            # MinIO and Ceph answer at one host; AWS accepts path style too.
            "addressing_style": config.get("s3_addressing_style") or "path",
            "signature_version": "s3v4",
            # A new upload never replaces another's object (as on the file system).
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": presigned_seconds(config) or 60,
        },
    }


def presigned_seconds(config: dict[str, Any]) -> int:
    """How long a presigned link to a file lives; 0: the app streams the file itself."""
    return int(config.get("files_presigned_seconds") or 0)
