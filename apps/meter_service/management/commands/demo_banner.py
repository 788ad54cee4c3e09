"""Print the demo site's addresses and logins (scripts/serve shows this before starting)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from apps.meter_service.demo import DEMO_USERS
from apps.meter_service.permissions import DESK_ROLES, Role


class Command(BaseCommand):
    help = "Print the URLs and demo logins of the embedded site."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, port="8000", **options):
        base = f"http://127.0.0.1:{port}"
        lines = [
            "",
            "Meter test service is starting.",
            f"  Desk (staff):       {base}/desk/",
            f"  API docs (Swagger): {base}/api/docs/",
            f"  OpenAPI schema:     {base}/api/schema/",
            f"  Health:             {base}/health/",
            "",
            f"Demo logins (password for all: {settings.DEMO_PASSWORD}):",
        ]
        for username, role, *_ in DEMO_USERS:
            where = "desk" if role in DESK_ROLES else "portal/API (not the desk)"
            lines.append(f"  {username:<11} {Role(role).label!s:<26} {where}")
        lines.append("")
        self.stdout.write("\n".join(lines))
