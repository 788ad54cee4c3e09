"""Schemathesis against the API's own schema: every check, every token-holding role, anonymous.

For each caller schemathesis' own engine runs as `schemathesis run` would: schema examples,
coverage cases, fuzzing (positive and negative data) and stateful sequences, on every
operation of /api/schema/, with every check it has, against the site in-process (WSGI) with
the seeded world of tests/api/conftest.py. Path parameters are drawn from generated values
and from the world's real tracking codes, the caller's own and others', so the calls reach
real records and not only 404s. The engine calls from a thread of its own, so the world is
committed (a transactional test) for that thread's database connection to see it.

Bounded for CI: a fixed number of examples per operation, derandomized with a fixed seed.
For a longer local run raise METER_FUZZ_EXAMPLES (say 100): that also sends the coverage
phase's negative cases and longer stateful sequences.
"""

from __future__ import annotations

import copy
import os
import time
import traceback

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events

from apps.meter_service.api.auth import api_token_issue
from apps.meter_service.permissions import Role

# Not measured for coverage (pytest-cov's no_cover): under the tracer the fuzzing took half as
# long again, the largest share of the covered suite's time, and what random inputs reach
# varies from run to run while the other API tests cover these views deterministically.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.no_cover]

# Examples per operation and generation mode in the fuzzing phase (the coverage phase's cases
# come on top). CI's value makes at least MINIMUM_CASES cases over all callers.
EXAMPLES = int(os.environ.get("METER_FUZZ_EXAMPLES", "10"))
# A longer run (more examples than CI's) also sends the coverage phase's negative cases.
FULL = EXAMPLES > 10
MINIMUM_CASES = 2_000
SEED = 1403

# Every account that may hold a token (api/auth.py TOKEN_ROLES), the IVR's status look-up
# account, and no token at all; the world's names for them.
CALLERS = {
    "agency_client": "agency",
    "ivr_status_lookup": "ivr",
    "counter_office_operator": "operator_x",
    "billing_officer": Role.BILLING_OFFICER,
    "call_centre_operator": Role.CALL_CENTRE_OPERATOR,
    "anonymous": None,
}

# Cases sent, by caller: the last test adds them up.
cases_run: dict[str, int] = {}


# The write operations whose bodies are valid or not by rules no JSON schema states: which
# identification fields apply depends on the caller's role, identifiers carry check digits,
# the subscriber must be found by bill ID plus national ID, a reading must not be below the
# last one. A body the schema allows can so be refused with 400 (the error names the field);
# positive_data_acceptance, which expects the schema to decide validity, allows it there only.
RULE_VALIDATED_WRITES = (
    r"^/api/v1/claims/$",
    r"^/api/v1/complaints/$",
    r"^/api/v1/complaints/\{tracking_code\}/replies/$",
    r"^/api/v1/bills/$",
)
POSITIVE_DATA_STATUSES = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def fuzz_config(*, headers: dict) -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": headers,
            "workers": 1,
            "generation": {"max-examples": EXAMPLES, "mode": "all", "deterministic": True},
            # Every check schemathesis has is on by default; said here so that stays so. Two
            # find nothing to act on here: use_after_free needs a DELETE (the API has none;
            # a cancelled claim stays readable by design), and object_level_authorization
            # needs a WFC document of peer accounts (record rules between callers are
            # tests/api/test_permission_matrix.py's).
            "checks": {"enabled": True},
            "phases": {
                # The coverage phase's positive cases (boundaries, each enum value, each
                # optional field) and three methods no operation has; its negative cases are
                # many times more and come from the fuzzing phase in CI instead.
                "coverage": {
                    "generation": {"mode": "all" if FULL else "positive"},
                    "unexpected-methods": ["PUT", "PATCH", "DELETE"],
                },
                "stateful": {"max-steps": 4 if not FULL else 10},
            },
            "operations": [
                {
                    "include-method": "POST",
                    "include-path-regex": "|".join(RULE_VALIDATED_WRITES),
                    "checks": {
                        "positive_data_acceptance": {
                            "expected-statuses": [*POSITIVE_DATA_STATUSES, "400"]
                        }
                    },
                }
            ],
        }
    )


