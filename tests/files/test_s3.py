"""Files on S3-compatible object storage: stored in the bucket, served only by the app.

A local S3 server (moto's server mode, tests/s3_fake.py) answers over real HTTP; every check
of what is in the bucket goes to it with boto3 directly. The site's MEDIA_ROOT is a folder
that must never come to exist: nothing lands on the web host's disk.
"""

from __future__ import annotations

import datetime
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from apps.meter_service import jobs
from apps.meter_service.permissions import Role
from sites import siteconfig
from tests.test_uploads import assert_served_only_to_readers, small_png


def fetch(url: str):
    """GET a URL outside Django (a browser following a redirect)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, refused.headers, refused.read()


@pytest.fixture
def scanned(make_claim, s3_storage):
    return make_claim(last_bill_scan=SimpleUploadedFile("bill.png", small_png()))


def owner_of(claim, make_user):
    subscriber = claim.subscriber
    if subscriber.user is None:
        subscriber.user = make_user(Role.SUBSCRIBER)
        subscriber.save(update_fields=["user"])
    return subscriber.user


def stranger(make_user, make_subscriber):
    user = make_user(Role.SUBSCRIBER)
    other = make_subscriber()
    other.user = user
    other.save(update_fields=["user"])
    return user


@pytest.mark.django_db
def test_a_claim_scan_is_an_object_in_the_bucket_and_nowhere_else(scanned, s3_storage, settings):
    name = scanned.last_bill_scan.name
    assert name.startswith("claims/bills/") and name.endswith(".png")
    assert s3_storage.object_keys() == [s3_storage.key(name)]  # under the site's own prefix
    assert s3_storage.body(name) == small_png()
    assert not settings.MEDIA_ROOT.exists()

    # A private object: no grant to everyone, and the field's link is the app's view.
    acl = s3_storage.server.client().get_object_acl(
        Bucket=s3_storage.bucket, Key=s3_storage.key(name)
    )
    assert not [g for g in acl["Grants"] if "AllUsers" in g["Grantee"].get("URI", "")]
    assert scanned.last_bill_scan.url == f"/files/{name}"


@pytest.mark.django_db
def test_the_view_streams_the_object_to_its_owner_and_staff_only(
    client, scanned, make_user, make_subscriber
):
    assert_served_only_to_readers(client, scanned, make_user, make_subscriber)
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = client.get(scanned.last_bill_scan.url)
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == small_png()


@pytest.mark.django_db
def test_presigned_links_go_only_to_readers_and_expire(
    client, scanned, s3_storage, make_user, make_subscriber, settings
):
    settings.METER_FILES_PRESIGNED_SECONDS = 30
    url = scanned.last_bill_scan.url

    client.force_login(stranger(make_user, make_subscriber))
    refused = client.get(url)
    assert refused.status_code == 404 and "Location" not in refused

    client.force_login(owner_of(scanned, make_user))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    link = response["Location"]
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == s3_storage.server.endpoint
    assert parts.path == f"/{s3_storage.bucket}/{s3_storage.key(scanned.last_bill_scan.name)}"
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["30"] and "X-Amz-Signature" in query

    status, headers, body = fetch(link)
    assert status == 200 and body == small_png()
    assert headers["Content-Type"] == "image/png"
    assert headers["Content-Disposition"].startswith("inline;")

    # The same link, 31 seconds on: the store refuses it.
    s3_storage.server.links.skew = datetime.timedelta(seconds=31)
    status, _headers, body = fetch(link)
    assert status == 403 and b"Request has expired" in body

    # A record whose object is gone answers 404, not a link to nothing.
    default_storage.delete(scanned.last_bill_scan.name)
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_complaint_attachment_is_stored_and_served_from_the_bucket(
    client, make_claim, make_user, make_subscriber, file_complaint, s3_storage, settings
):
    from helpdesk.models import FollowUpAttachment

    claim = make_claim()
    user = owner_of(claim, make_user)
    complaint = file_complaint(
        claim=claim,
        actor=user,
        attachments=[SimpleUploadedFile("photo.png", small_png(), "image/png")],
    )
    attachment = FollowUpAttachment.objects.get()
    assert s3_storage.body(attachment.file.name) == small_png()
    url = reverse("portal:complaint_attachment", args=[complaint.tracking_code, attachment.pk])
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert b"".join(response.streaming_content) == small_png()
    client.force_login(stranger(make_user, make_subscriber))
    assert client.get(url).status_code == 404
    assert not settings.MEDIA_ROOT.exists()


@pytest.mark.django_db
def test_an_import_stored_by_the_web_is_checked_by_a_worker_reading_the_bucket(
    client, admin_user, s3_storage, settings, tmp_path, django_capture_on_commit_callbacks
):
    from apps.meter_service.doctype.import_batch.models import ImportBatch, ImportStatus
    from tests.doctype.import_batch.test_import import subscriber_csv, subscriber_row

    settings.METER_JOBS_MODE = "inline"
    client.force_login(admin_user)
    content = subscriber_csv([subscriber_row(2401), subscriber_row(2402)])
    # The web process stores the file and queues the check; the check does not run here.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("admin:meter_service_importbatch_add"),
            {"target": "subscriber", "file": SimpleUploadedFile("s.csv", content)},
        )
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.UPLOADED and len(queued) == 1
    assert s3_storage.body(batch.file.name) == content
    assert not settings.MEDIA_ROOT.exists()

    # The worker, on another host: a disk of its own, a storage client of its own.
    settings.MEDIA_ROOT = tmp_path / "worker-disk"
    settings.STORAGES = {**settings.STORAGES}  # a fresh storage object, as in a new process
    jobs.import_batch_validate(batch.pk)  # what the queued job runs: the id, no path
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALID, batch.errors
    assert batch.total_rows == 2
    assert not settings.MEDIA_ROOT.exists()


@pytest.mark.django_db
def test_an_import_queued_in_redis_is_checked_by_a_worker_reading_the_bucket(
    client,
    admin_user,
    s3_storage,
    settings,
    tmp_path,
    rq_queue,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """The same, through a real RQ queue: the job in Redis names its outbox row, the row the
    batch, neither a file."""
    from rq import SimpleWorker

    from apps.meter_service.doctype.import_batch.models import ImportBatch, ImportStatus
    from apps.meter_service.doctype.outbox import services as outbox
    from apps.meter_service.doctype.outbox.models import OutboxJob
    from tests.doctype.import_batch.test_import import subscriber_csv, subscriber_row

    settings.METER_JOBS_MODE = "rq"
    monkeypatch.setattr(outbox, "_rq_queue", lambda name: rq_queue)
    client.force_login(admin_user)
    content = subscriber_csv([subscriber_row(2501)])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:meter_service_importbatch_add"),
            {"target": "subscriber", "file": SimpleUploadedFile("s.csv", content)},
        )
    batch = ImportBatch.objects.get()
    [job] = rq_queue.get_jobs()
    # In Redis: the outbox row's id; in the row: the job and the batch, never a file.
    [row] = OutboxJob.objects.all()
    assert job.func_name == outbox.RUN_PATH and job.args == (row.pk,)
    assert (row.path, row.args) == ("apps.meter_service.jobs.import_batch_validate", [batch.pk])
    assert not settings.MEDIA_ROOT.exists()

    settings.MEDIA_ROOT = tmp_path / "worker-disk"
    settings.STORAGES = {**settings.STORAGES}
    assert SimpleWorker([rq_queue], connection=rq_queue.connection).work(burst=True)
    job.refresh()
    assert job.get_status() == "finished"
    batch.refresh_from_db()
    assert batch.status == ImportStatus.VALID, batch.errors
    assert not settings.MEDIA_ROOT.exists()


@pytest.mark.django_db
def test_pdfs_are_made_with_the_files_on_s3(client, scanned, make_user, settings):
    client.force_login(make_user(Role.SERVICE_DESK_CLERK))
    response = client.get(reverse("portal:claim_receipt", args=[scanned.tracking_code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(getattr(response, "streaming_content", [response.content])).startswith(b"%PDF")
    assert not settings.MEDIA_ROOT.exists()


def test_a_site_config_names_its_bucket_and_prefix():
    config = {"files_backend": "s3", "s3_bucket": "meter-files", "files_presigned_seconds": 45}
    entry = siteconfig.file_storage(config, "qazvin")
    assert entry["BACKEND"] == siteconfig.S3_STORAGE
    options = entry["OPTIONS"]
    assert (options["bucket_name"], options["location"]) == ("meter-files", "qazvin")
    assert options["querystring_expire"] == 45 and options["file_overwrite"] is False
    local = siteconfig.file_storage({}, "qazvin")
    assert local["BACKEND"].endswith("FileSystemStorage")
    with pytest.raises(ValueError, match="s3_bucket"):
        siteconfig.file_storage({"files_backend": "s3"}, "qazvin")
    with pytest.raises(ValueError, match="files_backend"):
        siteconfig.file_storage({"files_backend": "ftp"}, "qazvin")


def test_the_proxy_modes_need_local_files(settings, s3_storage):
    from apps.meter_service.checks import check_site_config

    settings.METER_FILES_SENDFILE = "x-accel-redirect"
    assert "meter_service.E002" in [problem.id for problem in check_site_config(None)]
    settings.METER_FILES_SENDFILE = ""
    assert "meter_service.E002" not in [problem.id for problem in check_site_config(None)]


def new_site_config(*args: str) -> dict:
    """The config new_site writes for these arguments (without making the site)."""
    from apps.meter_service.management.commands.new_site import Command

    command = Command()
    options = vars(command.create_parser("manage.py", "new_site").parse_args(["qazvin", *args]))
    return command._config("qazvin", "sqlite:///db.sqlite3", "", options)


def test_new_site_writes_the_object_store_settings_but_not_its_keys(monkeypatch):
    from django.core.management import CommandError

    monkeypatch.setenv("METER_S3_SECRET_KEY", "not-in-the-file")
    config = new_site_config(
        "--sqlite",
        "--files-backend=s3",
        "--s3-endpoint=https://minio.example.ir",
        "--s3-bucket=meter-files",
        "--files-presigned-seconds=60",
    )
    assert {key: config[key] for key in config if key.startswith(("files_", "s3_"))} == {
        "files_backend": "s3",
        "s3_endpoint": "https://minio.example.ir",
        "s3_bucket": "meter-files",
        "s3_location": "qazvin",
        "files_presigned_seconds": 60,
    }
    assert "files_backend" not in new_site_config("--sqlite")  # the files folder, as before
    with pytest.raises(CommandError, match="needs --s3-bucket"):
        new_site_config("--sqlite", "--files-backend=s3")
    with pytest.raises(CommandError, match="presigned-seconds"):
        new_site_config(
            "--sqlite", "--files-backend=s3", "--s3-bucket=b", "--files-presigned-seconds=-1"
        )


def test_the_object_store_keys_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)
    siteconfig.write_config("qazvin", {"files_backend": "s3", "s3_bucket": "meter-files"})
    monkeypatch.setenv("METER_S3_ACCESS_KEY", "from-env")
    monkeypatch.setenv("METER_S3_SECRET_KEY", "secret-from-env")
    options = siteconfig.file_storage(siteconfig.load_config("qazvin"), "qazvin")["OPTIONS"]
    assert (options["access_key"], options["secret_key"]) == ("from-env", "secret-from-env")


@pytest.mark.django_db
def test_health_checks_the_bucket(client, s3_storage, settings):
    body = client.get("/health/").json()
    assert body["checks"]["files"]["status"] == "ok"
    assert body["checks"]["files"]["bucket"] == s3_storage.bucket

    missing = {**s3_storage.config, "s3_bucket": "meter-no-such-bucket"}
    settings.STORAGES = {**settings.STORAGES, "default": siteconfig.file_storage(missing, "test")}
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["files"]["status"] == "error"
