"""Fixtures for the payment tests: the fake gateway over real HTTP."""

from __future__ import annotations

import pytest

from tests.integrations.fakes import running_gateway


@pytest.fixture
def fake_gateway(settings):
    """A fresh fake ZarinPal on a free local port; settings.METER_GATEWAY points at it."""
    with running_gateway(settings) as fake:
        yield fake
