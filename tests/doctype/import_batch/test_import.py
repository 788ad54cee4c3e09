"""Bulk import of master data: file checks, dry run, all-or-nothing import, desk pages."""

from __future__ import annotations

import csv
import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core import identifiers
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.import_batch import readers, services
from apps.meter_service.doctype.import_batch.models import ImportBatch, ImportStatus
from apps.meter_service.doctype.import_batch.selectors import import_batch_progress
from apps.meter_service.doctype.import_batch.targets import SPECS
from apps.meter_service.doctype.meter.models import Meter, MeterInstallation, MeterStatus
from apps.meter_service.doctype.meter.services import meter_create, meter_install
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.doctype.subscriber.services import subscriber_create

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"

SUBSCRIBER_COLUMNS = [
    "subscription_number",
    "bill_id",
    "customer_type",
    "national_id",
    "name",
    "mobile",
    "city",
    "address",
]


@pytest.fixture(autouse=True)
def _jobs_and_files(settings, tmp_path):
    """Run jobs inline on commit and keep uploaded files out of the site folder."""
    settings.METER_JOBS_MODE = "inline"
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def role_groups(db):
    call_command("loaddata", "fixtures/0001_roles.json", verbosity=0)
    return {group.name: group for group in Group.objects.all()}


@pytest.fixture
def desk_user(role_groups):
    def make(role: str) -> User:
        user = User.objects.create_user(username=f"{role}-user", password="pw", is_staff=True)
        user.groups.add(role_groups[role])
        return user

    return make


@pytest.fixture
def admin_user(desk_user):
    return desk_user("system_admin")


# --- file builders ------------------------------------------------------------------------


def national_id(seed: int) -> str:
    nine = f"{(123456789 + seed * 7919) % 10**9:09d}"
    return nine + str(identifiers.national_id_check_digit(nine))


def subscriber_row(number: int, **overrides) -> dict:
    row = {
        "subscription_number": str(number),
        "bill_id": identifiers.build_bill_id(number, "281", 3),
        "customer_type": "g2c",
        "national_id": national_id(number),
        "name": "سارا محمدی",
        "mobile": "09121234567",
        "city": "قزوین",
        "address": "خیابان نادری",
    }
    row.update(overrides)
    return row


def csv_bytes(header: list[str], rows: list[list[str]], *, delimiter=",", encoding="utf-8-sig"):
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)


def subscriber_csv(rows: list[dict], **options) -> bytes:
    return csv_bytes(
        SUBSCRIBER_COLUMNS, [[r[c] for c in SUBSCRIBER_COLUMNS] for r in rows], **options
    )


def xlsx_bytes(header: list, rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(capture, *, target: str, name: str, content: bytes, actor) -> ImportBatch:
    """Upload through the service and let the dry-run job run on commit."""
    with capture(execute=True):
        batch = services.import_batch_create(
            target=target, uploaded_file=SimpleUploadedFile(name, content), actor=actor
        )
    batch.refresh_from_db()
    return batch


def start(capture, batch: ImportBatch, actor) -> ImportBatch:
    with capture(execute=True):
        services.import_batch_start(batch=batch, actor=actor)
    batch.refresh_from_db()
    return batch


def written_state() -> dict:
    """Count master data and its audit rows (the batch's own events are not master data)."""
    batch_type = ContentType.objects.get_for_model(ImportBatch)
    return {
        "subscribers": Subscriber.objects.count(),
        "meters": Meter.objects.count(),
        "installations": MeterInstallation.objects.count(),
        "events": DocumentEvent.objects.exclude(content_type=batch_type).count(),
    }


# --- CSV, Persian ---------------------------------------------------------------------------


def persian_csv(rows: list[dict]) -> bytes:
    with translation.override("fa"):
        header = [str(Subscriber._meta.get_field(name).verbose_name) for name in SUBSCRIBER_COLUMNS]
    # The test is only worth something if the headers really are Persian.
    assert "شماره اشتراک" in header
    values = [
        [to_persian_digits(row[c]) if c != "customer_type" else row[c] for c in SUBSCRIBER_COLUMNS]
        for row in rows
    ]
    return csv_bytes(header, values)


def test_csv_with_persian_headers_and_digits_imports_subscribers(
    admin_user, django_capture_on_commit_callbacks
):
    rows = [subscriber_row(1201), subscriber_row(1202, customer_type="شهروند (G2C)")]
    before = written_state()

    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="مشترکان.csv",
        content=persian_csv(rows),
        actor=admin_user,
    )

    assert batch.status == ImportStatus.VALID, batch.errors
    assert (batch.total_rows, batch.created_rows, batch.updated_rows) == (2, 2, 0)
    assert [p["action"] for p in batch.preview] == ["create", "create"]
    assert batch.preview[0]["values"]["national_id"] == rows[0]["national_id"]
    assert written_state() == before, "the dry run must not leave anything behind"

    batch = start(django_capture_on_commit_callbacks, batch, admin_user)

    assert batch.status == ImportStatus.IMPORTED, batch.errors
    assert (batch.processed_rows, batch.created_rows) == (2, 2)
    saved = Subscriber.objects.get(subscription_number="1201")
    assert saved.national_id == rows[0]["national_id"]
    assert saved.bill_id == rows[0]["bill_id"]
    assert saved.mobile == "09121234567"
    assert Subscriber.objects.get(subscription_number="1202").customer_type == "g2c"
    events = DocumentEvent.objects.filter(event_type="subscriber_created")
    assert events.count() == 2
    assert all(e.parameters["source"] == "import" and e.actor == admin_user for e in events)
    assert set(
        DocumentEvent.objects.filter(object_id=str(batch.pk)).values_list("event_type", flat=True)
    ) >= {"import_validated", "import_started", "import_applied"}


