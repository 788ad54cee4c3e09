"""The test run uses the database and Redis the environment names (so CI's MariaDB run is one)."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.db import connection

from sites import siteconfig


@pytest.mark.django_db
def test_the_database_is_the_one_in_meter_database_url():
    url = os.environ.get("METER_DATABASE_URL", "")
    expected = "mysql" if url.startswith("mysql://") else "sqlite"
    if url and not url.startswith(("mysql://", "sqlite:")):
        pytest.skip(f"unexpected METER_DATABASE_URL scheme: {url.split(':', 1)[0]}")
    assert connection.vendor == expected
    if expected == "mysql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@character_set_database, @@collation_database, VERSION()")
            charset, collation, version = cursor.fetchone()
        assert (charset, collation) == ("utf8mb4", "utf8mb4_unicode_ci")
        assert "MariaDB" in version


def test_redis_is_the_one_in_meter_redis_url():
    # Under pytest-xdist, the worker's own database of that Redis (sites/siteconfig.py).
    given = os.environ.get("METER_REDIS_URL", settings.REDIS_URL)
    assert siteconfig.worker_redis_url(given) == settings.REDIS_URL
    if settings.REDIS_URL:
        assert settings.METER_JOBS_ASYNC
        assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
