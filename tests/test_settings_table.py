"""The rule settings: one defaults dictionary, and README.md's table generated from it."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation

from apps.meter_service.core import rule_settings
from sites.siteconfig import BASE_DIR

README = BASE_DIR / "README.md"


def _command_output(*args: str) -> str:
    out = io.StringIO()
    call_command("settings_table", *args, stdout=out)
    return out.getvalue()


def test_the_readme_table_is_the_commands_output():
    """Fails when a setting, default or meaning changed without `settings_table --write`."""
    in_readme = rule_settings.readme_table(README.read_text(encoding="utf-8"))
    assert in_readme == _command_output(), "run: manage.py settings_table --write"


def test_the_table_has_a_row_per_setting_with_its_default_and_meaning():
    table = _command_output()
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == list(rule_settings.RULES)
    assert "| `CORRECTION_APPROVAL_LIMIT_RIAL` | `10000000` | a bill correction above" in table
    assert all(rule.meaning for rule in rule_settings.RULES.values())


def test_every_rule_setting_has_its_default_in_the_one_dictionary():
    """settings.METER_SERVICE is RULES' defaults (the test site sets none of its own)."""
    assert set(settings.METER_SERVICE) == set(rule_settings.RULES)
    assert rule_settings.site_rules({})[0] == rule_settings.rule_defaults()


def test_a_sites_value_overrides_the_default_and_leaves_rules_alone():
    rules, notes = rule_settings.site_rules({"VAT_PERCENT": 9, "SLA_WORKDAY_HOURS": ["08:00"]})
    assert rules["VAT_PERCENT"] == 9 and rules["PAYMENT_EXPIRY_DAYS"] == 7 and notes == []
    rules["PROCESS_LANE_ROLES"]["technician"].append("x")
    assert rule_settings.RULES["PROCESS_LANE_ROLES"].default["technician"] == ["technician"]


def test_write_replaces_only_the_table_between_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\nBefore.\n\n<!-- settings-table:start -->\n| old | table |\n"
        "<!-- settings-table:end -->\n\nAfter.\n",
        encoding="utf-8",
    )
    assert "Updated" in _command_output("--write", "--readme", str(readme))
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nBefore.\n\n<!-- settings-table:start -->\n| setting |")
    assert text.endswith("|\n<!-- settings-table:end -->\n\nAfter.\n")
    assert "| old | table |" not in text
    assert rule_settings.readme_table(text) == _command_output()
    assert "up to date" in _command_output("--write", "--readme", str(readme))


def test_write_refuses_a_readme_without_the_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n", encoding="utf-8")
    with pytest.raises(CommandError, match="settings-table"):
        _command_output("--write", "--readme", str(readme))


def test_meanings_are_translated_but_the_table_stays_english():
    """The desk shows a rule's meaning in the reader's language; the README's table is English."""
    meaning = rule_settings.RULES["OTP_LENGTH"].meaning
    with translation.override("fa"):
        assert str(meaning) == "تعداد رقم‌های کد ورود"
        assert "| `OTP_LENGTH` | `6` | digits of a sign-in code |" in rule_settings.markdown_table()
    with translation.override("en"):
        assert str(meaning) == "digits of a sign-in code"