def test_reimport_is_idempotent_and_updates_changes(admin_user, django_capture_on_commit_callbacks):
    rows = [subscriber_row(1301), subscriber_row(1302)]
    first = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="a.csv",
        content=subscriber_csv(rows),
        actor=admin_user,
    )
    start(django_capture_on_commit_callbacks, first, admin_user)
    after_first = written_state()

    again = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="a.csv",
        content=subscriber_csv(rows),
        actor=admin_user,
    )
    assert (again.status, again.created_rows, again.updated_rows) == ("valid", 0, 2)
    again = start(django_capture_on_commit_callbacks, again, admin_user)
    assert again.status == ImportStatus.IMPORTED
    assert written_state() == after_first, "an unchanged file changes nothing, not even audit"

    rows[1]["city"] = "تاکستان"
    changed = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="b.csv",
        content=subscriber_csv(rows, delimiter=";"),
        actor=admin_user,
    )
    changed = start(django_capture_on_commit_callbacks, changed, admin_user)
    assert changed.status == ImportStatus.IMPORTED
    assert Subscriber.objects.count() == 2
    assert Subscriber.objects.get(subscription_number="1302").city == "تاکستان"
    update = DocumentEvent.objects.get(event_type="subscriber_updated")
    assert update.parameters["changes"] == {"city": ["قزوین", "تاکستان"]}


def test_cp1256_csv_is_read(admin_user, django_capture_on_commit_callbacks):
    # The Arabic code page has Arabic yeh, not the Persian one.
    row = subscriber_row(1401, name="سارا محمدي", city="قزوين", address="خيابان نادري")
    content = subscriber_csv([row], encoding="cp1256", delimiter="\t")
    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="windows.csv",
        content=content,
        actor=admin_user,
    )
    assert batch.status == ImportStatus.VALID, batch.errors
    assert batch.preview[0]["values"]["name"] == "سارا محمدي"


# --- XLSX -----------------------------------------------------------------------------------


def test_xlsx_imports_meters(admin_user, django_capture_on_commit_callbacks):
    content = xlsx_bytes(
        ["Serial", "MAKE", "size", "Accuracy class", "manufacture year", "Last test date", "وضعیت"],
        [
            ["GT-5001", "Gaz Tajhiz", "G4", 1.5, 2019.0, datetime.date(2024, 1, 2), "In stock"],
            ["GT-5002", "Gaz Tajhiz", "g6", 1, 2020, "1403/05/12", "در انبار"],
        ],
    )
    batch = upload(
        django_capture_on_commit_callbacks,
        target="meter",
        name="meters.xlsx",
        content=content,
        actor=admin_user,
    )
    assert batch.status == ImportStatus.VALID, batch.errors
    batch = start(django_capture_on_commit_callbacks, batch, admin_user)
    assert batch.status == ImportStatus.IMPORTED, batch.errors

    first, second = Meter.objects.get(serial="GT-5001"), Meter.objects.get(serial="GT-5002")
    assert (first.accuracy_class, first.manufacture_year) == ("1.5", 2019)
    assert first.last_test_date == datetime.date(2024, 1, 2)
    assert (second.size, second.accuracy_class, second.status) == ("G6", "1.0", "in_stock")
    assert second.last_test_date == datetime.date(2024, 8, 2)  # 1403/05/12


