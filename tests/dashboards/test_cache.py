"""The dashboard's figures kept in the cache: reused until they expire, the default view
recomputed by the scheduler's job, the page saying when they were computed."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.urls import reverse

from apps.meter_service import jobs
from apps.meter_service.dashboards import selectors
from apps.meter_service.dashboards.forms import default_filter
from apps.meter_service.permissions import Role
from tests.dashboards.conftest import RANGE, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "DASHBOARD_CACHE_SECONDS": 300}
    cache.clear()
    yield
    cache.clear()


def _claims(d) -> int:
    return sum(row["count"] for row in d.figures["claims_by_status"])


def test_figures_are_reused_until_refreshed(cached, data):
    first, computed_at = selectors.dashboard_cached(RANGE)
    assert _claims(first) == 11
    from apps.meter_service.doctype.claim.models import Claim

    Claim.objects.filter(pk=data["claims"]["C1"].pk).update(filed_at=local(1, 1, 10, year=2023))
    again, again_at = selectors.dashboard_cached(RANGE)
    assert (_claims(again), again_at) == (11, computed_at)
    fresh, fresh_at = selectors.dashboard_cached(RANGE, refresh=True)
    assert _claims(fresh) == 10 and fresh_at > computed_at
    # Another filter has its own entry.
    other = selectors.dashboard_cached(default_filter())[0]
    assert other.filter == default_filter()


def test_without_caching_every_view_computes(data, settings):
    assert selectors.cache_seconds() == 0  # the suite's default
    first, _at = selectors.dashboard_cached(RANGE)
    from apps.meter_service.doctype.claim.models import Claim

    Claim.objects.filter(pk=data["claims"]["C1"].pk).update(filed_at=local(1, 1, 10, year=2023))
    assert _claims(selectors.dashboard_cached(RANGE)[0]) == _claims(first) - 1


def test_the_scheduler_warms_the_default_view(
    cached, client, make_user, django_assert_max_num_queries
):
    computed_at = jobs.dashboard_refresh()["as_of"]
    client.force_login(make_user(Role.SERVICE_MANAGER))
    # The page reads the figures from the cache: only the session, the user, the filter's
    # lists of offices and cities, and the sidebar's queries remain.
    with django_assert_max_num_queries(15):
        response = client.get(reverse("dashboards:page"))
    assert response.status_code == 200
    assert response.context["now"].isoformat() == computed_at
