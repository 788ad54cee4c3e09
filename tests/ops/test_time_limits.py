"""Every time limit is a rule setting an operator finds in the README's table, and the site's
clients get it: database, Redis, the SMS provider, the bank gateway, gunicorn."""

from __future__ import annotations

import runpy

import pytest
from django.conf import settings

from apps.meter_service.core import rule_settings
from apps.meter_service.integrations.gateway.adapter import ZarinpalGateway
from apps.meter_service.integrations.sms.adapter import KavenegarSms
from sites import siteconfig
from sites.settings.base import _database

GUNICORN_CONF = str(settings.BASE_DIR / "sites" / "gunicorn.conf.py")


def test_the_limits_are_rules_with_their_defaults():
    rules = rule_settings.rule_defaults()
    assert rules["DATABASE_CONNECT_TIMEOUT_SECONDS"] == 5
    assert rules["REDIS_TIMEOUT_SECONDS"] == 2
    assert rules["SMS_TIMEOUT_SECONDS"] == rules["GATEWAY_TIMEOUT_SECONDS"] == 10
    assert rules["WEB_TIMEOUT_SECONDS"] == 60


def test_the_old_places_are_still_read_and_named():
    old = {"database_read_timeout": 30, "sms": {"TIMEOUT": 4}, "gateway": {"TIMEOUT": 6}}
    rules, notes = rule_settings.site_rules({}, old)
    assert rules["DATABASE_READ_TIMEOUT_SECONDS"] == 30
    assert rules["SMS_TIMEOUT_SECONDS"] == 4 and rules["GATEWAY_TIMEOUT_SECONDS"] == 6
    assert len(notes) == 3 and "sms.TIMEOUT is deprecated" in notes[1]

    rules, notes = rule_settings.site_rules({"SMS_TIMEOUT_SECONDS": 8}, old)
    assert rules["SMS_TIMEOUT_SECONDS"] == 8
    assert "sms.TIMEOUT is ignored: SMS_TIMEOUT_SECONDS is set" in notes[1]


def test_the_database_gets_the_sites_limits(monkeypatch):
    from sites.settings import base

    rules = {**base.METER_SERVICE, "DATABASE_CONNECT_TIMEOUT_SECONDS": 3}
    monkeypatch.setattr(base, "METER_SERVICE", rules)
    options = _database("mysql://user:password@127.0.0.1:3306/meter")["OPTIONS"]
    assert (options["connect_timeout"], options["read_timeout"], options["write_timeout"]) == (
        3,
        120,
        60,
    )


def test_the_providers_clients_get_the_sites_limits():
    assert settings.METER_SMS["TIMEOUT"] == settings.METER_SERVICE["SMS_TIMEOUT_SECONDS"]
    assert settings.METER_GATEWAY["TIMEOUT"] == settings.METER_SERVICE["GATEWAY_TIMEOUT_SECONDS"]
    assert KavenegarSms.from_settings().timeout == float(settings.METER_SMS["TIMEOUT"])
    assert ZarinpalGateway.from_settings().timeout == float(settings.METER_GATEWAY["TIMEOUT"])


@pytest.fixture
def site_with_web_timeout(new_site_name, monkeypatch):
    config = {**siteconfig.default_config(new_site_name), "meter_service": {}}
    config["meter_service"]["WEB_TIMEOUT_SECONDS"] = 45
    siteconfig.write_config(new_site_name, config)
    monkeypatch.setenv("METER_SITE", new_site_name)
    monkeypatch.delenv("WEB_TIMEOUT", raising=False)
    return monkeypatch


def test_gunicorn_takes_the_sites_web_timeout(site_with_web_timeout):
    assert runpy.run_path(GUNICORN_CONF)["timeout"] == 45
    site_with_web_timeout.setenv("WEB_TIMEOUT", "20")  # the environment overrides it
    assert runpy.run_path(GUNICORN_CONF)["timeout"] == 20