def test_xlsx_cells_become_text_as_typed():
    assert readers.cell_text(12.0) == "12"
    assert readers.cell_text(1234567890123.0) == "1234567890123"
    assert readers.cell_text(12.5) == "12.5"
    assert readers.cell_text(datetime.datetime(2024, 1, 2)) == "2024-01-02"
    assert readers.cell_text(None) == ""


# --- errors: nothing written ----------------------------------------------------------------


def test_bad_row_makes_the_file_invalid_and_writes_nothing(
    admin_user, django_capture_on_commit_callbacks
):
    good, bad = subscriber_row(1501), subscriber_row(1502)
    bad["national_id"] = bad["national_id"][:9] + str((int(bad["national_id"][9]) + 1) % 10)
    before = written_state()

    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="bad.csv",
        content=subscriber_csv([good, bad]),
        actor=admin_user,
    )

    assert batch.status == ImportStatus.INVALID
    assert len(batch.errors) == 1
    error = batch.errors[0]
    assert (error["row"], error["field"]) == (3, "national_id")
    assert "check digit" in error["messages"]["en"]
    assert error["messages"]["fa"]
    assert written_state() == before
    with pytest.raises(ValidationError):
        services.import_batch_start(batch=batch, actor=admin_user)
    assert written_state() == before


def test_duplicate_key_in_one_file_is_a_row_error(admin_user, django_capture_on_commit_callbacks):
    rows = [subscriber_row(1601), subscriber_row(1602), subscriber_row(1601, name="دیگری")]
    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="dup.csv",
        content=subscriber_csv(rows),
        actor=admin_user,
    )
    assert batch.status == ImportStatus.INVALID
    assert [(e["row"], e["field"]) for e in batch.errors] == [(4, "subscription_number")]
    assert "row 2" in batch.errors[0]["messages"]["en"]
    assert Subscriber.objects.count() == 0


def test_apply_after_the_data_changed_fails_whole(admin_user, django_capture_on_commit_callbacks):
    subscriber = subscriber_create(**subscriber_row(1701))
    other = subscriber_create(**subscriber_row(1702))
    meter_a, meter_b = (
        meter_create(serial="GT-7001", make="X", size="G4"),
        meter_create(serial="GT-7002", make="X", size="G4"),
    )
    content = csv_bytes(
        ["subscription_number", "meter_serial", "installed_on"],
        [["1701", "GT-7001", "1402/01/15"], ["1702", "GT-7002", "1402/01/15"]],
    )
    batch = upload(
        django_capture_on_commit_callbacks,
        target="meter_installation",
        name="installs.csv",
        content=content,
        actor=admin_user,
    )
    assert batch.status == ImportStatus.VALID, batch.errors

    # Between the check and the import someone installs the second row's meter.
    meter_install(subscriber=other, meter=meter_b, installed_on=datetime.date(2023, 1, 1))
    before = written_state()

    batch = start(django_capture_on_commit_callbacks, batch, admin_user)

    assert batch.status == ImportStatus.FAILED
    assert [(e["row"], e["field"]) for e in batch.errors] == [(3, "meter_serial")]
    assert written_state() == before, "the first row, valid on its own, was not kept either"
    meter_a.refresh_from_db()
    assert meter_a.status == MeterStatus.IN_STOCK
    assert not MeterInstallation.objects.filter(subscriber=subscriber).exists()
    assert DocumentEvent.objects.filter(
        object_id=str(batch.pk), event_type="import_failed"
    ).exists()


def test_apply_refuses_a_stored_file_that_changed(admin_user, django_capture_on_commit_callbacks):
    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="a.csv",
        content=subscriber_csv([subscriber_row(1801)]),
        actor=admin_user,
    )
    with open(batch.file.path, "wb") as stored:
        stored.write(subscriber_csv([subscriber_row(1801), subscriber_row(1802)]))

    batch = start(django_capture_on_commit_callbacks, batch, admin_user)

    assert batch.status == ImportStatus.FAILED
    assert "changed" in batch.errors[0]["messages"]["en"]
    assert Subscriber.objects.count() == 0


# --- files refused up front ----------------------------------------------------------------


def _refused(target: str, name: str, content: bytes, actor) -> str:
    # The messages name columns in the language active when the file is read.
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.import_batch_create(
            target=target, uploaded_file=SimpleUploadedFile(name, content), actor=actor
        )
    assert ImportBatch.objects.count() == 0
    with translation.override("en"):
        return " ".join(caught.value.messages)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("photo.xlsx", PNG, "not an Excel workbook"),
        ("photo.csv", PNG, "not a CSV text file"),
        ("notes.txt", b"subscription_number\n1\n", "Upload a CSV or XLSX file"),
        ("empty.csv", b"", "empty"),
        ("header-only.csv", csv_bytes(SUBSCRIBER_COLUMNS, []), "no data rows"),
    ],
)
def test_wrong_files_are_refused(admin_user, name, content, expected):
    assert expected in _refused("subscriber", name, content, admin_user)


