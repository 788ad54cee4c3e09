"""The rule settings: what a site may set under "meter_service" in its site_config.json.

RULES is the one place their defaults live, each with what it means: the settings module
(sites/settings/base.py) builds settings.METER_SERVICE from it and the site's values, the code
reads a rule through the rule_setting doctype's rule_value(name) (the desk's changes, effective
from their dates, over settings.METER_SERVICE[name]; core/rule_reader.py for the modules below
the doctypes), and `manage.py settings_table` prints the README's table
from it. Imported by the settings module, so nothing here may import Django models or read
django.conf.settings.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import functional, translation
from django.utils.translation import gettext_lazy as _

MB = 1024 * 1024


@dataclass(frozen=True)
class Rule:
    default: Any
    # Marked for translation (the desk shows it in the reader's language); lazy, so nothing
    # is translated when the settings module imports RULES. str() it where text is needed.
    # The type is core.types.StrOrPromise, spelt out: that module imports the auth models,
    # which the settings module may not.
    meaning: str | functional._StrPromise


# A rule the sources leave open is a setting with a sensible default (DOMAIN.md); a site
# overrides any of them in site_config.json under "meter_service".
RULES: dict[str, Rule] = {
    # Online payments whose callback never came (payments_reconcile, every 5 minutes)
    "PAYMENT_RECONCILE_MINUTES": Rule(
        30, _("an online payment still open this long after it started is settled with the bank")
    ),
    "PAYMENT_RECONCILE_DAYS": Rule(2, _("payments older than this are left to staff (days)")),
    # The outbox (doctype/outbox): every SMS, email and job a change promises, retried with
    # backoff long enough to outlast an ordinary outage of Redis, a worker or the provider
    "OUTBOX_RETRY_FIRST_SECONDS": Rule(
        30,
        _("wait before the second try of a failed SMS, email or job (seconds); doubles each try"),
    ),
    "OUTBOX_RETRY_MAX_SECONDS": Rule(1800, _("longest wait between two tries (seconds)")),
    "OUTBOX_RETRY_HOURS": Rule(
        6, _("tries go on this long after a job was queued; then it is failed with the reason")
    ),
    "OUTBOX_LEASE_SECONDS": Rule(
        900,
        _(
            "a job running this long is taken to be lost with its worker and is run again "
            "(an SMS's own lease is its provider time-out plus 100 s)"
        ),
    ),
    "OUTBOX_STUCK_MINUTES": Rule(
        10, _("a job waiting this long is shown as stuck in the desk and warned of in /health/")
    ),
    # Against SMS bombing through the service
    "SMS_PER_MOBILE_PER_HOUR": Rule(
        20, _("texts to one mobile in an hour; more are logged as not sent")
    ),
    # Texts to the short code (status by SMS): more from one mobile are logged, not answered
    "INBOUND_SMS_PER_SENDER_PER_HOUR": Rule(
        10, _("texts one mobile may send to the short code in an hour and get an answer")
    ),
    "COMPLAINTS_PER_SUBSCRIBER_PER_DAY": Rule(
        5, _("complaints one subscriber may file on the portal in a day")
    ),
    # Sign-in with a password (desk, counter offices): failures allowed per window
    "LOGIN_FAILURES_PER_ACCOUNT": Rule(
        10, _("wrong passwords for one account before it must wait LOGIN_LOCKOUT_MINUTES")
    ),
    "LOGIN_FAILURES_PER_ADDRESS": Rule(
        20, _("wrong passwords from one address before it must wait LOGIN_LOCKOUT_MINUTES")
    ),
    "LOGIN_LOCKOUT_MINUTES": Rule(15, _("the window of the sign-in limits (minutes)")),
    # Two-factor sign-in to the desk (an authenticator app's 6-digit code); staff of other
    # roles may enrol too, and are then asked for the code as well
    "STAFF_TOTP_REQUIRED_ROLES": Rule(
        ["system_admin", "service_manager"],
        _(
            "roles that must sign in to the desk with an authenticator code "
            "(enrol at first sign-in)"
        ),
    ),
    # API tokens of programs (agencies, counter offices, the billing system, the IVR)
    "API_TOKEN_DAYS": Rule(365, _("a new API token works for this many days")),
    # Sessions: signed-in people are signed out after this long without a request
    "STAFF_SESSION_IDLE_MINUTES": Rule(
        30, _("staff (desk, counter offices) are signed out after this many idle minutes")
    ),
    "SUBSCRIBER_SESSION_IDLE_MINUTES": Rule(
        15, _("subscribers are signed out of the portal after this many idle minutes")
    ),
    # Records that only grow are purged (records_purge, every hour)
    "OTP_RETENTION_DAYS": Rule(
        30, _("sign-in codes are deleted this many days after they were asked for")
    ),
    "OTP_AUDIT_RETENTION_DAYS": Rule(
        180, _("audit entries of sign-in codes asked and used are deleted after this many days")
    ),
    "OUTBOX_RETENTION_DAYS": Rule(
        30, _("jobs and messages handed over without error are deleted this many days after")
    ),
    # Filing a claim
    "VAT_PERCENT": Rule(10, _("VAT added to the test fee (%)")),
    "PAYMENT_EXPIRY_DAYS": Rule(7, _("days an unpaid claim waits for its fee before it expires")),
    "LAST_READING_MAX_AGE_DAYS": Rule(
        90, _("the last meter reading given with a claim may be at most this old (days)")
    ),
    "SCAN_MAX_BYTES": Rule(2 * MB, _("largest scan attached to a claim (bytes)")),
    "IMAGE_MAX_PIXELS": Rule(
        40_000_000, _("most pixels an uploaded image may declare (refused before decoding)")
    ),
    "GAS_COMPANY_CODE": Rule(
        "", _("this company's 3-digit code in bill IDs; when set, other companies' are refused")
    ),
    "LAST_BILL_RECENT_COUNT": Rule(
        3,
        _(
            "a claim's last settled bill must be one of the subscription's latest this-many "
            "bills on file, when it has any (the newest may still be unpaid)"
        ),
    ),
    "BILL_ID_CONTAINS_SUBSCRIPTION_NUMBER": Rule(
        True, _("the file code in a subscriber's bill ID must be their subscription number")
    ),
    "STATUS_LOOKUP_LIMIT": Rule(
        10, _("status look-ups (tracking code) one address may make per window")
    ),
    "STATUS_LOOKUP_WINDOW_SECONDS": Rule(600, _("the window of STATUS_LOOKUP_LIMIT (seconds)")),
    # Sign-in codes by SMS (doctype/otp)
    "OTP_LENGTH": Rule(6, _("digits of a sign-in code")),
    "OTP_TTL_SECONDS": Rule(120, _("how long a sign-in code is valid (seconds)")),
    "OTP_MAX_ATTEMPTS": Rule(5, _("wrong codes allowed per sign-in code")),
    "OTP_RESEND_SECONDS": Rule(
        60, _("least time between two codes for one subscription (seconds)")
    ),
    "OTP_MAX_PER_WINDOW": Rule(3, _("codes per subscription per window")),
    "OTP_WINDOW_SECONDS": Rule(600, _("the window of the OTP limits (seconds)")),
    "OTP_IP_MAX_PER_WINDOW": Rule(10, _("codes asked from one IP address per window")),
    # Imports and the bills API
    "IMPORT_MAX_ROWS": Rule(50_000, _("most rows in one import file")),
    "IMPORT_MAX_FILE_BYTES": Rule(10 * MB, _("largest import file (bytes)")),
    "BILLS_API_MAX_ITEMS": Rule(
        500, _("most bills in one POST /api/v1/bills/ (all or none are saved)")
    ),
    # The process (workflows/meter_test.bpmn reads these through setting("..."))
    "ACCESS_WAIT_DAYS": Rule(14, _("days the subscriber has to give access to the meter")),
    "PROCESS_LANE_ROLES": Rule(
        {
            "subscriber": ["subscriber", "service_desk_clerk"],
            "technician": ["technician"],
            "emergency_crew": ["emergency_crew"],
            "billing_officer": ["billing_officer"],
            "service_manager": ["service_manager"],
        },
        _("who may complete the steps of each lane of the BPMN (lanes are named by role)"),
    ),
    # Meter tests (doctype/inspection)
    "IN_SERVICE_TOLERANCE_BANDS": Rule(
        {"1.0": {"low": 2.0, "high": 1.0}, "1.5": {"low": 3.0, "high": 1.5}},
        _(
            "in-service tolerance (± %) by accuracy class and flow band (low: Qmin..Qt, high: "
            "Qt..Qmax), the OIML R137 MPE; read by the test record, the process's test form "
            "(one error figure: the high band) and given to the DMN test_verdict as mpe; a site's "
            "old IN_SERVICE_TOLERANCE_PERCENT is read as this class's tolerance in both bands"
        ),
    ),
    "TRANSITION_FLOW_FRACTION": Rule(0.1, _("Qt as a fraction of the meter size's Qmax")),
    "INSPECTION_PHOTO_MAX_BYTES": Rule(5 * MB, _("largest photo of a meter test (bytes)")),
    "INSPECTION_PHOTO_MAX_COUNT": Rule(10, _("most photos of one meter test")),
    # Replacement and correction
    "WORK_ORDER_PHOTO_MAX_BYTES": Rule(5 * MB, _("largest photo of a replacement (bytes)")),
    "WORK_ORDER_MAX_PHOTOS": Rule(10, _("most photos of one replacement work order")),
    "REFUND_FEE_WHEN_FAULTY": Rule(
        True, _("refund or waive the test fee when the meter is out of tolerance")
    ),
    "CORRECTION_APPROVAL_LIMIT_RIAL": Rule(
        10_000_000,
        _("a bill correction above this (Rial, either way) needs the manager's approval"),
    ),
    "CORRECTION_MAX_WINDOW_DAYS": Rule(
        365, _("how far back a correction may reach (days), whatever the last test or reading")
    ),
    "CORRECTION_ERROR_BASIS": Rule(
        "mean",
        _(
            'the error that scales registered volumes: "mean" of the test points or the '
            '"decisive" point\'s'
        ),
    ),
    "TARIFF_MONTH_DAYS": Rule(
        30, _("days of a tariff month: a period of d days is priced as d / this of a month")
    ),
    # Service level (doctype/sla), in working time
    "SLA_TARGET_HOURS": Rule(24, _("service-level target of a claim (working hours)")),
    "SLA_AT_RISK_PERCENT": Rule(75, _("share of the target from which a claim is at risk (%)")),
    "SLA_WORKDAY_HOURS": Rule(["07:00", "15:00"], _("office hours Saturday to Wednesday")),
    "SLA_THURSDAY_HOURS": Rule(["07:00", "12:00"], _("Thursday's office hours (null: a day off)")),
    # Complaints (doctype/complaint)
    "COMPLAINT_SLA_HOURS": Rule(24, _("a complaint is answered within this (working hours)")),
    "COMPLAINT_ESCALATION_ROLES": Rule(
        ["service_manager"], _("roles a complaint past its target is escalated to")
    ),
    "COMPLAINT_AUTO_CLOSE_DAYS": Rule(
        7, _("a resolved complaint the subscriber leaves unanswered closes after (days)")
    ),
    "COMPLAINT_ATTACHMENT_MAX_BYTES": Rule(5 * MB, _("largest attachment of a complaint (bytes)")),
    "COMPLAINT_RATING_DAYS": Rule(
        14, _("a closed complaint's complainant may rate it within (days)")
    ),
    # Personal data (privacy.py): who sees subscribers' mobiles and national IDs in full
    "PERSONAL_DATA_ROLES": Rule(
        [
            "subscriber",
            "counter_office_operator",
            "service_desk_clerk",
            "call_centre_operator",
            "billing_officer",
            "complaints_officer",
            "service_manager",
            "agency_client",
            "system_admin",
        ],
        _("roles that see mobiles and national IDs in full (others see 0912***4567, ******1234)"),
    ),
    "PERSONAL_DATA_REVEAL_ROLES": Rule(
        ["technician", "emergency_crew"],
        _(
            "roles that may show one masked mobile or national ID in full (each time recorded in "
            "the audit trail)"
        ),
    ),
    # The manager's dashboards
    "DASHBOARD_CACHE_SECONDS": Rule(
        300, _("the dashboard's figures are reused this long (seconds; 0: computed on every view)")
    ),
    "DASHBOARD_ROLLUP_MAX_AGE_SECONDS": Rule(
        600, _("a daily roll-up older than this is refreshed by the page that reads it (seconds)")
    ),
    "DASHBOARD_ROLLUP_BATCH_DAYS": Rule(
        31, _("the daily roll-up is recomputed this many filing days per transaction")
    ),
    # Periodic jobs over every open claim work in batches, each its own short transaction,
    # and a run stops once over its budget: the next run goes on where it stopped.
    "SLA_REFRESH_BATCH": Rule(
        500, _("the service-level refresh recomputes this many open claims' clocks per transaction")
    ),
    "JOB_RUN_BUDGET_SECONDS": Rule(
        20,
        _(
            "the service-level refresh and the roll-up refresh stop after a batch that ends "
            "this long after the run began, and go on at their next run (seconds)"
        ),
    ),
    # Time limits: nothing the site waits on may hold a request, a job or /health/ for ever
    "DATABASE_CONNECT_TIMEOUT_SECONDS": Rule(
        5, _("MariaDB: give up connecting to the database after this long (seconds)")
    ),
    "DATABASE_READ_TIMEOUT_SECONDS": Rule(
        120, _("MariaDB: give up waiting for an answer of the database after this long (seconds)")
    ),
    "DATABASE_WRITE_TIMEOUT_SECONDS": Rule(
        60, _("MariaDB: give up sending a query to the database after this long (seconds)")
    ),
    "DATABASE_CONFLICT_ATTEMPTS": Rule(
        4,
        _(
            "MariaDB/Galera: how many times a request or job runs whose transaction failed on a "
            "conflict (deadlock, lock wait timeout, Galera certification, a node not ready); "
            "1 runs it once"
        ),
    ),
    "REDIS_CONNECT_TIMEOUT_SECONDS": Rule(
        1, _("Redis (cache, sessions, locks, job queues): give up connecting after (seconds)")
    ),
    "REDIS_TIMEOUT_SECONDS": Rule(
        2,
        _(
            "Redis (cache, sessions, locks, job queues): give up waiting for an answer after "
            "(seconds; the worker's own blocking wait for jobs is longer, set by RQ)"
        ),
    ),
    "SMS_TIMEOUT_SECONDS": Rule(
        10, _("the SMS provider: give up connecting, or waiting for its answer, after (seconds)")
    ),
    "GATEWAY_TIMEOUT_SECONDS": Rule(
        10, _("the bank gateway: give up connecting, or waiting for its answer, after (seconds)")
    ),
    "WEB_TIMEOUT_SECONDS": Rule(
        60,
        _(
            "a web request still running after this long has its gunicorn worker killed and "
            "restarted (seconds; WEB_TIMEOUT in the environment overrides it)"
        ),
    ),
    # Process supervision: the scheduler's lock and what /health/ calls alive
    "SCHEDULER_LEASE_SECONDS": Rule(
        30,
        _(
            "the scheduler holding the lock renews it every tick (5 s); when it stops renewing, "
            "another scheduler takes over after this long (seconds)"
        ),
    ),
    "HEALTH_CHECK_TIMEOUT_SECONDS": Rule(
        3, _("each check of /health/ that takes longer is reported as timed out (seconds)")
    ),
    "HEALTH_WORKER_STALE_SECONDS": Rule(
        90,
        _(
            "/health/ counts a job worker alive only if its heartbeat (every 45 s when idle, "
            "30 s in a job) is newer than this (seconds)"
        ),
    ),
    "HEALTH_SCHEDULER_STALE_SECONDS": Rule(
        60, _("/health/ counts the scheduler alive only if it ticked within this (seconds)")
    ),
}


# Rule settings a site sets in site_config.json only, never in the desk: they are read when a
# process starts (the database's and Redis's time limits, the providers' time-outs, gunicorn's,
# the scheduler's lease, the request-size limit an import file sets), or by code that must
# answer when the database does not (the conflict retry, /health/), or that checks an upload
# before anything else (the decompression-bomb limit of images). The desk shows them and
# says where they are set. Every other rule is read through the rule_setting doctype's
# rule_value(), with the desk's changes effective from their dates.
SITE_ONLY: frozenset[str] = frozenset(
    {
        "DATABASE_CONNECT_TIMEOUT_SECONDS",
        "DATABASE_READ_TIMEOUT_SECONDS",
        "DATABASE_WRITE_TIMEOUT_SECONDS",
        "DATABASE_CONFLICT_ATTEMPTS",
        "REDIS_CONNECT_TIMEOUT_SECONDS",
        "REDIS_TIMEOUT_SECONDS",
        "SMS_TIMEOUT_SECONDS",
        "GATEWAY_TIMEOUT_SECONDS",
        "WEB_TIMEOUT_SECONDS",
        "SCHEDULER_LEASE_SECONDS",
        "HEALTH_CHECK_TIMEOUT_SECONDS",
        "HEALTH_WORKER_STALE_SECONDS",
        "HEALTH_SCHEDULER_STALE_SECONDS",
        "IMPORT_MAX_FILE_BYTES",
        "IMAGE_MAX_PIXELS",
    }
)


def rule_defaults() -> dict[str, Any]:
    """Every rule setting's default (fresh copies: a site's settings never change RULES)."""
    return {name: copy.deepcopy(rule.default) for name, rule in RULES.items()}


def site_rules(
    site_values: Mapping[str, Any], site_config: Mapping[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """settings.METER_SERVICE for a site: the defaults, then the site's values with deprecated
    names translated; and the notes on what was translated (system check W002).

    `site_config`, the whole site_config.json, is read for the time limits that lived
    outside "meter_service" before they were rules (OLD_PLACES)."""
    rules = rule_defaults()
    values, notes = translate_deprecated(site_values, rules)
    old_values, old_notes = _from_old_places(site_config or {}, values)
    rules.update(old_values)
    rules.update(values)
    return rules, notes + old_notes


# Time limits a site set elsewhere in site_config.json before they were rule settings: read
# there still, unless the rule is set too, and named by the system check until moved.
OLD_PLACES: dict[str, tuple[str, ...]] = {
    "DATABASE_CONNECT_TIMEOUT_SECONDS": ("database_connect_timeout",),
    "DATABASE_READ_TIMEOUT_SECONDS": ("database_read_timeout",),
    "DATABASE_WRITE_TIMEOUT_SECONDS": ("database_write_timeout",),
    "SMS_TIMEOUT_SECONDS": ("sms", "TIMEOUT"),
    "GATEWAY_TIMEOUT_SECONDS": ("gateway", "TIMEOUT"),
}


def _from_old_places(
    site_config: Mapping[str, Any], values: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    found: dict[str, Any] = {}
    notes: list[str] = []
    for name, path in OLD_PLACES.items():
        node: Any = site_config
        for key in path:
            node = node.get(key) if isinstance(node, Mapping) else None
        if node is None:
            continue
        where = ".".join(path)
        if name in values:
            notes.append(f"{where} is ignored: {name} is set under meter_service. Remove {where}.")
            continue
        found[name] = node
        notes.append(
            f"{where} is deprecated and was read as {name} = {node!r}. Move it under "
            "meter_service in the site's site_config.json."
        )
    return found, notes


# The in-service tolerance was once two settings: IN_SERVICE_TOLERANCE_PERCENT (± % by
# accuracy class, read by the process's generic test form) and IN_SERVICE_TOLERANCE_BANDS
# (± % by class and flow band, read by the test record). One rule, one setting: the bands.
OLD_TOLERANCE = "IN_SERVICE_TOLERANCE_PERCENT"
TOLERANCE_BANDS = "IN_SERVICE_TOLERANCE_BANDS"
FLOW_BANDS = ("low", "high")
# The SMS sweeper's settings, retired with it: the outbox retries every effect.
RETIRED = frozenset({"SMS_RESEND_AFTER_MINUTES", "SMS_RESEND_MAX_HOURS", "SMS_RESEND_MAX_ATTEMPTS"})


def translate_deprecated(
    site_values: Mapping[str, Any], defaults: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """Return a site's rule settings with deprecated names translated, and what was done.

    A site that still sets IN_SERVICE_TOLERANCE_PERCENT meant one tolerance per accuracy
    class, whatever the flow: it becomes that tolerance in both flow bands of its class
    (classes it does not name keep the default bands). When the site also sets
    IN_SERVICE_TOLERANCE_BANDS, that one wins and the old name is ignored.
    """
    values = dict(site_values)
    notes: list[str] = []
    for old_name in RETIRED & set(values):
        values.pop(old_name)
        notes.append(
            f"{old_name} is no longer read: lost and failed SMS are sent again by the "
            "outbox (OUTBOX_RETRY_HOURS). Remove it from the site's site_config.json."
        )
    if OLD_TOLERANCE not in values:
        return values, notes
    old = values.pop(OLD_TOLERANCE)
    if TOLERANCE_BANDS in values:
        notes.append(
            f"{OLD_TOLERANCE} is no longer read and is ignored: {TOLERANCE_BANDS} is also "
            f"set. Remove {OLD_TOLERANCE} from the site's site_config.json."
        )
        return values, notes
    bands = {cls: dict(by_band) for cls, by_band in defaults[TOLERANCE_BANDS].items()}
    for accuracy_class, percent in dict(old or {}).items():
        bands[str(accuracy_class)] = dict.fromkeys(FLOW_BANDS, percent)
    values[TOLERANCE_BANDS] = bands
    notes.append(
        f"{OLD_TOLERANCE} is deprecated and was read as {TOLERANCE_BANDS} = {bands} (the "
        f"class's tolerance in both flow bands). Replace it with {TOLERANCE_BANDS} in the "
        "site's site_config.json."
    )
    return values, notes


# --- the README's table ---------------------------------------------------------------------

TABLE_START = "<!-- settings-table:start -->"
TABLE_END = "<!-- settings-table:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default_text(value: Any) -> str:
    return "`" + json.dumps(value, ensure_ascii=False) + "`"


def markdown_table() -> str:
    """The rule settings as a Markdown table: name, default, meaning (in RULES' order).

    In English whatever the active language: the README is written in English."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    with translation.override("en"):
        lines += [
            f"| `{name}` | {_cell(_default_text(rule.default))} | {_cell(str(rule.meaning))} |"
            for name, rule in RULES.items()
        ]
    return "\n".join(lines) + "\n"


def readme_with_table(readme: str, table: str) -> str:
    """Return the README's text with `table` between its settings-table markers."""
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {TABLE_START} ... {TABLE_END} markers")
    return readme[: start + len(TABLE_START)] + "\n" + table + readme[end:]


def readme_table(readme: str) -> str:
    """The text between the README's settings-table markers (without the marker lines)."""
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"the README has no {TABLE_START} ... {TABLE_END} markers")
    return readme[start + len(TABLE_START) : end].lstrip("\n")
