"""Fault injection on the production processes: Redis killed, MariaDB frozen, the SMS provider
down, the worker and the scheduler killed, the bank's callback during a database outage.

Each scenario works through the site's HTTP API and reads the outcome where a subscriber
would see it: claims in the database, texts at the (fake) SMS provider, payments settled at
the (fake) bank. It prints its figures (requests, 5xx answers, claims, SMS sent once / lost /
duplicated) and fails on any loss or duplicate, and on any request left hanging. Waits are
bounded; no assertion is on a time.

METER_FAULTS_SMS_OUTAGE_SECONDS: how long the SMS provider stays down (30; 60 for the full
minute of the issue).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections import Counter

import pytest
import requests

from tests.faults.stack import (
    CLIENT_TIMEOUT,
    DATABASE_READ_TIMEOUT,
    Answer,
    Figures,
    Stack,
    wait_until,
)

SMS_OUTAGE_SECONDS = float(os.environ.get("METER_FAULTS_SMS_OUTAGE_SECONDS", "30"))
# How long the recovery of texts and payments may take at most, once the fault is over: the
# scheduler sweeps the outbox every tick (5 s), but hands a row that it handed to RQ before
# again only a minute later (REDISPATCH_AFTER: the enqueue may have been lost with Redis); a
# send left half-done by a killed worker is taken again once its lease, the provider's
# time-out and a grace minute and a half, has run out.
RECOVERY_SECONDS = 90
HALF_DONE_RECOVERY_SECONDS = 150
PAID_FA = "پرداخت دریافت شد"  # "The payment was received", on the result page
CONFIRMING_FA = "در حال تأیید پرداخت شما هستیم"


def _answers_figures(figures: Figures, answers: list[Answer]) -> None:
    statuses = Counter(
        a.status if isinstance(a.status, str) else a.status // 100 * 100 for a in answers
    )
    figures.values.update(
        {
            "requests": len(answers),
            "2xx": statuses.get(200, 0),
            "5xx": statuses.get(500, 0),
            "4xx": statuses.get(400, 0),
            "hung": statuses.get("timeout", 0),
            "refused": statuses.get("refused", 0),
            "slowest_s": round(max((a.seconds for a in answers), default=0), 1),
        }
    )


def _check_answers(answers: list[Answer]) -> list[str]:
    """Every request was answered within the client's patience, and every failure cleanly:
    a JSON 503 (never an HTML 500, never a 4xx the request did not deserve)."""
    problems = []
    for answer in answers:
        if answer.ok:
            continue
        if answer.status == "timeout":
            problems.append(f"request {answer.index} hung for {CLIENT_TIMEOUT:.0f} s")
        elif answer.status == "refused":
            problems.append(f"request {answer.index}: connection refused")
        elif answer.status != 503 or not isinstance(answer.body, dict):
            problems.append(f"request {answer.index}: {answer.status} {str(answer.body)[:200]}")
    return problems


def _check_claims_and_texts(
    stack: Stack,
    figures: Figures,
    walk_ins: list[dict],
    answers: list[Answer],
    *,
    texts_per_claim: int,
    wait: float = RECOVERY_SECONDS,
) -> list[str]:
    """Every claim answered 201 is committed; every committed claim's texts reach its mobile
    exactly once each; no text tells of a claim that was not committed."""
    mobiles = [w["contact_mobile"] for w in walk_ins]
    answered = {mobiles[a.index] for a in answers if a.ok}
    claims = stack.claims_of(walk_ins)
    texts = stack.await_texts(claims.keys(), texts_per_claim, wait)
    phantom = {
        mobile: counts
        for mobile, counts in stack.texts_by_mobile(set(mobiles) - claims.keys()).items()
        if counts
    }
    lost_claims = sorted(answered - claims.keys())
    once = sum(1 for m in claims for n in texts[m].values() if n == 1)
    duplicated = sum(n - 1 for m in claims for n in texts[m].values() if n > 1)
    lost = sum(max(0, texts_per_claim - len(texts[m])) for m in claims)
    figures.values.update(
        {
            "claims_filed": len(claims),
            "filed_though_answered_error": len(claims.keys() - answered),
            "sms_sent_once": once,
            "sms_lost": lost,
            "sms_duplicated": duplicated,
            "sms_for_no_claim": sum(sum(c.values()) for c in phantom.values()),
            "provider_dropped_repeats": stack.sms.repeated_sends(),
        }
    )
    problems = []
    if lost_claims:
        problems.append(f"claims answered 201 but not in the database: {lost_claims}")
    if lost:
        missing = [claims[m]["tracking_code"] for m in claims if len(texts[m]) < texts_per_claim]
        rows = stack.sms_rows(claims[m]["id"] for m in claims if len(texts[m]) < texts_per_claim)
        problems.append(f"{lost} SMS lost (claims {missing[:10]}; their SMS rows: {rows[:10]})")
    if duplicated:
        problems.append(f"{duplicated} SMS duplicated")
    if phantom:
        problems.append(f"texts about claims that were not filed: {phantom}")
    return problems


def _later(seconds: float, action) -> threading.Thread:
    def run() -> None:
        time.sleep(seconds)
        action()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _burst_with_fault(stack: Stack, figures: Figures, walk_ins: list[dict], fault):
    """File the walk-ins' claims, 3 at a time, with `fault` run 1.5 s into the burst; return
    the answers and the problems found afterwards."""
    thread = _later(1.5, fault)
    answers = stack.burst(walk_ins, concurrency=3, gap=0.2)
    thread.join()
    _answers_figures(figures, answers)
    problems = _check_answers(answers)
    problems += _check_claims_and_texts(stack, figures, walk_ins, answers, texts_per_claim=1)
    return answers, problems


def _fail_on(problems: list[str], figures: Figures) -> None:
    if problems:
        pytest.fail(figures.line() + "\n" + "\n".join(problems), pytrace=False)


# --- 1. Redis killed and restarted --------------------------------------------------------


def test_redis_killed_during_a_burst_of_filings(stack: Stack, figures_of: Figures):
    """Redis is SIGKILLed in the middle of a burst of filings and started again 4 s later.
    A committed claim is kept, and its SMS goes out exactly once after Redis returns: its
    notification job is an outbox row written in the filing's transaction, which the
    scheduler hands to RQ again once Redis is back."""
    walk_ins = stack.take_walk_ins(30)
    redis = stack.processes["redis"]

    def outage() -> None:
        redis.kill_hard()
        time.sleep(4)
        stack.restart_redis()

    _answers, problems = _burst_with_fault(stack, figures_of, walk_ins, outage)
    _fail_on(problems, figures_of)


# --- 2. MariaDB frozen --------------------------------------------------------------------


def test_mariadb_frozen_during_filings(stack: Stack, figures_of: Figures):
    """MariaDB is SIGSTOPped for 12 s in the middle of a burst, then SIGCONTed. Requests fail
    cleanly within the database timeouts (a JSON 503), nothing is half-written, and every
    committed claim gets its SMS: the worker runs on meanwhile, and a job that meets the
    frozen database is tried again by the outbox."""
    walk_ins = stack.take_walk_ins(30)
    mariadb = stack.processes["mariadb"]

    def freeze() -> None:
        mariadb.signal(signal.SIGSTOP)
        # Longer than the site's database read timeout: requests must give up, not hang.
        time.sleep(DATABASE_READ_TIMEOUT + 4)
        mariadb.signal(signal.SIGCONT)

    _answers, problems = _burst_with_fault(stack, figures_of, walk_ins, freeze)
    # Nothing half-written: each committed claim has its process instance and fee lines.
    claims = stack.claims_of(walk_ins)
    ids = tuple(c["id"] for c in claims.values())
    if ids:
        marks = ",".join(["%s"] * len(ids))
        with_process = stack.sql(
            f"SELECT COUNT(DISTINCT claim_id) FROM meter_service_processinstance"
            f" WHERE claim_id IN ({marks})",
            ids,
        )[0][0]
        figures_of.values["claims_with_process"] = with_process
        if with_process != len(ids):
            problems.append(f"{len(ids) - with_process} claims without their process instance")
    _fail_on(problems, figures_of)


# --- 3. The SMS provider down --------------------------------------------------------------


def test_sms_provider_down(stack: Stack, figures_of: Figures):
    """The SMS provider refuses connections for SMS_OUTAGE_SECONDS while claims are filed;
    afterwards every SMS goes out exactly once (the fake counts per localid and per
    receptor and text)."""
    walk_ins = stack.take_walk_ins(10)
    stack.stop_sms_provider()
    try:
        started = time.monotonic()
        answers = stack.burst(walk_ins, concurrency=2)
        time.sleep(max(0.0, SMS_OUTAGE_SECONDS - (time.monotonic() - started)))
        figures_of.values["outage_s"] = round(time.monotonic() - started)
    finally:
        stack.start_sms_provider()
    _answers_figures(figures_of, answers)
    problems = _check_answers(answers)
    if not all(a.ok for a in answers):
        problems.append("filing must not depend on the SMS provider")
    problems += _check_claims_and_texts(stack, figures_of, walk_ins, answers, texts_per_claim=1)
    _fail_on(problems, figures_of)


# --- 4. The worker killed mid-job ----------------------------------------------------------


def test_worker_killed_mid_job(stack: Stack, figures_of: Figures):
    """The worker (and the job it runs) is SIGKILLed while the provider is taking a text;
    supervisord starts it again, the outbox runs the job again once its lease has run out,
    and its SMS goes out once."""
    walk_ins = stack.take_walk_ins(3)
    mobiles = {w["contact_mobile"] for w in walk_ins}
    supervisord = stack.processes["supervisord"]
    before = stack.child_pid("worker")
    repeats_before = stack.sms.repeated_sends()
    stack.sms.set_delay(6)  # the provider takes the text, then answers 6 s later
    try:
        answers = stack.burst(walk_ins, concurrency=3)
        wait_until(
            "a text in flight",
            lambda: any(stack.texts_by_mobile(mobiles).values()),
            timeout=60,
            every=0.05,
        )
        for pid in [before, *_descendants(before)]:
            _kill(pid)
    finally:
        stack.sms.set_delay(0)
    after = wait_until(
        "supervisord starts the worker again",
        lambda: (pid := stack.child_pid("worker")) != before and pid,
        timeout=30,
    )
    figures_of.values["worker_pid"] = f"{before}->{after}"
    assert supervisord.running(), "supervisord itself must outlive the worker"
    _answers_figures(figures_of, answers)
    problems = _check_answers(answers)
    problems += _check_claims_and_texts(stack, figures_of, walk_ins, answers, texts_per_claim=1)
    claims = stack.claims_of(walk_ins)

    def all_sent():
        rows = stack.sms_rows(c["id"] for c in claims.values())
        return rows if rows and all(status == "sent" for _c, status, _k in rows) else None

    # The half-done send is taken up again (its outbox row's lease ran out), the provider
    # drops the repeat.
    with contextlib.suppress(TimeoutError):
        wait_until("the SMS rows are sent", all_sent, timeout=HALF_DONE_RECOVERY_SECONDS)
    figures_of.values["provider_dropped_repeats"] = stack.sms.repeated_sends() - repeats_before
    texts = stack.texts_by_mobile(mobiles)
    if any(n > 1 for counts in texts.values() for n in counts.values()):
        problems.append(f"SMS duplicated after the job ran again: {texts}")
    rows = stack.sms_rows(c["id"] for c in claims.values())
    figures_of.values["sms_rows"] = dict(Counter(status for _claim, status, _key in rows))
    if any(status != "sent" for _claim, status, _key in rows):
        problems.append(f"SMS rows not marked sent: {rows}")
    _fail_on(problems, figures_of)


def _descendants(pid: int) -> list[int]:
    from tests.faults.stack import descendants

    return descendants(pid)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


# --- 5. The scheduler killed --------------------------------------------------------------


def test_scheduler_killed_and_restarted(stack: Stack, figures_of: Figures):
    """The scheduler is SIGKILLed; supervisord starts it again, the new one takes the lock
    once the killed one's lease has run out, and the periodic jobs resume (the worker's
    heartbeat job, enqueued every 3 s on this site, runs again)."""
    before = stack.child_pid("scheduler")
    _kill(before)
    killed_at = time.time()
    after = wait_until(
        "supervisord starts the scheduler again",
        lambda: (pid := stack.child_pid("scheduler")) != before and pid,
        timeout=30,
    )

    def heartbeat_after_kill():
        stamp = stack.heartbeat()
        if stamp and _epoch(stamp) > killed_at + 1:
            return stamp
        return None

    # A heartbeat enqueued before the kill may still run; one stamped later than the kill
    # and the new scheduler's start was enqueued by the new scheduler.
    stamp = wait_until("a periodic job after the restart", heartbeat_after_kill, timeout=60)
    figures_of.values.update(
        {
            "scheduler_pid": f"{before}->{after}",
            "heartbeat_after_kill_s": round(_epoch(stamp) - killed_at, 1),
        }
    )
    # And the outbox is swept again: the claims' texts go out.
    walk_ins = stack.take_walk_ins(2)
    answers = stack.burst(walk_ins, concurrency=2)
    _answers_figures(figures_of, answers)
    problems = _check_answers(answers)
    problems += _check_claims_and_texts(stack, figures_of, walk_ins, answers, texts_per_claim=1)
    _fail_on(problems, figures_of)


def _epoch(stamp: str) -> float:
    import datetime

    return datetime.datetime.fromisoformat(stamp).timestamp()


# --- 6. The bank's callback during a database outage --------------------------------------


def test_payment_callbacks_during_a_database_outage(stack: Stack, figures_of: Figures):
    """The bank sends payers back while MariaDB is frozen: each gets the Persian "we are
    confirming your payment" page (never a 500, never English); afterwards payments_reconcile
    settles each payment exactly once, the payer's pages show it, and the "paid" SMS goes out
    once."""
    walk_ins = stack.take_walk_ins(4)
    answers = stack.burst(walk_ins, concurrency=2, payment_method="gateway")
    problems = [f"filing: {a.status} {a.body}" for a in answers if not a.ok]
    _fail_on(problems, figures_of)
    urls = [a.body["payment_url"] for a in answers]
    assert all(urls), answers
    authorities = [url.rstrip("/").rsplit("/", 1)[1] for url in urls]
    callbacks = [stack.gateway.decide(authority, paid=True) for authority in authorities]
    mariadb = stack.processes["mariadb"]
    pages: list[requests.Response | str] = []
    mariadb.signal(signal.SIGSTOP)
    try:
        for callback in callbacks:
            try:
                pages.append(requests.get(callback, timeout=CLIENT_TIMEOUT, allow_redirects=False))
            except requests.RequestException as error:
                pages.append(type(error).__name__)
    finally:
        mariadb.signal(signal.SIGCONT)
    statuses = [p.status_code if isinstance(p, requests.Response) else p for p in pages]
    figures_of.values.update(
        {"callbacks": len(pages), "callback_statuses": dict(Counter(statuses))}
    )
    for page in pages:
        if not isinstance(page, requests.Response):
            problems.append(f"callback not answered: {page}")
        elif page.status_code >= 500 or CONFIRMING_FA not in page.text:
            problems.append(f"callback answered {page.status_code}: {page.text[:300]}")

    # payments_reconcile (every 5 s on this site) settles each payment with the bank, once
    # it is a minute old (PAYMENT_RECONCILE_MINUTES).
    def settled():
        rows = stack.sql(
            "SELECT p.authority, p.status FROM meter_service_payment p"
            f" WHERE p.authority IN ({','.join(['%s'] * len(authorities))})",
            tuple(authorities),
        )
        return rows if all(status != "initiated" for _a, status in rows) else None

    rows = wait_until("the payments are settled", settled, timeout=60 + RECOVERY_SECONDS)
    paid = Counter(authority for authority, status in rows if status == "paid")
    figures_of.values["payments_settled"] = sum(paid.values())
    if sorted(paid) != sorted(authorities) or any(n != 1 for n in paid.values()):
        problems.append(f"payments not settled exactly once: {rows}")
    for authority in authorities:
        page = stack.get(f"/pay/result/{authority}/")
        if page.status_code != 200 or PAID_FA not in page.text:
            problems.append(f"the result page of {authority} does not say paid: {page.status_code}")
    # The claim's texts: filed (awaiting payment), then paid; each exactly once.
    problems += _check_claims_and_texts(stack, figures_of, walk_ins, answers, texts_per_claim=2)
    _answers_figures(figures_of, answers)
    _fail_on(problems, figures_of)
