"""Fixtures of the portal tests: subscribers with portal accounts, scans, a clean cache."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.core.cache import cache

from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.permissions import Role
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401


@pytest.fixture(autouse=True)
def _clean_cache():
    """Start each test with no rate-limit counters left by another."""
    cache.clear()
    yield
    cache.clear()


def link_account(subscriber, user) -> None:
    """Make the user the subscription's portal account (the OTP login does this for real)."""
    Subscriber.objects.filter(pk=subscriber.pk).update(user=user)
    subscriber.refresh_from_db()


@pytest.fixture
def subscriber_user(make_user, installed):
    """The portal account of the installed subscription."""
    user = make_user(Role.SUBSCRIBER)
    link_account(installed.subscriber, user)
    return user


@pytest.fixture
def portal_client(client, subscriber_user):
    client.force_login(subscriber_user)
    return client


def png_bytes(padding: int = 0) -> bytes:
    """Return a real 1x1 PNG, optionally padded with a text chunk to a given extra size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    chunks = [chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(b"\x00\x00"))]
    if padding:
        chunks.append(chunk(b"tEXt", b"pad\x00" + b"x" * padding))
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks) + chunk(b"IEND", b"")
