"""Pure rules of help articles: how their text is normalised for search."""

from __future__ import annotations

import re
import unicodedata

from apps.meter_service.core.identifiers import normalize_digits

# Arabic letters typed on Arabic keyboards, as Persian writes them.
LETTERS = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
    }
)
# Zero-width non-joiner (and its relatives): «می‌شود», «میشود» are one word to the search.
JOINERS = re.compile("[\u200c\u200d\u200e\u200f\u00ad\u0640]")
WORD = re.compile(r"\w+")
MAX_QUERY_WORDS = 8


def normalize(text: str) -> str:
    """Text as the search compares it: Persian letters, ASCII digits, no joiners, no
    diacritics (harakat), lower case, single spaces."""
    text = normalize_digits(str(text or "")).translate(LETTERS)
    text = JOINERS.sub("", text)
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    # NFKD splits آ into ا and a combining madda: keep it as the plain alef.
    return " ".join(WORD.findall(text.lower()))


def query_words(query: str) -> list[str]:
    """The words of a search, normalised; short queries with only noise give none."""
    words = normalize(query).split()
    return list(dict.fromkeys(w for w in words if len(w) > 1))[:MAX_QUERY_WORDS]


def search_text(*parts: str) -> str:
    return " ".join(normalize(part) for part in parts if part)
