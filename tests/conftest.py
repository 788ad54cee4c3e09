"""Shared fixtures: roles from the fixtures, a user per role, and valid master data."""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.utils import translation

from apps.meter_service.core import identifiers
from apps.meter_service.doctype.counter_office.services import office_create
from apps.meter_service.doctype.meter.services import meter_create, meter_install
from apps.meter_service.doctype.subscriber.services import subscriber_create
from apps.meter_service.integrations.fake import fake_provider_sections
from apps.meter_service.permissions import DESK_ROLES, Role
from tests import reference_rows
from tests.s3_fake import files_backend, s3_server, s3_storage  # noqa: F401

PASSWORD = "test-pass-1403"
_numbers = itertools.count(3000001)


@pytest.fixture(autouse=True)
def _site_language():
    """Each test starts in the site's language (Persian). A request through the test client
    or the API activates its own language in this thread and leaves it active afterwards,
    which made a later test's Persian message come out in English, depending on the order."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _inline_jobs(settings):
    """Run enqueued jobs synchronously on commit, unless a test asks for RQ or threads."""
    settings.METER_JOBS_MODE = "inline"
    # Jobs run inline here: printing every filed claim's receipt ahead would slow every test
    # that files one (tests/doctype/printout turn it on).
    settings.METER_PRINT_AHEAD = False
    # Like the demo site, the tests name the local fakes as providers unless the test site's
    # config names others (a site made otherwise has none: see test_providers_missing.py).
    fakes = fake_provider_sections()
    settings.METER_SMS = {**fakes["sms"], **settings.METER_SMS}
    settings.METER_GATEWAY = {**fakes["gateway"], **settings.METER_GATEWAY}
    # Figures computed on every view: a test's data must show at once (see test_cache.py).
    # Most tests sign staff in with force_login, which gives no second factor: the tests of
    # the two-factor sign-in (tests/desk/test_two_factor.py) put the site's default back.
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "DASHBOARD_CACHE_SECONDS": 0,
        "STAFF_TOTP_REQUIRED_ROLES": [],
    }


@pytest.fixture(autouse=True)
def _no_kept_reference_data():
    """Each test reads reference data afresh: a transactional test's tables are emptied at
    its end without the signals that tell the workers' copies (reference_data.py)."""
    from apps.meter_service import reference_data
    from apps.meter_service.doctype.rule_setting.selectors import forget_kept_rules

    reference_data.forget_local_copies()
    # Nor rule setting changes: a rolled-back test's rows must not be kept for the next.
    forget_kept_rules()


_DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
}


