"""Print the demo site's addresses and logins (scripts/serve shows this before starting)."""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from apps.meter_service.demo.data import DEMO_USERS
from apps.meter_service.permissions import DESK_ROLES, Role


class Command(BaseCommand):
    help = "Print the URLs and demo logins of the embedded site."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")
        parser.add_argument("--fake-port", default="8010")

    def handle(self, *args, port="8000", fake_port="8010", **options):
        base = f"http://127.0.0.1:{port}"
        fakes = f"http://127.0.0.1:{fake_port}"
        lines = [
            "",
            "Meter test service is running.",
            f"  Subscriber portal:  {base}/portal/   (log in with subscription number 1402001;",
            "                      the SMS code shows in the fake SMS inbox below)",
            f"  Counter offices:    {base}/office/",
            f"  Desk (staff):       {base}/desk/",
            f"  API docs (Swagger): {base}/api/docs/",
            f"  OpenAPI schema:     {base}/api/schema/",
            f"  Health:             {base}/health/",
            f"  Fake SMS inbox:     {fakes}/sms/inbox   (fake bank gateway: {fakes}/pg/)",
            "",
            f"Demo logins (password for all: {settings.DEMO_PASSWORD}):",
        ]
        where = {
            Role.SUBSCRIBER: "subscriber portal (SMS code, no password)",
            Role.COUNTER_OFFICE_OPERATOR: "counter-office portal /office/",
            Role.AGENCY_CLIENT: "REST API with a token",
        }
        with translation.override("en"):
            for username, role, *_ in DEMO_USERS:
                place = "desk /desk/" if role in DESK_ROLES else where[role]
                lines.append(f"  {username:<11} {Role(role).label!s:<26} {place}")
        lines += [
            "",
            "API token for the agency demo user: manage.py issue_api_token agency",
            "Two-factor sign-in: not required on this demo site (a real site requires it of the",
            "administrator and the service manager); enrol from the desk's sidebar to try it.",
            "",
        ]
        self.stdout.write("\n".join(lines))
