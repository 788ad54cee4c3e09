"""Service-level clocks in the desk: a read-only list with the live figures and a state filter."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.meter_service.core import tracking
from apps.meter_service.doctype.sla.models import SlaClock, SlaState
from apps.meter_service.doctype.sla.services import sla_clock_start, sla_refresh_states
from apps.meter_service.permissions import Role
from tests.doctype.sla.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def clocks(claim, another_claim):
    sla_clock_start(claim=claim, now=at(2026, 4, 25, 7))
    sla_clock_start(claim=another_claim, now=at(2026, 4, 27, 7))
    # On Mon 27 Apr 09:00 the first has used 18 h (at risk), the second 2 h.
    sla_refresh_states(now=at(2026, 4, 27, 9))
    return claim, another_claim


def test_managers_list_clocks_and_filter_by_state(client, make_user, clocks):
    at_risk, on_track = clocks
    client.force_login(make_user(Role.SYSTEM_ADMIN, is_superuser=True))
    url = reverse("admin:meter_service_slaclock_changelist")
    listing = client.get(url)
    assert listing.status_code == 200
    text = listing.content.decode()
    assert tracking.display(at_risk.tracking_code) in text
    assert tracking.display(on_track.tracking_code) in text
    filtered = client.get(url, {"state__exact": SlaState.AT_RISK}).content.decode()
    assert tracking.display(at_risk.tracking_code) in filtered
    assert tracking.display(on_track.tracking_code) not in filtered
    clock = SlaClock.objects.get(claim=at_risk)
    page = client.get(reverse("admin:meter_service_slaclock_change", args=[clock.pk]))
    assert page.status_code == 200
    assert client.get(reverse("admin:meter_service_slaclock_add")).status_code == 403


def test_clocks_are_not_for_subscribers(client, make_user, clocks):
    client.force_login(make_user(Role.SUBSCRIBER))
    response = client.get(reverse("admin:meter_service_slaclock_changelist"))
    assert response.status_code in (302, 403)