@pytest.fixture(autouse=True)
def _no_rule_changes_without_a_database(request, monkeypatch):
    """A test of pure code has no database, so no rule setting changes: the rules it reads are
    the settings' (as they were before rules could be changed in the desk)."""
    if request.node.get_closest_marker("django_db") or _DATABASE_FIXTURES & set(
        request.fixturenames
    ):
        return
    from apps.meter_service.doctype.rule_setting import selectors

    monkeypatch.setattr(selectors, "_changes", dict)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hash the test users' passwords cheaply: PBKDF2 costs about a second a user on CI's two
    cores and would dominate the desk and office runs. Sign-in code paths are the same."""
    # First in the list: new hashes are MD5; hashes made by a site's own process still verify.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(scope="session")
def _shipped_rows(django_db_setup, django_db_blocker) -> reference_rows.Snapshot | None:
    with django_db_blocker.unblock():
        return reference_rows.take()


@pytest.fixture(autouse=True)
def _shipped_rows_first(request):
    """A test that will have the shipped rows gets them before its other fixtures write: the
    snapshot goes only onto tables it found empty (a subscriber's audit event, say, or the
    process version filing makes), else the whole command runs, half a second a test."""
    if "roles" in request.fixturenames:
        request.getfixturevalue("roles")


@pytest.fixture
def roles(db, _shipped_rows):
    reference_rows.put_back(_shipped_rows)
    return {g.name: g for g in Group.objects.all()}


@pytest.fixture
def make_user(roles):
    """Return a factory: make_user(role, username=None) -> a user holding that role."""

    def make(role: str, username: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", role in DESK_ROLES)
        user = User.objects.create_user(
            username=username or f"{role}-{next(_numbers)}", password=PASSWORD, **extra
        )
        user.groups.add(roles[role])
        return user

    return make


def national_id(seed: int) -> str:
    nine = f"{(seed * 7919) % 10**9:09d}"
    if len(set(nine)) == 1 or nine[3:9] == "000000":
        nine = "123" + nine[3:]
    return nine + str(identifiers.national_id_check_digit(nine))


def subscriber_fields(number: str | None = None, **overrides) -> dict:
    number = number or str(next(_numbers))
    fields = {
        "subscription_number": number,
        "bill_id": identifiers.build_bill_id(number, "281", 3),
        "customer_type": "g2c",
        "national_id": national_id(int(number)),
        "name": "سارا محمدی",
        "mobile": "09121234567",
        "city": "قزوین",
        "address": "خیابان نادری، پلاک ۴",
        "climate_zone": 1,
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def make_subscriber(db):
    def make(**overrides):
        return subscriber_create(**subscriber_fields(**overrides))

    return make


@pytest.fixture
def make_meter(db):
    def make(serial: str | None = None, **overrides):
        fields = {
            "serial": serial or f"GT-{next(_numbers)}",
            "make": "Gaz Tajhiz",
            "model": "G4-R",
            "size": "G4",
            "accuracy_class": "1.5",
        }
        fields.update(overrides)
        return meter_create(**fields)

    return make


@pytest.fixture
def make_office(db):
    def make(code: str | None = None, **overrides):
        fields = {"code": code or str(next(_numbers)), "name": "دفتر پیشخوان", "city": "قزوین"}
        fields.update(overrides)
        return office_create(**fields)

    return make


@pytest.fixture
def installed(make_subscriber, make_meter):
    """A subscriber with a meter installed on 2022-03-21 at reading 100."""
    subscriber, meter = make_subscriber(), make_meter()
    installation = meter_install(
        subscriber=subscriber,
        meter=meter,
        installed_on=datetime.date(2022, 3, 21),
        initial_reading=Decimal("100"),
    )
    return installation


__all__ = ["PASSWORD", "Role", "national_id", "subscriber_fields"]


TEST_FEE = 1_500_000
OFFICE_FEE = 109_000


@pytest.fixture
def tariffs(db):
    """The meter test fee and the counter-office fee, in force since 1403/01/01."""
    from apps.meter_service.doctype.fee_tariff.services import fee_tariff_save

    start = datetime.date(2024, 3, 20)
    return {
        "test": fee_tariff_save(kind="meter_test", amount_rial=TEST_FEE, valid_from=start),
        "office": fee_tariff_save(kind="counter_office", amount_rial=OFFICE_FEE, valid_from=start),
    }


def claim_fields(**overrides) -> dict:
    """Valid keyword arguments for services.claim_file, reading taken today."""
    from django.utils import timezone

    fields = {
        "channel": "web",
        "reason": "fast",
        "last_reading": Decimal("850"),
        "last_reading_date": timezone.localdate(),
        "contact_mobile": "09121234567",
        "payment_method": "gateway",
        "last_bill_id": "",
        "last_payment_id": "",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def install(make_subscriber, make_meter):
    """Return a factory: install(**subscriber_fields) -> a subscriber with a meter at 100."""

    def make(**overrides):
        return meter_install(
            subscriber=make_subscriber(**overrides),
            meter=make_meter(),
            installed_on=datetime.date(2022, 3, 21),
            initial_reading=Decimal("100"),
        )

    return make


@pytest.fixture
def make_claim(installed, tariffs, roles):
    """Return a factory filing a claim for the installed meter (or another installation).

    With the shipped rows first (`roles`): filing makes process version 1 when there is none,
    and the rows' snapshot cannot be put back on top of it."""
    from apps.meter_service.core.identifiers import build_payment_id
    from apps.meter_service.doctype.claim.services import claim_file

    def make(installation=None, **overrides):
        installation = installation or installed
        subscriber = installation.subscriber
        fields = claim_fields(**overrides)
        if not fields["last_bill_id"] and "last_bill_scan" not in overrides:
            fields["last_bill_id"] = subscriber.bill_id
            fields["last_payment_id"] = build_payment_id(subscriber.bill_id, 2_350_000, 5, 6)
        return claim_file(subscriber=subscriber, **fields)

    return make
