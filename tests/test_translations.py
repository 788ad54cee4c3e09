"""The Persian catalogue is complete, compiled, and keeps every placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

CATALOGUE = Path(settings.LOCALE_PATHS[0]) / "fa" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


def _entries():
    return [e for e in polib.pofile(str(CATALOGUE / "django.po")) if not e.obsolete]


def test_every_message_is_translated():
    missing = [e.msgid for e in _entries() if not e.translated() or "fuzzy" in e.flags]
    assert missing == []


def test_translations_keep_placeholders():
    wrong = []
    for entry in _entries():
        translations = [entry.msgstr] if not entry.msgid_plural else entry.msgstr_plural.values()
        for text in translations:
            if sorted(PLACEHOLDER.findall(entry.msgid)) != sorted(PLACEHOLDER.findall(text)):
                wrong.append(entry.msgid)
    assert wrong == []


def test_compiled_catalogue_matches_the_source():
    compiled = {e.msgid: e.msgstr for e in polib.mofile(str(CATALOGUE / "django.mo"))}
    source = {e.msgid: e.msgstr for e in _entries() if not e.msgid_plural}
    stale = [msgid for msgid, text in source.items() if compiled.get(msgid) != text]
    assert stale == []


def test_persian_is_the_default_language():
    assert settings.LANGUAGE_CODE == "fa"
    with translation.override("fa"):
        assert translation.gettext("subscription number") == "شماره اشتراک"
        assert translation.get_language_bidi()
