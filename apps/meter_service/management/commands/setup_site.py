"""Bring the active site's database up to date: migrate, fixtures, and optionally demo data."""

from __future__ import annotations

import json

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from apps.meter_service.integrations.fake import fake_provider_sections, is_fake_section
from sites import siteconfig


def use_fake_providers(name: str) -> list[str]:
    """Point a demo site's "sms" and "gateway" at the local fakes; return the sections written.

    A section the site already names is kept, unless it is the fake's own (then it follows
    FAKE_PROVIDERS_PORT). Only the demo does this: a site made otherwise has no provider until
    its administrator names one.
    """
    siteconfig.load_config(name)  # creates the embedded site's config the first time
    path = siteconfig.site_dir(name) / "site_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))  # as written: no env overrides
    written = []
    for key, fake in fake_provider_sections().items():
        current = config.get(key)
        if current and (not is_fake_section(current) or current == {**current, **fake}):
            continue
        config[key] = {**(current or {}), **fake}
        written.append(key)
    if written:
        siteconfig.write_config(name, config)
    return written


def relax_demo_sign_in(name: str) -> bool:
    """Let a demo site's manager and administrator into the desk without an authenticator
    app (STAFF_TOTP_REQUIRED_ROLES empty), unless its config says otherwise; return True
    when written. Their passwords are printed for anyone trying the demo; a real site keeps
    the default, and anyone may still enrol from the desk's sidebar."""
    path = siteconfig.site_dir(name) / "site_config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    rules = config.setdefault("meter_service", {})
    if "STAFF_TOTP_REQUIRED_ROLES" in rules:
        return False
    rules["STAFF_TOTP_REQUIRED_ROLES"] = []
    siteconfig.write_config(name, config)
    return True


class Command(BaseCommand):
    help = "Migrate the active site, load the fixtures and (with --demo) the demo data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Also load demo data, and point the site's SMS and payment gateway at the "
            "local fakes (manage.py fake_providers) unless it names real ones.",
        )
        parser.add_argument("--password", default=None, help="Password for the demo users.")
        parser.add_argument(
            "--fake-providers-only",
            action="store_true",
            help="Only point the site's SMS and gateway at the local fakes (scripts/serve does "
            "this before starting them, so the fakes expect the site's keys).",
        )

    def handle(self, *args, demo=False, password=None, fake_providers_only=False, **options):
        if fake_providers_only:
            for key in use_fake_providers(settings.SITE_NAME):
                self.stdout.write(f'site_config.json: "{key}" points at the local fake')
            return
        call_command("migrate", interactive=False, verbosity=0)
        call_command("load_fixtures", stdout=self.stdout)
        if demo:
            for key in use_fake_providers(settings.SITE_NAME):
                self.stdout.write(f'site_config.json: "{key}" points at the local fake')
            if relax_demo_sign_in(settings.SITE_NAME):
                self.stdout.write("site_config.json: the demo's desk asks for no app code")
            # This process read the settings before: the demo data it sends uses them too.
            sections = fake_provider_sections()
            config = siteconfig.load_config(settings.SITE_NAME)
            settings.METER_SMS = {**settings.METER_SMS, **config.get("sms", sections["sms"])}
            settings.METER_GATEWAY = {
                **settings.METER_GATEWAY,
                **config.get("gateway", sections["gateway"]),
            }
            call_command("load_demo", password=password, stdout=self.stdout)
