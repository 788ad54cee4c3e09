"""One in-service tolerance: a class 1.5 meter 2.5 % fast at Qmax, through every path.

IN_SERVICE_TOLERANCE_BANDS (by class and flow band, the OIML R137 MPE by default: class 1.5
±1.5 % from Qt to Qmax) is read by the desk's test record page, by the process's generic test
form (Task_test completed with one error figure) and is the `mpe` the DMN test_verdict gets.
A site that still sets the old IN_SERVICE_TOLERANCE_PERCENT keeps what it meant.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from apps.meter_service.checks import check_rule_settings
from apps.meter_service.core.jalali import format_date
from apps.meter_service.core.rule_settings import translate_deprecated
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.inspection.models import Inspection
from apps.meter_service.doctype.inspection.rules import band_tolerance
from apps.meter_service.engine import runner
from apps.meter_service.engine.decisions import decide_verdict
from apps.meter_service.engine.services import process_version_active
from sites import siteconfig

from .conftest import HIGH_FLOW, open_steps

# The class 1.5 G4 meter of the fixtures at Qmax (6 m³/h), 2.5 % fast.
FAST_AT_QMAX = {
    "flow_rate_m3h": HIGH_FLOW,
    "reference_volume_m3": "100",
    "meter_volume_m3": "102.5",
}
WIDE_BANDS = {"1.0": {"low": 2.0, "high": 2.0}, "1.5": {"low": 3.0, "high": 3.0}}


def _record_on_the_desk(claim, user, prover) -> Inspection:
    """POST the test record page with one point: the class 1.5 meter 2.5 % fast at Qmax."""
    with translation.override("fa"):
        tested_on = format_date(timezone.localdate() - datetime.timedelta(days=1))
    data = {
        "test_type": "field",
        "equipment": str(prover.pk),
        "tested_on": tested_on,
        "tested_time": "10:30",
        "serial_seen": claim.meter.serial,
        "seal_state": "intact",
        "notes": "",
        "points-TOTAL_FORMS": "1",
        "points-INITIAL_FORMS": "0",
        "points-MIN_NUM_FORMS": "0",
        "points-MAX_NUM_FORMS": "12",
        "_record": "1",
        **{f"points-0-{name}": str(value) for name, value in FAST_AT_QMAX.items()},
    }
    client = Client()
    client.force_login(user)
    response = client.post(reverse("admin:meter_service_inspection_record", args=[claim.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Inspection.objects.get(claim=claim)


@pytest.mark.django_db
def test_the_test_record_page_judges_it_fast(at_test, staff, prover):
    inspection = _record_on_the_desk(at_test, staff["technician"], prover)
    assert (inspection.error_percent, inspection.mpe, inspection.band) == (
        Decimal("2.50"),
        Decimal("1.50"),
        "high",
    )
    assert inspection.verdict == "fast"
    assert open_steps(at_test) == ["Task_replace"]


@pytest.mark.django_db
def test_the_generic_task_completion_judges_it_fast(at_test, step):
    step(at_test, "Task_test", outcome="tested", error_percent="2.5")
    assert open_steps(at_test) == ["Task_replace"]
    # The verdict's inputs and output, as the process's DMN test_verdict had them.
    instance = at_test.process
    workflow = runner.load(instance.version, instance.state)
    [decided] = [t for t in workflow.get_tasks() if t.task_spec.name == "Task_verdict"]
    assert (decided.data["mpe"], decided.data["verdict"]) == (1.5, "fast")


@pytest.mark.django_db
def test_the_dmn_gets_the_bands_tolerance_as_mpe(db):
    mpe = band_tolerance("1.5", "high", django_settings.METER_SERVICE["IN_SERVICE_TOLERANCE_BANDS"])
    assert mpe == Decimal("1.5")
    verdict = decide_verdict(
        version=process_version_active(),
        tampered=False,
        stopped=False,
        error_percent=Decimal("2.5"),
        mpe=mpe,
    )
    assert verdict == "fast"


@pytest.mark.django_db
def test_both_paths_follow_one_setting(at_test, staff, prover, step, make_claim, settings):
    """A site that widens the bands passes the meter on the record page and the form alike."""
    settings.METER_SERVICE = {**settings.METER_SERVICE, "IN_SERVICE_TOLERANCE_BANDS": WIDE_BANDS}
    inspection = _record_on_the_desk(at_test, staff["technician"], prover)
    assert inspection.verdict == "within_tolerance" and inspection.mpe == Decimal("3.00")
    at_test.refresh_from_db()
    assert at_test.outcome == "no_fault"

    other = claim_mark_paid(claim=make_claim(), reference="test-payment-2")
    step(other, "Task_schedule", test_type="field", visit_date="1405/09/10", visit_time="morning")
    step(other, "Task_test", outcome="tested", error_percent="2.5")
    other.refresh_from_db()
    assert other.outcome == "no_fault" and other.findings["mpe"] == 3.0


@pytest.mark.django_db
def test_the_old_setting_is_no_longer_read_at_run_time(at_test, step, settings):
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "IN_SERVICE_TOLERANCE_PERCENT": {"1.0": 2.0, "1.5": 3.0},
    }
    step(at_test, "Task_test", outcome="tested", error_percent="2.5")
    assert open_steps(at_test) == ["Task_replace"]


# --- a site_config.json that still sets the old name ---------------------------------------


def test_the_old_name_becomes_the_class_tolerance_in_both_bands():
    defaults = {
        "IN_SERVICE_TOLERANCE_BANDS": {"1.0": {"low": 2, "high": 1}, "1.5": {"low": 3, "high": 1.5}}
    }
    values, notes = translate_deprecated(
        {"IN_SERVICE_TOLERANCE_PERCENT": {"1.5": 3.0}, "VAT_PERCENT": 9}, defaults
    )
    assert values == {
        "VAT_PERCENT": 9,
        "IN_SERVICE_TOLERANCE_BANDS": {
            "1.0": {"low": 2, "high": 1},  # not named by the site: the default
            "1.5": {"low": 3.0, "high": 3.0},
        },
    }
    assert len(notes) == 1 and "IN_SERVICE_TOLERANCE_PERCENT is deprecated" in notes[0]


def test_the_new_name_wins_when_both_are_set():
    bands = {"1.5": {"low": 2.5, "high": 2.0}}
    values, notes = translate_deprecated(
        {"IN_SERVICE_TOLERANCE_PERCENT": {"1.5": 3.0}, "IN_SERVICE_TOLERANCE_BANDS": bands},
        {"IN_SERVICE_TOLERANCE_BANDS": {}},
    )
    assert values == {"IN_SERVICE_TOLERANCE_BANDS": bands}
    assert "ignored" in notes[0]


def test_a_site_without_the_old_name_is_untouched():
    assert translate_deprecated({"VAT_PERCENT": 9}, {}) == ({"VAT_PERCENT": 9}, [])


def test_the_system_check_names_the_deprecated_setting(settings):
    settings.METER_SERVICE_DEPRECATIONS = ["IN_SERVICE_TOLERANCE_PERCENT is deprecated …"]
    [warning] = check_rule_settings(None)
    assert warning.id == "meter_service.W002" and "IN_SERVICE_TOLERANCE_PERCENT" in warning.msg
    settings.METER_SERVICE_DEPRECATIONS = []
    assert check_rule_settings(None) == []


@pytest.fixture
def old_site():
    """A site whose site_config.json still sets IN_SERVICE_TOLERANCE_PERCENT."""
    name = f"tol_{uuid.uuid4().hex[:10]}"
    config = siteconfig.default_config(name)
    config["meter_service"] = {"IN_SERVICE_TOLERANCE_PERCENT": {"1.0": 2.0, "1.5": 3.0}}
    siteconfig.write_config(name, config)
    yield name
    shutil.rmtree(siteconfig.site_dir(name), ignore_errors=True)


def test_a_site_config_with_the_old_name_loads_as_the_bands(old_site):
    """Loaded by the settings module itself: the site's ±3 % for class 1.5 still holds, and
    `manage.py check` says to rename it."""
    env = {**os.environ, "METER_SITE": old_site}
    env.pop("METER_DATABASE_URL", None)
    env["DJANGO_SETTINGS_MODULE"] = "sites.settings"
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "print(json.dumps(settings.METER_SERVICE['IN_SERVICE_TOLERANCE_BANDS']))"
    )
    root = siteconfig.BASE_DIR
    shown = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    bands = json.loads(shown.stdout.strip().splitlines()[-1])
    assert bands["1.5"] == {"low": 3.0, "high": 3.0} and bands["1.0"] == {"low": 2.0, "high": 2.0}
    checked = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "meter_service.W002" in checked.stderr + checked.stdout
