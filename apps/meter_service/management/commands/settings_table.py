"""Print the rule settings (name, default, meaning) as Markdown; --write puts it in README.md."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.meter_service.core.rule_settings import markdown_table, readme_with_table
from sites.siteconfig import BASE_DIR


class Command(BaseCommand):
    help = (
        'Print the rule settings of site_config.json\'s "meter_service" as a Markdown table '
        "(from apps/meter_service/core/rule_settings.py); --write replaces the table in README.md "
        "between its settings-table markers."
    )
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--write", action="store_true", help="Write the table into the README instead."
        )
        parser.add_argument(
            "--readme", default=str(BASE_DIR / "README.md"), help="The README to write into."
        )

    def handle(self, *args, write=False, readme="", **options):
        table = markdown_table()
        if not write:
            self.stdout.write(table, ending="")
            return
        path = Path(readme)
        text = path.read_text(encoding="utf-8")
        try:
            updated = readme_with_table(text, table)
        except ValueError as exc:
            raise CommandError(f"{path}: {exc}") from exc
        if updated != text:
            path.write_text(updated, encoding="utf-8")
            self.stdout.write(f"Updated the settings table in {path}.")
        else:
            self.stdout.write(f"The settings table in {path} is up to date.")
