"""Send the SMS held while the site named no SMS provider (once site_config.json names one)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.doctype.notification import services
from apps.meter_service.integrations.sms.adapter import sms_configured


class Command(BaseCommand):
    help = (
        'Hand the SMS held for want of a provider to the provider named under "sms" in '
        "site_config.json (the scheduler's sms_send_held job does the same every 5 minutes)."
    )

    def handle(self, *args, **options):
        if not sms_configured():
            raise CommandError(
                f"No SMS provider is configured; {services.sms_held_count()} messages are "
                'held. Name one under "sms" in site_config.json first.'
            )
        released = services.sms_release_held()
        self.stdout.write(f"Queued {released} held messages for the SMS provider.")