def fuzz_schema(openapi_document: dict, config: SchemathesisConfig, known_codes: list[str]):
    """The schema, with requests going to the site in-process (WSGI)."""
    schema = schemathesis.openapi.from_dict(openapi_document, config=config)
    schema.app = WSGIHandler()

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        # A generated tracking code is nobody's record: half the time take one that is (the
        # caller's or someone else's), so the checks see answers about real records.
        if not path_parameters or "tracking_code" not in path_parameters:
            return st.just(path_parameters)
        known = st.sampled_from(known_codes).map(
            lambda code: {**path_parameters, "tracking_code": code}
        )
        return st.one_of(st.just(path_parameters), known)

    return schema


@pytest.fixture
def in_process_probes(monkeypatch):
    """Let the checks that re-send a request (ignored_auth's probes) reach the site in-process.

    Schemathesis 4.32 hands a probe the socket-only options of its run (max_redirects...),
    which its own in-process (WSGI) transport then passes on to werkzeug, which refuses them.
    In-process rather than a live server: the same cases take a third of the time.
    """
    from schemathesis.transport.wsgi import WSGI_TRANSPORT

    send = WSGI_TRANSPORT.send

    def send_in_process(case, **kwargs):
        for name in ("max_redirects", "verify", "cert", "proxies"):
            kwargs.pop(name, None)
        return send(case, **kwargs)

    monkeypatch.setattr(WSGI_TRANSPORT, "send", send_in_process)


def run_schemathesis(schema) -> tuple[int, list[str]]:
    """Run every phase; return the number of cases sent and what went wrong, once each."""
    cases = 0
    problems: dict[tuple, str] = {}
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            cases += len(event.recorder.cases)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is None:
                        continue
                    failure = check.failure_info.failure
                    key = (check.name, failure.operation, failure.title)
                    problems.setdefault(
                        key,
                        f"{check.name} on {failure.operation}: {failure.title}\n"
                        f"{failure.message}\n{check.failure_info.code_sample}",
                    )
        elif isinstance(event, events.NonFatalError | events.FatalError):
            # The run could not test something (a hook or the tool failed): a failure too.
            error = event.value if isinstance(event, events.NonFatalError) else event.exception
            trace = "".join(traceback.format_exception(error))
            problems.setdefault(("error", trace), f"schemathesis could not run: {trace}")
    return cases, list(problems.values())


@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_api_answers_every_caller_as_documented(
    caller, in_process_probes, openapi_document, world, complaints
):
    """No 5xx, every answer documented and of its schema's shape, whoever calls."""
    codes = [claim.tracking_code for claim in world.claims.values()]
    codes += [complaint.tracking_code for complaint in complaints.values()]
    headers = {}
    if CALLERS[caller] is not None:
        user = world.users[CALLERS[caller]]
        token = api_token_issue(user=user, status_lookup=CALLERS[caller] == "ivr")
        headers["Authorization"] = f"Token {token.key}"
    schema = fuzz_schema(openapi_document, fuzz_config(headers=headers), sorted(codes))

    started = time.monotonic()
    cases, problems = run_schemathesis(schema)
    cases_run[caller] = cases
    print(f"{caller}: {cases} cases in {time.monotonic() - started:.1f} s")
    assert not problems, "\n\n".join(problems)


def test_the_run_fails_on_an_answer_the_schema_does_not_document(
    in_process_probes, openapi_document, world
):
    """The harness reports what the checks find: with 404 taken out of one operation's
    documented answers, the status look-up of an unknown tracking code fails the run."""
    path = "/api/v1/claims/{tracking_code}/status/"
    document = copy.deepcopy(openapi_document)
    del document["paths"][path]["get"]["responses"]["404"]
    token = api_token_issue(user=world.users["agency"])
    config = fuzz_config(headers={"Authorization": f"Token {token.key}"})
    codes = sorted(claim.tracking_code for claim in world.claims.values())
    schema = fuzz_schema(document, config, codes).include(path=path)
    cases, problems = run_schemathesis(schema)
    assert cases > 0
    assert any(
        problem.startswith(f"status_code_conformance on GET {path}") and "404" in problem
        for problem in problems
    ), problems


def test_the_run_reached_its_case_count():
    """CI's run sends at least MINIMUM_CASES cases over all callers (runs after them)."""
    if set(cases_run) != set(CALLERS):
        pytest.skip("counted when every caller ran")
    print(f"{sum(cases_run.values())} cases: {cases_run}")
    assert sum(cases_run.values()) >= MINIMUM_CASES
