"""What happens to a subscriber that other document types act on (core/domain_events.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MobileChanged:
    """A subscription's mobile changed, through whichever door: the old number is told (the
    notification doctype texts it)."""

    subscriber: Any
    old_mobile: str