def test_a_zip_that_is_not_a_workbook_is_refused(admin_user):
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    assert "not an Excel workbook" in _refused(
        "subscriber", "letter.xlsx", buffer.getvalue(), admin_user
    )


def test_too_many_rows_and_too_large_files_are_refused(admin_user, settings):
    settings.METER_SERVICE = {**settings.METER_SERVICE, "IMPORT_MAX_ROWS": 2}
    rows = [subscriber_row(n) for n in (1901, 1902, 1903)]
    assert "more than 2 data rows" in _refused(
        "subscriber", "big.csv", subscriber_csv(rows), admin_user
    )
    settings.METER_SERVICE = {**settings.METER_SERVICE, "IMPORT_MAX_FILE_BYTES": 100}
    assert "too large" in _refused("subscriber", "big.csv", subscriber_csv(rows[:1]), admin_user)


def test_header_problems_are_refused_with_the_column_names(admin_user):
    columns = [c for c in SUBSCRIBER_COLUMNS if c != "mobile"]
    content = csv_bytes(columns, [[subscriber_row(2001)[c] for c in columns]])
    message = _refused("subscriber", "no-mobile.csv", content, admin_user)
    assert "required columns are missing" in message
    assert "mobile" in message

    content = csv_bytes([*SUBSCRIBER_COLUMNS, "colour"], [[*subscriber_row(2001).values(), "x"]])
    assert "Unknown columns: «colour»" in _refused("subscriber", "x.csv", content, admin_user)

    content = csv_bytes([*SUBSCRIBER_COLUMNS, "City"], [[*subscriber_row(2001).values(), "x"]])
    assert "more than once" in _refused("subscriber", "x.csv", content, admin_user)


# --- meter installations -------------------------------------------------------------------


def test_meter_installation_import(admin_user, django_capture_on_commit_callbacks):
    subscriber = subscriber_create(**subscriber_row(2101))
    meter_create(serial="GT-2101", make="X", size="G4")
    meter_create(serial="GT-2102", make="X", size="G4")
    with translation.override("fa"):
        header = [str(c.label) for c in SPECS["meter_installation"].columns]
    content = csv_bytes(
        header,
        [
            ["۲۱۰۱", "GT-2101", "۱۴۰۱/۰۱/۰۱", "۱۲٫۵", "", ""],
            # A later row replaces the meter the earlier row put in: the dry run sees it.
            ["2101", "GT-2102", "1402-06-01", "0", "Replacement", "۳۴۰"],
        ],
    )
    batch = upload(
        django_capture_on_commit_callbacks,
        target="meter_installation",
        name="نصب.csv",
        content=content,
        actor=admin_user,
    )
    assert batch.status == ImportStatus.VALID, batch.errors
    assert MeterInstallation.objects.count() == 0

    batch = start(django_capture_on_commit_callbacks, batch, admin_user)

    assert batch.status == ImportStatus.IMPORTED, batch.errors
    first, second = MeterInstallation.objects.filter(subscriber=subscriber).order_by("id")
    assert (first.meter.serial, first.installed_on) == ("GT-2101", datetime.date(2022, 3, 21))
    assert first.initial_reading == Decimal("12.5")
    assert (first.removed_on, first.final_reading) == (datetime.date(2023, 8, 23), Decimal("340"))
    assert (second.meter.serial, second.reason, second.is_current) == (
        "GT-2102",
        "replacement",
        True,
    )
    assert Meter.objects.get(serial="GT-2101").status == MeterStatus.RETIRED


def test_meter_installation_names_missing_records(admin_user, django_capture_on_commit_callbacks):
    subscriber_create(**subscriber_row(2201))
    content = csv_bytes(
        ["subscription_number", "meter_serial", "installed_on"],
        [["2201", "NOPE-1", "1402/01/01"], ["9999", "NOPE-2", "1402/01/01"]],
    )
    batch = upload(
        django_capture_on_commit_callbacks,
        target="meter_installation",
        name="x.csv",
        content=content,
        actor=admin_user,
    )
    assert batch.status == ImportStatus.INVALID
    assert sorted((e["row"], e["field"]) for e in batch.errors) == [
        (2, "meter_serial"),
        (3, "meter_serial"),
        (3, "subscription_number"),
    ]


