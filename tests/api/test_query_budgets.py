"""How many statements filing a claim and completing a process step send to the database:
ceilings that fail when a change adds a query (issue 21; benchmarks/filing.py says what
each one is for). Counts, not times: they do not depend on the machine's load.

These tests commit for real (transaction=True): inside a test's transaction every read of
reference data goes to the database, as in a transaction that changed it (reference_data.py).
The counted call runs in a transaction of its own, so the jobs it queues (the SMS, run inline
in the tests) run once that commits, after the count, as a worker would run them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone

from apps.meter_service import permissions, reference_data
from apps.meter_service.doctype.agency.models import Agency
from apps.meter_service.doctype.api_token.models import ApiToken
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.rule_setting.selectors import forget_kept_rules
from apps.meter_service.engine.services import process_complete_task
from apps.meter_service.permissions import Role
from tests.api.conftest import valid_claim_body
from tests.engine.conftest import SCHEDULE, open_task, staff  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)

# With the roles and reference data kept (Redis, as deployed), counting the transaction's
# own two statements. MariaDB locks the subscriber's row too (SQLite has one writer).
LOCKS_SUBSCRIBER = int(connection.features.has_select_for_update)
FILING_CEILING = 16 + LOCKS_SUBSCRIBER
STEP_CEILING = 15
# Without them (the embedded site): the roles, the agencies, the custom fields (read twice),
# the fee tariffs, the process version and the holidays come from the database each time.
FILING_CEILING_UNCACHED = 24 + LOCKS_SUBSCRIBER


@pytest.fixture
def at_most(django_assert_max_num_queries):
    @contextmanager
    def count(ceiling: int) -> Iterator[None]:
        # Its own statements are SAVEPOINT and RELEASE where they would be BEGIN and COMMIT.
        with transaction.atomic(), django_assert_max_num_queries(ceiling):
            yield

    return count


@pytest.fixture
def caches(settings):
    settings.METER_REFERENCE_CACHE = True
    settings.METER_ROLES_CACHE = True
    # Nothing kept by an earlier test (on MariaDB the users' ids come round again).
    cache.delete(reference_data.REFERENCE_GENERATION_KEY)
    cache.delete(permissions.ACCESS_GENERATION_KEY)
    reference_data.forget_local_copies()


@pytest.fixture
def agency_client(api, make_user, tariffs):
    user = make_user(Role.AGENCY_CLIENT, username="agency-client")
    Agency.objects.create(code="tax-portal", name="درگاه دولت").users.add(user)
    return api(user)


def _body(install) -> dict:
    """A claim's body, ready to file, and the token just used (its last use is written once
    a minute: not in the counted call, however slow the machine)."""
    ApiToken.objects.update(last_used_at=timezone.now())
    subscriber = install().subscriber
    return valid_claim_body(
        subscriber, bill_id=subscriber.bill_id, national_id=subscriber.national_id
    )


def _file(client, body: dict) -> dict:
    response = client.post("/api/v1/claims/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def _warm_up() -> None:
    """Make the first call of the test read what the workers then keep. Without it, the
    rule settings kept (for a second, unchecked) from before the fixtures changed reference
    data were used by the first call, and the counted call a second later, on a slow
    machine, found them stale and read them again: one statement more, now and then."""
    forget_kept_rules()


def test_filing_a_claim(caches, agency_client, install, at_most):
    _warm_up()
    _file(agency_client, _body(install))  # the first one reads what the workers then keep
    body = _body(install)
    with at_most(FILING_CEILING):
        assert _file(agency_client, body)["status"] == "paid"


def test_filing_a_claim_without_the_caches(settings, agency_client, install, at_most):
    settings.METER_REFERENCE_CACHE = settings.METER_ROLES_CACHE = False
    _file(agency_client, _body(install))
    body = _body(install)
    with at_most(FILING_CEILING_UNCACHED):
        assert _file(agency_client, body)["status"] == "paid"


def test_completing_a_step(caches, make_claim, install, staff, at_most):  # noqa: F811
    technician = staff["technician"]
    first, second = (
        claim_mark_paid(claim=make_claim(install()), reference="test") for _claim in range(2)
    )
    _warm_up()
    process_complete_task(  # the first one reads what the workers then keep
        task_id=open_task(first, "Task_schedule").task_id, user=technician, data=SCHEDULE
    )
    task = open_task(second, "Task_schedule")
    with at_most(STEP_CEILING):
        done = process_complete_task(task_id=task.task_id, user=technician, data=SCHEDULE)
    assert done.completed_at is not None and done.completed_by == technician
    assert done.data == {**SCHEDULE, "visit_date": "2026-12-01"}


def test_a_request_reads_the_reference_generation_once(caches, agency_client, install, monkeypatch):
    """ReferenceScopeMiddleware: a filing reads agencies, custom fields, rule settings,
    tariffs, the process version and holidays with one cache round trip (it was three); a
    request that reads no reference data pays none, and each request checks again."""
    reads: list[bool] = []
    read_generation = reference_data._generation

    def spy() -> str:
        reads.append(connection.in_atomic_block)
        return read_generation()

    monkeypatch.setattr(reference_data, "_generation", spy)
    for _ in range(2):
        body = _body(install)
        forget_kept_rules()  # read through the generation too, as after a second
        reads.clear()
        _file(agency_client, body)
        assert reads == [False]  # once, and before the filing's transaction
    reads.clear()
    assert agency_client.get("/health/").status_code == 200
    assert reads == []
