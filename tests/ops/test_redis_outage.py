"""With Redis down the site goes on: every API call was an HTML 500 (the roles cache), and a
Redis restart signed everyone out (sessions lived only in Redis)."""

from __future__ import annotations

import pytest
from django.core.cache import caches

from apps.meter_service.backends.redis_cache import ResilientRedisCache
from apps.meter_service.doctype.api_token.services import token_create
from apps.meter_service.permissions import Role
from tests.integrations.fakes import closed_port


@pytest.fixture
def redis_down(settings):
    """The site's cache points at a Redis that does not answer."""
    location = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "apps.meter_service.backends.redis_cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    settings.METER_ROLES_CACHE = True
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield location
    caches["default"].close()


def test_an_outage_is_a_cache_miss(redis_down):
    cache = ResilientRedisCache(redis_down, {"OPTIONS": {"socket_connect_timeout": 0.5}})
    assert cache.get("k") is None and cache.get("k", 7) == 7
    assert cache.get_many(["a", "b"]) == {}
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    cache.delete("k")
    with pytest.raises(ValueError):
        cache.incr("k")


@pytest.mark.django_db
def test_the_api_and_the_desk_answer_with_redis_down(redis_down, client, make_user):
    agency_user = make_user(Role.AGENCY_CLIENT)
    token = token_create(user=agency_user)
    response = client.get("/api/v1/claims/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200, response.content[:300]

    client.force_login(make_user(Role.SERVICE_DESK_CLERK))  # the session is in the database
    assert client.get("/desk/").status_code == 200


@pytest.mark.django_db
def test_with_redis_down_the_limits_still_hold(redis_down, rf, client, settings):
    """The limits against guessing count in the database: an outage does not lift them."""
    from apps.meter_service import login_limits

    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "LOGIN_FAILURES_PER_ACCOUNT": 2,
        "STATUS_LOOKUP_LIMIT": 2,
    }
    request = rf.post("/desk/login/")
    for _ in range(2):
        login_limits.record_failure(request, "clerk")
    assert login_limits.is_locked(request, "clerk") is True
    answers = [
        client.post("/portal/status/", {"code": "1234-5678-90", "mobile_last4": "4567"})
        for _ in range(3)
    ]
    assert [answer.status_code for answer in answers][-1] == 429


@pytest.mark.django_db
def test_with_redis_down_the_reference_data_is_read_from_the_database(redis_down, settings):
    """Copies kept by a worker cannot be told stale while Redis is away: each read goes to
    the database, as on a site without Redis."""
    from apps.meter_service import reference_data

    settings.METER_REFERENCE_CACHE = True
    reference_data._copies["holidays"] = ("old-generation", ["kept before the outage"])
    loads = []

    def load():
        loads.append(1)
        return ["from the database"]

    assert reference_data.reference("holidays", load) == ["from the database"]
    assert reference_data.reference("holidays", load) == ["from the database"]
    assert len(loads) == 2
    assert "holidays" not in reference_data._copies
