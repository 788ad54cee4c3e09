"""Issue an API token for an agency, counter-office, billing-system or IVR account."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.api.auth import TokenRefused, api_token_issue


class Command(BaseCommand):
    help = (
        "Issue a new API token for a user in role agency_client, counter_office_operator, "
        "billing_officer or call_centre_operator and print it: it is shown only now (only its "
        "hash is kept). Earlier tokens keep working until they expire unless --rotate. "
        "Refuse any other user."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Revoke the user's earlier tokens: they stop working now.",
        )
        parser.add_argument(
            "--status-lookup",
            action="store_true",
            help="Also let the account read any claim's status by tracking code (the IVR).",
        )

    def handle(self, *args, username, rotate, status_lookup, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user {username}.") from exc
        try:
            issued = api_token_issue(user=user, rotate=rotate, status_lookup=status_lookup)
        except TokenRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(issued.key)
