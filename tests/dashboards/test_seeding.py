"""seed_scale: the rows it writes agree with each other and give the dashboard its figures."""

from __future__ import annotations

import datetime
import itertools
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone
from helpdesk.models import FollowUp, Queue, Ticket

from apps.meter_service.core import bulk_sql
from apps.meter_service.dashboards import selectors
from apps.meter_service.demo.scale import seed_scale
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.correction.models import BillCorrection
from apps.meter_service.doctype.inspection.models import Inspection, TestPoint
from apps.meter_service.doctype.meter.models import Meter
from apps.meter_service.engine.models import ProcessTask

CLAIMS = 1500
FAULTY = ("fast", "slow", "stopped")


@pytest.fixture
def seeded(roles):
    return seed_scale(claims=CLAIMS, days=120, batch_size=400)


def _open_step(claim_ids: list[int]) -> dict[int, str]:
    return dict(
        ProcessTask.objects.filter(
            instance__claim_id__in=claim_ids, completed_at__isnull=True
        ).values_list("instance__claim_id", "element_id")
    )


def _done_steps(claim_id: int) -> set[str]:
    return set(
        ProcessTask.objects.filter(
            instance__claim_id=claim_id, completed_at__isnull=False
        ).values_list("element_id", flat=True)
    )


def test_the_report_counts_the_rows(seeded):
    assert seeded.claims == Claim.objects.count() == CLAIMS
    assert seeded.inspections == Inspection.objects.count() > 0
    assert seeded.test_points == TestPoint.objects.count() > 0
    assert seeded.corrections == BillCorrection.objects.count() > 0
    assert seeded.corrections_approved == BillCorrection.objects.filter(status="approved").count()
    assert seeded.complaints == Complaint.objects.count() == Ticket.objects.count()


def test_each_tested_claim_has_its_meter_test_with_the_claims_verdict(seeded):
    inspections = {i.claim_id: i for i in Inspection.objects.all()}
    assert len(inspections) == Inspection.objects.count()  # one per claim
    claims = list(Claim.objects.all())
    waiting = _open_step([c.pk for c in claims])
    for claim in claims:
        inspection = inspections.get(claim.pk)
        if claim.status == "closed":
            assert inspection is not None
            assert inspection.verdict == claim.findings["verdict"]
            assert inspection.meter_id == claim.meter_id
            assert inspection.tested_at <= claim.closed_at
            assert inspection.serial_seen == claim.meter.serial
        elif waiting.get(claim.pk) in ("Task_replace", "Task_correction", "Task_approve"):
            assert inspection is not None and inspection.verdict in FAULTY
        else:
            assert inspection is None, (claim.status, waiting.get(claim.pk))
    # Every verdict occurs, and the test step is done when the test is recorded.
    assert {i.verdict for i in inspections.values()} == {*FAULTY, "tampered", "within_tolerance"}
    some = next(iter(inspections.values()))
    assert "Task_test" in _done_steps(some.claim_id)


def test_the_test_points_give_the_verdict(seeded):
    for inspection in Inspection.objects.prefetch_related("points"):
        points = list(inspection.points.all())
        if inspection.verdict in ("stopped", "tampered"):
            assert points == []
            assert inspection.error_percent is None
            assert inspection.stopped == (inspection.verdict == "stopped")
            assert inspection.tampered == (inspection.verdict == "tampered")
            continue
        assert len(points) == 2
        for point in points:
            expected = (
                point.meter_volume_m3 - point.reference_volume_m3
            ) / point.reference_volume_m3
            assert abs(point.error_percent - 100 * expected) < 0.01
        decisive = max(points, key=lambda p: abs(p.error_percent) / p.tolerance_percent)
        assert inspection.error_percent == decisive.error_percent
        assert inspection.mpe == decisive.tolerance_percent
        if inspection.verdict == "within_tolerance":
            assert all(p.within for p in points)
        elif inspection.verdict == "fast":
            assert decisive.error_percent > decisive.tolerance_percent
        else:
            assert decisive.error_percent < -decisive.tolerance_percent


