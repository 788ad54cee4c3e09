"""What happens to a claim that other document types act on (core/domain_events.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClaimFiledOnBill:
    """A claim whose fee goes on the next gas bill was filed (in this transaction): the fee
    must be charged to the bill (the payment doctype does it)."""

    claim: Any