# --- desk ----------------------------------------------------------------------------------


def _url(name: str, *args) -> str:
    return reverse(f"admin:meter_service_importbatch_{name}", args=args)


def test_desk_upload_check_progress_and_import(
    client, admin_user, django_capture_on_commit_callbacks
):
    client.force_login(admin_user)
    page = client.get(_url("add"))
    assert page.status_code == 200
    assert _url("template", "subscriber", "xlsx").encode() in page.content

    content = subscriber_csv([subscriber_row(2301), subscriber_row(2302)])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("add"),
            {"target": "subscriber", "file": SimpleUploadedFile("s.csv", content)},
        )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("change", batch.pk)
    assert batch.created_by == admin_user

    page = client.get(_url("change", batch.pk))
    assert page.status_code == 200
    assert _url("start", batch.pk).encode() in page.content  # the "Import now" form
    assert "2301" in page.content.decode() or to_persian_digits("2301") in page.content.decode()

    progress = client.get(_url("progress", batch.pk)).json()
    assert progress["status"] == "valid"
    assert (progress["processed"], progress["total"], progress["percent"]) == (2, 2, 100)
    assert progress["running"] is False

    assert client.get(_url("start", batch.pk)).status_code == 405
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("start", batch.pk))
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == ImportStatus.IMPORTED
    assert Subscriber.objects.filter(subscription_number__in=["2301", "2302"]).count() == 2

    page = client.get(_url("change", batch.pk))
    assert _url("start", batch.pk).encode() not in page.content
    listing = client.get(_url("changelist"))
    assert listing.status_code == 200
    assert b"s.csv" in listing.content


def in_english(client) -> None:
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"


def test_desk_refuses_a_bad_file_on_the_form(client, admin_user):
    client.force_login(admin_user)
    in_english(client)
    response = client.post(
        _url("add"), {"target": "subscriber", "file": SimpleUploadedFile("photo.xlsx", PNG)}
    )
    assert response.status_code == 200
    assert "not an Excel workbook" in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_desk_batch_page_lists_errors(client, admin_user, django_capture_on_commit_callbacks):
    bad = subscriber_row(2401, mobile="12345")
    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="bad.csv",
        content=subscriber_csv([bad]),
        actor=admin_user,
    )
    client.force_login(admin_user)
    in_english(client)
    page = client.get(_url("change", batch.pk))
    text = page.content.decode()
    assert page.status_code == 200
    assert batch.errors[0]["field"] == "mobile"
    assert batch.errors[0]["messages"]["en"] in text
    assert _url("start", batch.pk) not in text


def test_templates_hold_the_header_in_the_active_language(client, admin_user):
    client.force_login(admin_user)
    response = client.get(_url("template", "subscriber", "csv"))
    assert response.status_code == 200
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("شماره اشتراک,")

    response = client.get(_url("template", "meter", "xlsx"))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    with translation.override("fa"):
        expected = [str(c.label) for c in SPECS["meter"].columns]
    assert [cell.value for cell in sheet[1]] == expected
    assert client.get(_url("template", "nothing", "csv")).status_code == 404


def test_technician_may_not_upload(
    client, desk_user, admin_user, django_capture_on_commit_callbacks
):
    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="a.csv",
        content=subscriber_csv([subscriber_row(2501)]),
        actor=admin_user,
    )
    client.force_login(desk_user("technician"))
    assert client.get(_url("add")).status_code == 403
    assert client.post(_url("add"), {"target": "subscriber"}).status_code == 403
    assert client.get(_url("template", "subscriber", "csv")).status_code == 403
    assert client.get(_url("progress", batch.pk)).status_code == 403
    assert client.post(_url("start", batch.pk)).status_code == 403
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALID


def test_service_manager_may_upload(client, desk_user):
    client.force_login(desk_user("service_manager"))
    assert client.get(_url("add")).status_code == 200


def test_progress_selector_reads_the_running_count(admin_user, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from apps.meter_service.doctype.import_batch.selectors import progress_key

    batch = upload(
        django_capture_on_commit_callbacks,
        target="subscriber",
        name="a.csv",
        content=subscriber_csv([subscriber_row(2601)]),
        actor=admin_user,
    )
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.IMPORTING)
    batch.refresh_from_db()
    cache.set(progress_key(batch.pk), {"processed": 30, "total": 120})
    assert import_batch_progress(batch) == {
        "status": "importing",
        "processed": 30,
        "total": 120,
        "percent": 25,
    }
    assert json.loads(json.dumps(import_batch_progress(batch)))["percent"] == 25
