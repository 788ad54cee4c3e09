"""Fetch the texts sent to the short code from the provider's receive API and answer them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.doctype.notification.inbound import inbound_poll
from apps.meter_service.integrations.sms.adapter import SmsError, sms_config, sms_configured


class Command(BaseCommand):
    help = (
        'Ask the SMS provider for the unread texts to the short code (SENDER under "sms" '
        "in site_config.json) and answer each, once per message id: for a site the provider "
        "cannot reach with its webhook (/sms/inbound/<INBOUND_SECRET>/)."
    )

    def handle(self, *args, **options):
        if not sms_configured() or not sms_config().get("SENDER"):
            raise CommandError('Name an SMS provider and its line under "sms" in site_config.json.')
        try:
            new = inbound_poll()
        except SmsError as exc:
            raise CommandError(f"The SMS provider did not answer: {exc.detail}") from exc
        self.stdout.write(f"Answered {new} new texts.")
