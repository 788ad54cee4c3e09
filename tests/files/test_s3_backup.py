"""manage.py backup and restore of a site whose files are in an object store.

The archive holds the objects read through the storage API; the restored site writes them
back through its own storage, under its own prefix in the bucket, never over the original's.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import uuid

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError

from apps.meter_service import backups
from apps.meter_service.management.commands import new_site
from sites import siteconfig
from tests.ops.test_backup import files_of, restore, run
from tests.test_uploads import small_png

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def source_site(s3_storage, settings):
    """The site backed up: its config names the bucket; the keys come from the environment."""
    name = f"h_s3src_{uuid.uuid4().hex[:8]}"
    config = {
        key: value
        for key, value in s3_storage.config.items()
        if key not in ("s3_access_key", "s3_secret_key")
    }
    config.update(
        s3_location=s3_storage.location,
        secret_key=backups.new_secret_key(),
        database_url="sqlite:///unused",
        redis_url="",
    )
    siteconfig.write_config(name, config)
    settings.SITE_NAME = name
    yield name
    shutil.rmtree(siteconfig.site_dir(name), ignore_errors=True)


def drop_database(server_url: str, site: str) -> None:
    account = new_site.ServerAccount.from_url(server_url)
    conn = account.connect()
    try:
        conn.cursor().execute(f"DROP DATABASE IF EXISTS `{new_site.database_name(site)}`")
    finally:
        conn.close()


def test_a_site_on_s3_is_backed_up_and_restored_under_its_own_prefix(
    roles, make_claim, s3_storage, source_site, restored_site, server_url, tmp_path
):
    make_claim(last_bill_scan=SimpleUploadedFile("bill.png", small_png()))
    default_storage.save("imports/2026/01/مشترکین.csv", ContentFile("شماره,نام\n1,سارا\n".encode()))
    default_storage.save("documents/receipt-1.pdf", ContentFile(b"%PDF-1.4 " + bytes(70_000)))
    files = files_of(default_storage)
    assert len(files) == 3
    before = s3_storage.object_keys()
    assert all(key.startswith(f"{s3_storage.location}/") for key in before)

    archive = tmp_path / "site.tar.gz"
    run("backup", "--output", str(archive))
    manifest = backups.unpack(archive, tmp_path / "unpacked").manifest
    for name, data in files.items():
        assert manifest["sha256"][f"files/{name}"] == hashlib.sha256(data).hexdigest()

    out = restore(archive, restored_site, server_url)
    assert f"Site {restored_site} restored" in out and "Files restored: 3" in out
    site = siteconfig.site_dir(restored_site)
    config = json.loads((site / "site_config.json").read_text())
    assert config["files_backend"] == "s3" and config["s3_bucket"] == s3_storage.bucket
    assert config["s3_location"] == restored_site
    assert "s3_access_key" not in config and "s3_secret_key" not in config
    # The copy's objects, read from the bucket with boto3; the original's are untouched.
    copied = [key for key in s3_storage.object_keys() if key.startswith(f"{restored_site}/")]
    assert sorted(copied) == sorted(f"{restored_site}/{name}" for name in files)
    for name, data in files.items():
        answer = s3_storage.server.client().get_object(
            Bucket=s3_storage.bucket, Key=f"{restored_site}/{name}"
        )
        assert answer["Body"].read() == data
    assert [key for key in s3_storage.object_keys() if key not in copied] == before
    assert not list((site / "files").iterdir())  # nothing on the local disk

    # Its prefix is taken now: refused without --force, even once its folder is gone.
    shutil.rmtree(site)
    if server_url:  # and its database (else that is refused first)
        drop_database(server_url, restored_site)
    with pytest.raises(CommandError, match="object store holds 3 files"):
        restore(archive, restored_site, server_url)
    restore(archive, restored_site, server_url, "--force")
    copied_again = [key for key in s3_storage.object_keys() if key.startswith(f"{restored_site}/")]
    assert sorted(copied_again) == sorted(copied)
