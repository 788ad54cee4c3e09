"""A claim's SLA clock on a controlled clock: start, pause and resume, stop, stored states.

The target is 24 working hours (86,400 s); at risk from 75 % = 18 h (64,800 s). Started on
Sat 25 Apr 2026 07:00 (a week without holidays, see test_calendar.py), the clock reaches
18 h on Mon 27 Apr 09:00 (Sat 8 + Sun 8 + Mon 2) and 24 h on Mon 27 Apr 15:00.
"""

from __future__ import annotations

import pytest

from apps.meter_service.doctype.sla import selectors
from apps.meter_service.doctype.sla.models import SlaClock, SlaState
from apps.meter_service.doctype.sla.services import (
    sla_clock_set_running,
    sla_clock_start,
    sla_clock_stop,
    sla_refresh_states,
)
from tests.doctype.sla.conftest import HOUR, at

pytestmark = pytest.mark.django_db

SAT_0700 = at(2026, 4, 25, 7)


def test_start_is_idempotent_and_copies_the_target(claim, settings):
    clock = sla_clock_start(claim=claim, now=SAT_0700)
    assert (clock.target_seconds, clock.started_at, clock.running_since) == (
        24 * HOUR,
        SAT_0700,
        SAT_0700,
    )
    assert clock.state == SlaState.ON_TRACK and not clock.paused
    # A later start changes nothing, and neither does a later change of the setting.
    settings.METER_SERVICE = {**settings.METER_SERVICE, "SLA_TARGET_HOURS": 8}
    again = sla_clock_start(claim=claim, now=at(2026, 4, 26, 9))
    assert again.pk == clock.pk and again.started_at == SAT_0700
    assert again.target_seconds == 24 * HOUR
    assert claim.sla_clock == again
    assert SlaClock.objects.count() == 1


def test_pause_and_resume(claim):
    # Sat 08:00 start; paused Sat 12:00 after 4 h; Sunday waits on the subscriber; resumed
    # Mon 10:00. At Mon 13:00: 4 h + Mon 10-13 (3 h) = 7 h.
    sla_clock_start(claim=claim, now=at(2026, 4, 25, 8))
    paused = sla_clock_set_running(claim=claim, running=False, now=at(2026, 4, 25, 12))
    assert paused.paused and paused.running_since is None
    assert paused.worked_seconds == 4 * HOUR
    # Pausing again is a no-op: the time stays where it was.
    again = sla_clock_set_running(claim=claim, running=False, now=at(2026, 4, 26, 14))
    assert again.worked_seconds == 4 * HOUR
    assert selectors.sla_worked_seconds(again, at(2026, 4, 27, 10)) == 4 * HOUR
    # While paused, the due time is counted as if the clock resumed now: 20 h from Mon 10:00
    # is Mon 5 h + Tue 8 h + Wed 7 h, Wed 29 Apr 14:00.
    assert selectors.sla_due_at(again, 1.0, at(2026, 4, 27, 10)) == at(2026, 4, 29, 14)
    resumed = sla_clock_set_running(claim=claim, running=True, now=at(2026, 4, 27, 10))
    assert not resumed.paused and resumed.running_since == at(2026, 4, 27, 10)
    # Resuming again does not restart the segment.
    sla_clock_set_running(claim=claim, running=True, now=at(2026, 4, 27, 11))
    clock = SlaClock.objects.get(claim=claim)
    assert clock.running_since == at(2026, 4, 27, 10)
    assert selectors.sla_worked_seconds(clock, at(2026, 4, 27, 13)) == 7 * HOUR
    assert selectors.sla_fraction_used(clock, at(2026, 4, 27, 13)) == pytest.approx(7 / 24)
    assert selectors.sla_due_at(clock, 1.0, at(2026, 4, 27, 13)) == at(2026, 4, 29, 14)


def test_pausing_a_clock_that_was_never_started_is_an_error(claim):
    with pytest.raises(SlaClock.DoesNotExist):
        sla_clock_set_running(claim=claim, running=False, now=SAT_0700)


def test_stop_keeps_the_final_state_and_ends_the_clock(claim):
    assert sla_clock_stop(claim=claim, now=SAT_0700) is None  # never started
    sla_clock_start(claim=claim, now=SAT_0700)
    stopped = sla_clock_stop(claim=claim, now=at(2026, 4, 27, 10))  # 19 h: at risk
    assert stopped.stopped_at == at(2026, 4, 27, 10) and stopped.running_since is None
    assert stopped.worked_seconds == 19 * HOUR
    assert stopped.state == SlaState.AT_RISK
    assert selectors.sla_due_at(stopped, 1.0, at(2026, 4, 28, 10)) is None
    # A stopped clock stays stopped: no more time, no resume, no second stop.
    assert selectors.sla_worked_seconds(stopped, at(2026, 5, 30, 10)) == 19 * HOUR
    sla_clock_set_running(claim=claim, running=True, now=at(2026, 4, 28, 10))
    sla_clock_stop(claim=claim, now=at(2026, 4, 29, 10))
    clock = SlaClock.objects.get(claim=claim)
    assert (clock.stopped_at, clock.running_since, clock.worked_seconds) == (
        at(2026, 4, 27, 10),
        None,
        19 * HOUR,
    )
    # The refresh leaves stopped clocks alone.
    assert sla_refresh_states(now=at(2026, 5, 30, 10)) == 0


