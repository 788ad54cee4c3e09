"""Claims filed at the same moment by different subscribers, in threads: all are filed.

On MariaDB this deadlocked: each filing's new process instance takes a shared lock on the
process version's row (its foreign key), and the FOR UPDATE that marks the claim paid (a fee
on the next bill) went through a join that asked for an exclusive lock on the same row.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.meter_service.core.identifiers import build_payment_id
from apps.meter_service.doctype.claim.models import Claim, ClaimStatus
from apps.meter_service.doctype.claim.services import claim_file
from apps.meter_service.doctype.meter.services import meter_install
from tests.conftest import claim_fields
from tests.db_locks import retry_while_locked

FILINGS = 4
ROUNDS = 3


@pytest.fixture
def no_jobs(monkeypatch):
    """Keep the claims' SMS jobs out of this test."""
    monkeypatch.setattr(
        "apps.meter_service.doctype.outbox.services.outbox_add", lambda *args, **kwargs: None
    )


@pytest.mark.django_db(transaction=True)
def test_simultaneous_filings_are_all_filed(tariffs, make_subscriber, make_meter, no_jobs):
    import datetime

    subscribers = []
    for _ in range(FILINGS * ROUNDS):
        subscriber = make_subscriber()
        meter_install(
            subscriber=subscriber,
            meter=make_meter(),
            installed_on=datetime.date(2022, 3, 21),
            initial_reading=Decimal("100"),
        )
        subscribers.append(subscriber)
    errors: list[Exception] = []

    def file(subscriber, start: threading.Barrier) -> None:
        bill = subscriber.bill_id
        fields = claim_fields(
            payment_method="next_bill",  # paid at once: the process gets its message
            last_bill_id=bill,
            last_payment_id=build_payment_id(bill, 2_350_000, 5, 6),
        )
        try:
            start.wait(timeout=10)
            retry_while_locked(lambda: claim_file(subscriber=subscriber, **fields), seconds=20)
        except Exception as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connection.close()

    for round_ in range(ROUNDS):
        start = threading.Barrier(FILINGS)
        batch = subscribers[round_ * FILINGS : (round_ + 1) * FILINGS]
        threads = [threading.Thread(target=file, args=(s, start)) for s in batch]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    assert errors == []
    assert Claim.objects.filter(status=ClaimStatus.PAID).count() == FILINGS * ROUNDS
