"""Fixtures for the operations tests: Redis-backed queues and throwaway sites."""

from __future__ import annotations

import shutil
import uuid

import pytest
from django.conf import settings

from sites import siteconfig
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401


@pytest.fixture
def redis_url():
    """The site's Redis URL; skips the test on a site without Redis (the SQLite run)."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis: set METER_REDIS_URL")
    return settings.REDIS_URL


@pytest.fixture
def rq_queue(redis_url, monkeypatch):
    """A queue of its own on the site's Redis, known to django_rq, emptied afterwards."""
    import django_rq
    import django_rq.settings

    name = f"ops-test-{uuid.uuid4().hex[:10]}"
    monkeypatch.setitem(django_rq.settings.QUEUES, name, {"URL": redis_url, "DEFAULT_TIMEOUT": 60})
    queue = django_rq.get_queue(name, commit_mode="auto")
    yield queue
    queue.delete(delete_jobs=True)


@pytest.fixture
def new_site_name():
    """A unique site name; its folder under sites/ is removed afterwards."""
    name = f"ops_{uuid.uuid4().hex[:10]}"
    yield name
    shutil.rmtree(siteconfig.site_dir(name), ignore_errors=True)