def test_faulty_claims_at_or_past_the_correction_have_one(seeded):
    limit = settings.METER_SERVICE["CORRECTION_APPROVAL_LIMIT_RIAL"]
    corrections = {c.claim_id: c for c in BillCorrection.objects.all()}
    claims = list(Claim.objects.all())
    waiting = _open_step([c.pk for c in claims])
    verdicts = dict(Inspection.objects.values_list("claim_id", "verdict"))
    statuses = Counter()
    for claim in claims:
        correction = corrections.get(claim.pk)
        reached = (claim.status == "closed" and claim.outcome == "faulty") or waiting.get(
            claim.pk
        ) in ("Task_correction", "Task_approve")
        assert (correction is not None) == reached, claim.pk
        if correction is None:
            continue
        statuses[correction.status] += 1
        assert correction.verdict == verdicts[claim.pk]
        # A fast meter over-billed: a credit; a slow or stopped one under-billed: a debit.
        if correction.verdict == "fast":
            assert correction.difference_rial < 0
        else:
            assert correction.difference_rial > 0
        assert correction.window_start < correction.window_end
        if claim.status == "closed":
            assert correction.status == "approved" and correction.approved_at is not None
            by_manager = "Task_approve" in _done_steps(claim.pk)
            assert by_manager == (abs(correction.difference_rial) > limit)
            assert (correction.approved_by_id is not None) == by_manager
        elif waiting[claim.pk] == "Task_approve":
            assert correction.status == "awaiting_approval"
            assert abs(correction.difference_rial) > limit
            assert correction.reviewed_at is not None and correction.approved_at is None
        else:
            assert correction.status == "draft" and correction.reviewed_at is None
    assert statuses["approved"] > 0


def test_complaints_are_tickets_in_the_topic_queues(seeded):
    complaints = list(Complaint.objects.select_related("ticket", "ticket__queue", "claim"))
    assert 0.005 * CLAIMS <= len(complaints) <= 0.04 * CLAIMS
    slugs = set(Queue.objects.values_list("slug", flat=True))
    assert {c.ticket.queue.slug for c in complaints} <= slugs
    about_none = [c for c in complaints if c.claim_id is None]
    assert 0 < len(about_none) < len(complaints) / 2
    for complaint in complaints:
        assert complaint.subscriber_id is not None
        if complaint.claim is not None:
            assert complaint.claim.subscriber_id == complaint.subscriber_id
            assert complaint.filed_at > complaint.claim.filed_at
        answered = complaint.resolved_at is not None
        assert complaint.ticket.status in (
            (Ticket.RESOLVED_STATUS, Ticket.CLOSED_STATUS) if answered else (Ticket.OPEN_STATUS,)
        )
        assert (complaint.channel == "national_system") == (complaint.agency_id is not None)
    assert len({c.tracking_code for c in complaints}) == len(complaints)
    assert len({c.ticket.secret_key for c in complaints}) == len(complaints)
    answered = sum(c.resolved_at is not None for c in complaints)
    assert FollowUp.objects.count() == len(complaints) + answered


def test_the_dashboard_reads_the_seeded_corrections_and_complaints(seeded):
    everything = selectors.DashboardFilter()
    totals = selectors.correction_totals(everything)
    approved = BillCorrection.objects.filter(status="approved")
    assert totals["credit_count"] == approved.filter(verdict="fast").count() > 0
    assert totals["debit_count"] == approved.exclude(verdict="fast").count() > 0
    figure = selectors.complaints_per_thousand(everything)
    assert figure["complaints"] == Complaint.objects.filter(claim__isnull=False).count() > 0
    assert figure["claims"] == CLAIMS


def _digest() -> tuple:
    return (
        sorted(Claim.objects.values_list("tracking_code", "status", "outcome", "channel")),
        sorted(Inspection.objects.values_list("claim__tracking_code", "verdict", "error_percent")),
        sorted(BillCorrection.objects.values_list("claim__tracking_code", "difference_rial")),
        sorted(
            Complaint.objects.values_list(
                "tracking_code", "claim__tracking_code", "ticket__queue__slug", "channel"
            )
        ),
    )


def test_the_same_seed_gives_the_same_rows(roles):
    digests = []
    for _run in range(2):
        with transaction.atomic():
            seed_scale(claims=300, days=60, batch_size=100)
            digests.append(_digest())
            transaction.set_rollback(True)
    assert digests[0] == digests[1]
    assert digests[0][2] and digests[0][3]


def test_the_command_prints_what_it_wrote_and_refuses_a_second_run(roles):
    out = StringIO()
    call_command("seed_scale", claims=200, days=30, stdout=out)
    assert "seeded 200 claims" in out.getvalue()
    assert "meter tests" in out.getvalue() and "complaints" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("seed_scale", claims=10, stdout=StringIO())


