"""Rule settings changed in the desk: in force from their date, with their history in the
table and the audit trail; site_config.json (settings.METER_SERVICE) until then."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.rule_reader import rule_in_force
from apps.meter_service.doctype.rule_setting import selectors
from apps.meter_service.doctype.rule_setting.error_codes import RuleSettingErrorCode as Code
from apps.meter_service.doctype.rule_setting.events import RuleSettingEvents
from apps.meter_service.doctype.rule_setting.models import RuleSettingChange
from apps.meter_service.doctype.rule_setting.selectors import rule_value, rules_overview
from apps.meter_service.doctype.rule_setting.services import rule_setting_change
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 12, 7)
TOMORROW = TODAY + datetime.timedelta(days=1)
NEXT_MONTH = TODAY + datetime.timedelta(days=30)


@pytest.fixture
def manager(make_user):
    return make_user(Role.SERVICE_MANAGER)


def change(name, value, *, actor, on=TODAY, reason="by the board's decision", today=TODAY):
    return rule_setting_change(
        name=name, value=value, effective_from=on, reason=reason, actor=actor, today=today
    )


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [str(e.code) for e in errors] for field, errors in error.error_dict.items()}


def test_without_a_change_the_site_setting_applies(settings):
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
    settings.METER_SERVICE = {**settings.METER_SERVICE, "PAYMENT_EXPIRY_DAYS": 3}
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 3
    assert rule_value("PAYMENT_EXPIRY_DAYS") == 3
    assert rule_in_force("PAYMENT_EXPIRY_DAYS") == 3


def test_a_change_from_tomorrow_applies_from_tomorrow_not_today(manager):
    change("PAYMENT_EXPIRY_DAYS", "۱۰", actor=manager, on=TOMORROW)
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TOMORROW) == 10
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=NEXT_MONTH) == 10


def test_the_latest_change_on_or_before_a_day_is_in_force(manager):
    change("VAT_PERCENT", "9", actor=manager, on=NEXT_MONTH)
    change("VAT_PERCENT", "8", actor=manager, on=TOMORROW)
    change("VAT_PERCENT", "12", actor=manager, on=TODAY)
    assert rule_value("VAT_PERCENT", on=TODAY) == 12
    assert rule_value("VAT_PERCENT", on=TOMORROW) == 8
    assert rule_value("VAT_PERCENT", on=NEXT_MONTH - datetime.timedelta(days=1)) == 8
    assert rule_value("VAT_PERCENT", on=NEXT_MONTH) == 9
    # Two changes for one date: the later made wins.
    change("VAT_PERCENT", "7", actor=manager, on=TOMORROW)
    assert rule_value("VAT_PERCENT", on=TOMORROW) == 7


def test_today_by_default_follows_the_clock(manager, monkeypatch):
    from django.utils import timezone

    change("PAYMENT_EXPIRY_DAYS", 10, actor=manager, on=TOMORROW)
    noon = datetime.datetime(2026, 12, 7, 9, 0, tzinfo=datetime.UTC)  # 12:30 in Tehran
    monkeypatch.setattr(timezone, "now", lambda: noon)
    assert rule_value("PAYMENT_EXPIRY_DAYS") == 7
    monkeypatch.setattr(timezone, "now", lambda: noon + datetime.timedelta(days=1))
    assert rule_value("PAYMENT_EXPIRY_DAYS") == 10


def test_the_change_is_recorded_with_old_and_new_value_and_audited(manager):
    made = change(
        "COMPLAINT_ESCALATION_ROLES", "service_manager\ncomplaints_officer", actor=manager
    )
    made.refresh_from_db()
    assert made.previous_value == ["service_manager"]
    assert made.value == ["service_manager", "complaints_officer"]
    assert made.changed_by == manager and made.reason == "by the board's decision"
    event = DocumentEvent.objects.get(event_type=RuleSettingEvents.RULE_SETTING_CHANGED)
    assert event.actor == manager and event.object_id == str(made.pk)
    assert event.parameters == {
        "name": "COMPLAINT_ESCALATION_ROLES",
        "old": ["service_manager"],
        "new": ["service_manager", "complaints_officer"],
        "effective_from": TODAY.isoformat(),
        "reason": "by the board's decision",
    }
    later = change("COMPLAINT_ESCALATION_ROLES", "complaints_officer", actor=manager, on=TOMORROW)
    assert later.previous_value == ["service_manager", "complaints_officer"]
    assert list(selectors.rule_history("COMPLAINT_ESCALATION_ROLES")) == [later, made]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"value": "abc"}, {"value": [Code.RULE_NOT_A_NUMBER]}),
        ({"value": "0"}, {"value": [Code.RULE_OUT_OF_RANGE]}),
        ({"reason": "  "}, {"reason": [Code.RULE_REASON_REQUIRED]}),
        ({"on": TODAY - datetime.timedelta(days=1)}, {"effective_from": [Code.RULE_IN_THE_PAST]}),
        (
            {"value": "x", "reason": "", "on": datetime.date(2020, 1, 1)},
            {
                "value": [Code.RULE_NOT_A_NUMBER],
                "reason": [Code.RULE_REASON_REQUIRED],
                "effective_from": [Code.RULE_IN_THE_PAST],
            },
        ),
        ({"value": "7"}, {"value": [Code.RULE_UNCHANGED]}),
    ],
)
def test_bad_input_writes_nothing(manager, kwargs, expected):
    arguments = {"value": "10", "on": TODAY, "reason": "why", **kwargs}
    with pytest.raises(ValidationError) as caught:
        change("PAYMENT_EXPIRY_DAYS", arguments.pop("value"), actor=manager, **arguments)
    assert codes(caught.value) == expected
    assert not RuleSettingChange.objects.exists()
    assert not DocumentEvent.objects.filter(
        event_type=RuleSettingEvents.RULE_SETTING_CHANGED
    ).exists()


def test_site_only_and_unknown_rules_are_refused(manager):
    with pytest.raises(ValidationError) as caught:
        change("DATABASE_READ_TIMEOUT_SECONDS", "30", actor=manager)
    assert codes(caught.value) == {"name": [Code.RULE_SITE_ONLY]}
    with pytest.raises(ValidationError) as caught:
        change("NO_SUCH_RULE", "30", actor=manager)
    assert codes(caught.value) == {"name": [Code.RULE_UNKNOWN]}
    assert not RuleSettingChange.objects.exists()


def test_the_overview_lists_every_rule_with_its_value_and_changes_to_come(manager):
    change("VAT_PERCENT", "9", actor=manager, on=TOMORROW)
    change("PAYMENT_EXPIRY_DAYS", "10", actor=manager, on=TODAY)
    rows = {row.name: row for row in rules_overview(on=TODAY)}
    assert rows["VAT_PERCENT"].value == 10 and not rows["VAT_PERCENT"].changed
    assert [(p.effective_from, p.value) for p in rows["VAT_PERCENT"].pending] == [(TOMORROW, 9)]
    assert rows["PAYMENT_EXPIRY_DAYS"].value == 10 and rows["PAYMENT_EXPIRY_DAYS"].changed
    assert not rows["DATABASE_READ_TIMEOUT_SECONDS"].editable


def test_reads_cost_no_query_once_kept(django_assert_num_queries):
    """A worker keeps the changes it read: rules read on hot paths cost no query."""
    RuleSettingChange.objects.create(
        name="VAT_PERCENT", value=9, previous_value=10, effective_from=TODAY, reason="r"
    )
    selectors.forget_kept_rules()
    with django_assert_num_queries(1):
        assert rule_value("VAT_PERCENT", on=TODAY) == 9
    with django_assert_num_queries(0):
        for _ in range(50):
            assert rule_value("VAT_PERCENT", on=TODAY) == 9
            assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
            assert rule_in_force("OTP_LENGTH") == 6


def test_a_change_is_seen_at_once_by_the_worker_that_made_it(
    manager, django_capture_on_commit_callbacks
):
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7  # kept now
    with django_capture_on_commit_callbacks(execute=True):
        change("PAYMENT_EXPIRY_DAYS", "10", actor=manager)
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 10


def test_a_kept_copy_is_read_again_after_its_time(monkeypatch, settings):
    # The embedded site's way: no shared cache to tell workers of a change (with one, the
    # service's change replaces the reference generation, which every worker checks).
    settings.METER_REFERENCE_CACHE = False
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
    # Another worker's change: this one hears nothing of it...
    RuleSettingChange.objects.create(
        name="PAYMENT_EXPIRY_DAYS", value=10, previous_value=7, effective_from=TODAY, reason="r"
    )
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
    # ...until its copy is older than KEEP_SECONDS.
    import time

    later = time.monotonic() + selectors.KEEP_SECONDS + 1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 10


def test_values_read_are_copies(manager):
    change("COMPLAINT_ESCALATION_ROLES", "complaints_officer", actor=manager)
    rule_value("COMPLAINT_ESCALATION_ROLES", on=TODAY).append("technician")
    assert rule_value("COMPLAINT_ESCALATION_ROLES", on=TODAY) == ["complaints_officer"]


def test_with_a_shared_cache_a_change_reaches_every_worker(settings, manager):
    from apps.meter_service import reference_data

    settings.METER_REFERENCE_CACHE = True
    reference_data.forget_local_copies()
    selectors.forget_kept_rules()
    with CaptureQueriesContext(connection) as queries:
        assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
        assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
    assert len(queries) == 1
    change("PAYMENT_EXPIRY_DAYS", "10", actor=manager)
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 10


def test_with_a_shared_cache_another_workers_change_is_seen_within_a_second(settings, monkeypatch):
    import time

    from apps.meter_service import reference_data

    settings.METER_REFERENCE_CACHE = True
    reference_data.forget_local_copies()
    selectors.forget_kept_rules()
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 7
    # Another worker's change, committed: it replaced the generation in the shared cache.
    RuleSettingChange.objects.create(
        name="PAYMENT_EXPIRY_DAYS", value=10, previous_value=7, effective_from=TODAY, reason="r"
    )
    reference_data.forget_reference_data()
    later = time.monotonic() + selectors.SHARED_KEEP_SECONDS + 0.1
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert rule_value("PAYMENT_EXPIRY_DAYS", on=TODAY) == 10
