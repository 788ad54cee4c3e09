"""The API shows a claim's contact mobile masked to the desk roles that do not need it, as
the desk does (privacy.shown)."""

from __future__ import annotations

import pytest

from apps.meter_service import privacy
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.TECHNICIAN, Role.EMERGENCY_CREW])
def test_field_roles_read_the_contact_mobile_masked(api, world, role):
    claim = world.claims["a"]
    response = api(world.users[role]).get(f"/api/v1/claims/{claim.tracking_code}/")
    assert response.status_code == 200, response.content
    assert response.json()["contact_mobile"] == privacy.mask_mobile(claim.contact_mobile)


@pytest.mark.parametrize(
    "who", ["subscriber_a", "operator_x", Role.SERVICE_DESK_CLERK, Role.CALL_CENTRE_OPERATOR]
)
def test_the_roles_that_need_it_read_it_in_full(api, world, who):
    claim = world.claims["a"] if who != "operator_x" else world.claims["x"]
    response = api(world.users[who]).get(f"/api/v1/claims/{claim.tracking_code}/")
    assert response.status_code == 200, response.content
    assert response.json()["contact_mobile"] == claim.contact_mobile
