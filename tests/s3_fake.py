"""A local S3 server for the object-storage tests: moto's server mode over real HTTP.

moto speaks the S3 protocol (signed requests, buckets, objects, listings) but does not refuse
a presigned link once it has expired; real S3, MinIO and Ceph do. `ExpiringLinks` adds that
check in front of it, against a clock the test may move forward, so a test can show that a
link dies without waiting for it.

Import `s3_server` and `s3_storage` into a conftest.py to use them. The port is free one the
system gives, or $METER_TEST_S3_PORT.
"""

from __future__ import annotations

import datetime
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs

import pytest

ACCESS_KEY = "test-s3-access-key"
SECRET_KEY = "test-s3-secret-key"
REGION = "us-east-1"
EXPIRED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)


class ExpiringLinks:
    """WSGI middleware: a presigned (SigV4 query) request after its expiry gets 403."""

    def __init__(self, app) -> None:
        self.app = app
        self.skew = datetime.timedelta(0)  # how far the server's clock is ahead

    def __call__(self, environ, start_response):
        query = parse_qs(environ.get("QUERY_STRING", ""))
        if "X-Amz-Signature" in query:
            signed = datetime.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ")
            signed = signed.replace(tzinfo=datetime.UTC)
            lives = datetime.timedelta(seconds=int(query["X-Amz-Expires"][0]))
            if datetime.datetime.now(datetime.UTC) + self.skew > signed + lives:
                start_response(
                    "403 Forbidden",
                    [("Content-Type", "application/xml"), ("Content-Length", str(len(EXPIRED)))],
                )
                return [EXPIRED]
        return self.app(environ, start_response)


@dataclass
class S3Server:
    endpoint: str
    links: ExpiringLinks

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )


def _port() -> int:
    if os.environ.get("METER_TEST_S3_PORT"):
        return int(os.environ["METER_TEST_S3_PORT"])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server():
    """One S3 server for the whole run; every test makes a bucket of its own."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    links = ExpiringLinks(DomainDispatcherApplication(create_backend_app))
    server = make_server(
        "127.0.0.1", _port(), links, threaded=True, request_handler=MotoRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield S3Server(endpoint=f"http://127.0.0.1:{server.server_port}", links=links)
    finally:
        server.shutdown()
        thread.join(timeout=5)


def s3_config(server: S3Server, bucket: str, **extra) -> dict:
    """The site config keys of a site keeping its files in `bucket` on the test server."""
    return {
        "files_backend": "s3",
        "s3_endpoint": server.endpoint,
        "s3_bucket": bucket,
        "s3_region": REGION,
        "s3_access_key": ACCESS_KEY,
        "s3_secret_key": SECRET_KEY,
        **extra,
    }


@dataclass
class S3Site:
    server: S3Server
    bucket: str
    location: str
    config: dict

    def key(self, name: str) -> str:
        return f"{self.location}/{name}"

    def object_keys(self) -> list[str]:
        found = self.server.client().list_objects_v2(Bucket=self.bucket)
        return sorted(item["Key"] for item in found.get("Contents", []))

    def body(self, name: str) -> bytes:
        answer = self.server.client().get_object(Bucket=self.bucket, Key=self.key(name))
        return answer["Body"].read()


@pytest.fixture
def s3_storage(s3_server, settings, tmp_path, monkeypatch) -> S3Site:
    """The test site's files on the S3 server, in a fresh private bucket.

    MEDIA_ROOT points at a folder that does not exist: a file written to the local disk
    instead of the bucket shows up there.
    """
    from sites import siteconfig

    bucket = f"meter-test-{uuid.uuid4().hex[:12]}"
    s3_server.links.skew = datetime.timedelta(0)
    s3_server.client().create_bucket(Bucket=bucket)
    location = "test"
    config = s3_config(s3_server, bucket, s3_location=location)
    settings.MEDIA_ROOT = tmp_path / "local-disk"
    settings.STORAGES = {**settings.STORAGES, "default": siteconfig.file_storage(config, "test")}
    settings.METER_FILES_PRESIGNED_SECONDS = 0
    # restore reads the keys from the environment, as a site whose config leaves them out.
    monkeypatch.setenv("METER_S3_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("METER_S3_SECRET_KEY", SECRET_KEY)
    return S3Site(server=s3_server, bucket=bucket, location=location, config=config)


@pytest.fixture(params=["local", "s3"])
def files_backend(request, settings, tmp_path) -> S3Site | None:
    """Run the test twice: files in a folder of its own, then in a bucket (the S3Site)."""
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    settings.MEDIA_ROOT = tmp_path
    return None
