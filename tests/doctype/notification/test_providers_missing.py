"""A site without an "sms" (or "gateway") section has no provider: SMS are held, not failed,
and go out once one is configured; /health/ and the desk say so; online payment is refused."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from apps.meter_service.desk import provider_warnings
from apps.meter_service.doctype.notification import services
from apps.meter_service.doctype.notification.models import SmsMessage, SmsStatus
from apps.meter_service.doctype.payment.models import Payment
from apps.meter_service.doctype.payment.services import payment_start_gateway
from apps.meter_service.integrations.fake import fake_provider_sections
from apps.meter_service.management.commands.setup_site import use_fake_providers
from sites import siteconfig

pytestmark = pytest.mark.django_db

TEXT = "شرکت گاز: درخواست شما ثبت شد."
# What a site without an "sms" section has (sites/settings/base.py).
NO_PROVIDER = {"TIMEOUT": 10}


@pytest.fixture
def no_sms_provider(fake_sms, settings):
    """The fake provider runs (to show nothing reaches it) but the site does not name it."""
    configured = settings.METER_SMS
    settings.METER_SMS = dict(NO_PROVIDER)
    return configured


@pytest.fixture
def no_gateway(settings):
    settings.METER_GATEWAY = {"TIMEOUT": 10}


def _send(capture, **fields) -> SmsMessage:
    with capture(execute=True):
        message = services.sms_send(to="09121234567", body=TEXT, **fields)
    message.refresh_from_db()
    return message


def test_a_message_is_held_queued_without_a_try(
    no_sms_provider, fake_sms, django_capture_on_commit_callbacks
):
    message = _send(django_capture_on_commit_callbacks)
    assert message.status == SmsStatus.QUEUED
    assert message.attempts == 0 and message.last_attempt_at is None
    assert message.last_error == services.HELD_NOTE
    assert fake_sms.messages() == []
    # The job run again (a worker restart, a retry) still holds it: no loop of failures.
    services.sms_deliver(message_id=message.pk)
    message.refresh_from_db()
    assert (message.status, message.attempts) == (SmsStatus.QUEUED, 0)
    assert services.sms_held_count() == 1


def test_held_messages_go_out_once_a_provider_is_configured(
    no_sms_provider, fake_sms, settings, django_capture_on_commit_callbacks
):
    held = [_send(django_capture_on_commit_callbacks) for _ in range(2)]
    assert services.sms_release_held() == 0  # still no provider: nothing moves

    settings.METER_SMS = no_sms_provider
    with django_capture_on_commit_callbacks(execute=True):
        assert services.sms_release_held() == 2
    for message in held:
        message.refresh_from_db()
        assert message.status == SmsStatus.SENT and message.last_error == ""
    assert len(fake_sms.messages()) == 2
    assert services.sms_held_count() == 0


def test_a_held_sign_in_code_is_not_sent_late(
    no_sms_provider, fake_sms, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = services.sms_send(
            to="09121234567", body="کد ورود: 4821", redact=["4821"], template_key="otp"
        )
    message.refresh_from_db()
    assert message.status == SmsStatus.QUEUED and message.redacted
    settings.METER_SMS = no_sms_provider
    with django_capture_on_commit_callbacks(execute=True):
        services.sms_release_held()
    message.refresh_from_db()
    assert message.status == SmsStatus.FAILED and "masked" in message.last_error
    assert fake_sms.messages() == []


def test_the_command_sends_held_messages_or_says_none_is_configured(
    no_sms_provider, fake_sms, settings, django_capture_on_commit_callbacks
):
    message = _send(django_capture_on_commit_callbacks)
    with pytest.raises(CommandError, match="No SMS provider is configured; 1 messages"):
        call_command("sms_send_held", stdout=io.StringIO())

    settings.METER_SMS = no_sms_provider
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("sms_send_held", stdout=out)
    assert "Queued 1 held messages" in out.getvalue()
    message.refresh_from_db()
    assert message.status == SmsStatus.SENT


def test_the_periodic_job_is_scheduled(settings):
    paths = [job["path"] for job in settings.METER_PERIODIC_JOBS]
    assert "apps.meter_service.jobs.sms_send_held" in paths


# --- /health/ ---------------------------------------------------------------------------------


# Committed: /health/ runs each check in a thread of its own, on a connection of its own.
@pytest.mark.django_db(transaction=True)
def test_health_warns_without_an_sms_provider_and_stays_up(
    no_sms_provider, no_gateway, django_capture_on_commit_callbacks
):
    _send(django_capture_on_commit_callbacks)
    response = Client().get("/health/")
    assert response.status_code == 200
    body = response.json()
    # A warning, not a failure (with Redis, no worker runs here: the jobs are "degraded").
    assert body["status"] == ("degraded" if django_settings.REDIS_URL else "ok")
    sms = body["checks"]["sms"]
    assert sms["status"] == "warning" and sms["configured"] is False and sms["held"] == 1
    assert "no SMS provider is configured" in sms["warning"]
    gateway = body["checks"]["gateway"]
    assert gateway["status"] == "warning" and gateway["configured"] is False


def test_health_says_ok_with_providers(fake_sms):
    body = Client().get("/health/").json()
    assert body["checks"]["sms"]["status"] == "ok" and body["checks"]["sms"]["configured"]
    assert body["checks"]["gateway"]["status"] == "ok"


# --- the desk ---------------------------------------------------------------------------------


def _desk(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_desk_home_and_the_sms_list_warn_staff(no_sms_provider, no_gateway, make_user):
    client = _desk(make_user("system_admin"))
    home = client.get(reverse("admin:index"))
    page = home.content.decode()
    assert home.status_code == 200
    with translation.override("fa"):  # the desk speaks Persian by default
        expected = [escape(warning) for warning in provider_warnings()]
    assert len(expected) == 2 and all(warning in page for warning in expected)
    assert "meter-provider-warning" in page
    sms_list = client.get(reverse("admin:meter_service_smsmessage_changelist"))
    assert sms_list.status_code == 200
    warnings = [str(m) for m in sms_list.context["messages"]]
    assert len(warnings) == 1


def test_the_desk_is_quiet_with_providers(fake_sms, make_user):
    client = _desk(make_user("system_admin"))
    assert "meter-provider-warning" not in client.get(reverse("admin:index")).content.decode()
    sms_list = client.get(reverse("admin:meter_service_smsmessage_changelist"))
    assert [str(m) for m in sms_list.context["messages"]] == []


# --- the payment gateway ------------------------------------------------------------------------


def test_online_payment_is_refused_without_a_gateway(no_gateway, make_claim):
    claim = make_claim()
    with pytest.raises(ValidationError) as error:
        payment_start_gateway(claim=claim, callback_url="http://testserver/pay/back/")
    assert error.value.code == "gateway_unavailable"
    assert Payment.objects.count() == 0


# --- which sites name the fakes -------------------------------------------------------------


def test_only_the_demo_setup_points_a_site_at_the_fakes(tmp_path, monkeypatch):
    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)
    config = siteconfig.load_config("demo")  # a fresh embedded site's config
    assert "sms" not in config and "gateway" not in config

    assert use_fake_providers("demo") == ["sms", "gateway"]
    written = json.loads((tmp_path / "demo" / "site_config.json").read_text("utf-8"))
    assert written["sms"] == fake_provider_sections()["sms"]
    assert written["gateway"] == fake_provider_sections()["gateway"]
    assert use_fake_providers("demo") == []  # again: nothing to change


def test_the_demo_setup_keeps_a_real_provider(tmp_path, monkeypatch):
    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)
    config = siteconfig.default_config("demo")
    config["sms"] = {"BASE_URL": "https://api.kavenegar.com", "API_KEY": "real", "SENDER": "1"}
    siteconfig.write_config("demo", config)
    assert use_fake_providers("demo") == ["gateway"]
    written = json.loads((tmp_path / "demo" / "site_config.json").read_text("utf-8"))
    assert written["sms"]["API_KEY"] == "real"


def test_the_demo_desk_asks_no_app_code_unless_its_config_says(tmp_path, monkeypatch):
    from apps.meter_service.management.commands.setup_site import relax_demo_sign_in

    monkeypatch.setattr(siteconfig, "SITES_DIR", tmp_path)
    siteconfig.load_config("demo")
    assert relax_demo_sign_in("demo") is True
    written = json.loads((tmp_path / "demo" / "site_config.json").read_text("utf-8"))
    assert written["meter_service"]["STAFF_TOTP_REQUIRED_ROLES"] == []
    # A demo whose config chose otherwise keeps its choice.
    written["meter_service"]["STAFF_TOTP_REQUIRED_ROLES"] = ["system_admin"]
    siteconfig.write_config("demo", written)
    assert relax_demo_sign_in("demo") is False
    kept = json.loads((tmp_path / "demo" / "site_config.json").read_text("utf-8"))
    assert kept["meter_service"]["STAFF_TOTP_REQUIRED_ROLES"] == ["system_admin"]