def test_state_moves_from_on_track_to_at_risk_to_breached(claim):
    sla_clock_start(claim=claim, now=SAT_0700)
    clock = SlaClock.objects.get(claim=claim)
    assert selectors.sla_state_at(clock, at(2026, 4, 26, 15)) == SlaState.ON_TRACK  # 16 h
    assert selectors.sla_state_at(clock, at(2026, 4, 27, 8, 59)) == SlaState.ON_TRACK
    assert selectors.sla_state_at(clock, at(2026, 4, 27, 9)) == SlaState.AT_RISK  # 18 h
    assert selectors.sla_state_at(clock, at(2026, 4, 27, 14, 59)) == SlaState.AT_RISK
    assert selectors.sla_state_at(clock, at(2026, 4, 27, 15)) == SlaState.BREACHED  # 24 h
    assert selectors.sla_due_at(clock, 0.75, SAT_0700) == at(2026, 4, 27, 9)
    assert selectors.sla_due_at(clock, 1.0, SAT_0700) == at(2026, 4, 27, 15)
    # Once reached, the due time stays the instant it was reached.
    assert selectors.sla_due_at(clock, 0.75, at(2026, 4, 28, 9)) == at(2026, 4, 27, 9)

    # The stored state follows the refresh job, which counts the clocks it changed.
    assert sla_refresh_states(now=at(2026, 4, 26, 15)) == 0
    assert sla_refresh_states(now=at(2026, 4, 27, 9)) == 1
    clock.refresh_from_db()
    assert (clock.state, clock.state_at, clock.breached_at) == (
        SlaState.AT_RISK,
        at(2026, 4, 27, 9),
        None,
    )
    assert sla_refresh_states(now=at(2026, 4, 27, 10)) == 0
    clock.refresh_from_db()
    assert clock.state_at == at(2026, 4, 27, 10)  # checked, unchanged
    # A refresh that runs late still dates the breach to when it happened.
    assert sla_refresh_states(now=at(2026, 4, 28, 9)) == 1
    clock.refresh_from_db()
    assert clock.state == SlaState.BREACHED
    assert clock.breached_at == at(2026, 4, 27, 15)
    assert sla_refresh_states(now=at(2026, 4, 29, 9)) == 0
    clock.refresh_from_db()
    assert clock.breached_at == at(2026, 4, 27, 15)


def test_refresh_counts_paused_clocks_by_the_time_they_had(claim, another_claim):
    sla_clock_start(claim=claim, now=SAT_0700)
    sla_clock_start(claim=another_claim, now=SAT_0700)
    # The first is paused on Sun 26 Apr 15:00 at 16 h: it stays on track however long it
    # waits; the other runs on and breaches on Mon 27 Apr 15:00.
    sla_clock_set_running(claim=claim, running=False, now=at(2026, 4, 26, 15))
    assert sla_refresh_states(now=at(2026, 5, 20, 9)) == 1
    paused = SlaClock.objects.get(claim=claim)
    running = SlaClock.objects.get(claim=another_claim)
    assert paused.state == SlaState.ON_TRACK and paused.state_at == at(2026, 5, 20, 9)
    assert running.state == SlaState.BREACHED and running.breached_at == at(2026, 4, 27, 15)


def _states() -> list[tuple]:
    return list(
        SlaClock.objects.order_by("pk").values_list("state", "state_at", "warned_at", "breached_at")
    )


def test_the_refresh_works_in_batches_and_goes_on_where_a_run_stopped(
    claim, another_claim, django_assert_max_num_queries
):
    from django.core.cache import cache

    from apps.meter_service.doctype.sla.services import REFRESH_CURSOR_KEY

    sla_clock_start(claim=claim, now=SAT_0700)
    sla_clock_start(claim=another_claim, now=SAT_0700)
    cache.delete(REFRESH_CURSOR_KEY)
    at_risk, breached = at(2026, 4, 27, 9), at(2026, 4, 28, 9)
    # One clock a batch, no time budget: one batch a run, the next run goes on from it.
    assert sla_refresh_states(now=at_risk, batch_size=1, budget_seconds=0) == 1
    assert [state for state, *_rest in _states()] == [SlaState.AT_RISK, SlaState.ON_TRACK]
    assert sla_refresh_states(now=at_risk, batch_size=1, budget_seconds=0) == 1
    # The pass is done: the next run starts again from the first clock, batch by batch.
    batched = [sla_refresh_states(now=breached, batch_size=1, budget_seconds=0) for _ in "ab"]
    assert batched == [1, 1]
    in_batches = _states()
    # The same as one pass in one batch of everything.
    SlaClock.objects.update(state=SlaState.ON_TRACK, state_at=SAT_0700, breached_at=None)
    assert sla_refresh_states(now=at_risk) == 2
    assert sla_refresh_states(now=breached, batch_size=500) == 2
    assert _states() == in_batches
    # Several batches in one run when the budget allows, each clock once: a pass that ended
    # on a full batch went round again until the budget ran out (60 s of the same clocks).
    SlaClock.objects.update(state=SlaState.ON_TRACK, state_at=SAT_0700, breached_at=None)
    with django_assert_max_num_queries(16):
        sla_refresh_states(now=at_risk, batch_size=1, budget_seconds=60)
    assert sla_refresh_states(now=breached, batch_size=1, budget_seconds=60) == 2
    assert _states() == in_batches
    # A run that begins where an earlier one stopped goes round to it, and no further.
    SlaClock.objects.update(state=SlaState.ON_TRACK, state_at=SAT_0700, breached_at=None)
    assert sla_refresh_states(now=at_risk, batch_size=1, budget_seconds=0) == 1
    with django_assert_max_num_queries(16):
        assert sla_refresh_states(now=breached, batch_size=1, budget_seconds=60) == 2
    assert _states() == in_batches