def test_seeding_needs_the_topic_queues(roles):
    Queue.objects.all().delete()
    with pytest.raises(ValueError, match="load_fixtures"):
        seed_scale(claims=10, days=10)
    assert not Claim.objects.exists()


# Moments in Tehran's night after midnight (the local day has begun, its office hours have
# not), in the morning's office hours, and after them.
@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 11, 27, 21, 3, tzinfo=datetime.UTC),  # 00:33 on the 28th
        datetime.datetime(2026, 11, 28, 6, 30, tzinfo=datetime.UTC),  # 10:00
        datetime.datetime(2026, 11, 28, 14, 0, tzinfo=datetime.UTC),  # 17:30
    ],
)
def test_nothing_is_seeded_after_the_moment_of_the_run_and_a_meters_claims_never_overlap(
    roles, monkeypatch, moment
):
    monkeypatch.setattr(timezone, "now", lambda: moment)
    seed_scale(claims=200, days=30)
    claims = list(Claim.objects.order_by("filed_at"))
    assert len(claims) == 200
    by_meter: dict[int, list[Claim]] = {}
    for claim in claims:
        by_meter.setdefault(claim.meter_id, []).append(claim)
        assert claim.filed_at <= moment
        assert 7 <= timezone.localtime(claim.filed_at).hour < 16
        end = claim.closed_at or moment
        assert claim.filed_at <= end <= moment
        if claim.paid_at is not None:
            assert claim.filed_at <= claim.paid_at <= end
        assert claim.sla_clock.worked_seconds <= (end - claim.filed_at).total_seconds()
    assert any(len(repeats) > 1 for repeats in by_meter.values())
    for repeats in by_meter.values():
        for earlier, later in itertools.pairwise(repeats):
            assert earlier.closed_at is not None and earlier.closed_at <= later.filed_at
    for inspection in Inspection.objects.select_related("claim"):
        claim = inspection.claim
        assert claim.filed_at <= inspection.tested_at <= (claim.closed_at or moment)
    for task in ProcessTask.objects.all():
        assert task.ready_at <= moment and (task.completed_at or moment) <= moment


def test_seeding_refuses_a_period_with_no_office_hours_before_now(roles, monkeypatch):
    before_opening = datetime.datetime(2026, 11, 28, 2, 0, tzinfo=datetime.UTC)  # 05:30
    monkeypatch.setattr(timezone, "now", lambda: before_opening)
    with pytest.raises(ValueError, match="No office hours"):
        seed_scale(claims=10, days=1)
    assert not Claim.objects.exists() and not Meter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_seeding_outside_a_transaction_writes_the_same_rows(roles, monkeypatch):
    moment = datetime.datetime(2026, 11, 28, 14, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)  # the recent claims follow "now"

    # Outside a transaction (the command's run) on MariaDB a writer thread inserts each
    # batch while the next is built; inside one, the batches go in on this connection.
    def digest() -> tuple:
        return (
            _digest(),
            sorted(
                Claim.objects.values_list(
                    "tracking_code", "filed_at", "paid_at", "closed_at", "findings", "total_fee"
                )
            ),
            sorted(
                ProcessTask.objects.values_list(
                    "instance__claim__tracking_code", "element_id", "ready_at", "completed_at"
                )
            ),
            sorted(
                TestPoint.objects.values_list(
                    "inspection__claim__tracking_code", "position", "meter_volume_m3", "band"
                )
            ),
            sorted(Meter.objects.values_list("serial", "manufacture_year", "install_date")),
        )

    with transaction.atomic():
        within = seed_scale(claims=300, days=60, batch_size=100)
        rows = digest()
        transaction.set_rollback(True)
    batches: list[int] = []
    submit = bulk_sql.BackgroundWriter.submit
    monkeypatch.setattr(
        bulk_sql.BackgroundWriter,
        "submit",
        lambda writer, statements: (batches.append(len(statements)), submit(writer, statements)),
    )
    outside = seed_scale(claims=300, days=60, batch_size=100)
    assert digest() == rows
    # The writer thread ran, one batch of statements a batch of subscribers or claims.
    assert len(batches) == (3 + 3 if connection.vendor == "mysql" else 0)  # 210 and 300 rows
    assert outside == within
    assert Claim.objects.count() == 300 and not connection.in_atomic_block
