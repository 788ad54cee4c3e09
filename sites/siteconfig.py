"""Per-site configuration: sites/<name>/site_config.json, overridden by environment variables.

A site is one deployment (one database, one files folder). The embedded default site runs on
SQLite without Redis; a production site names MariaDB and Redis in its config or environment.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

SITES_DIR = Path(__file__).resolve().parent
BASE_DIR = SITES_DIR.parent

# Environment variables that override a key of site_config.json, for Procfile and CI use.
ENV_OVERRIDES = {
    "METER_DATABASE_URL": "database_url",
    "METER_REDIS_URL": "redis_url",
    "METER_SECRET_KEY": "secret_key",
    "METER_DEBUG": "debug",
    "METER_ALLOWED_HOSTS": "allowed_hosts",
}


def site_name() -> str:
    """Return the active site's name."""
    return os.environ.get("METER_SITE", "default")


def site_dir(name: str | None = None) -> Path:
    """Return the folder holding a site's config, database (SQLite) and uploaded files."""
    return SITES_DIR / (name or site_name())


def default_config(name: str) -> dict:
    """Return the config of a fresh embedded site: SQLite in the site folder, no Redis."""
    return {
        "database_url": f"sqlite:///{site_dir(name) / 'db.sqlite3'}",
        "redis_url": "",
        "secret_key": secrets.token_urlsafe(50),
        "debug": False,
        "allowed_hosts": ["127.0.0.1", "localhost"],
        "demo_password": "demo-1403",
    }


def write_config(name: str, config: dict, folder: Path | None = None) -> Path:
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


def load_config(name: str | None = None) -> dict:
    """Return the site's config, created with defaults the first time, with env overrides."""
    name = name or site_name()
    path = site_dir(name) / "site_config.json"
    if path.exists():
        config = json.loads(path.read_text(encoding="utf-8"))
    else:
        config = default_config(name)
        write_config(name, config)
    for env_name, key in ENV_OVERRIDES.items():
        if env_name in os.environ:
            config[key] = os.environ[env_name]
    if isinstance(config.get("debug"), str):
        config["debug"] = config["debug"].lower() in {"1", "true", "yes", "on"}
    if isinstance(config.get("allowed_hosts"), str):
        config["allowed_hosts"] = [h.strip() for h in config["allowed_hosts"].split(",") if h]
    return config
