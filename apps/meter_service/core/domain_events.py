"""Domain events: a document type says what happened; a type above it in the layers acts on
it, in the same transaction.

For effects that need no answer from the caller (a claim filed on the bill gets its bill
charge; a changed mobile is told to the old number), as Frappe's doc_events hooks do. The
publisher names the event (a frozen dataclass in its own package) and never imports the
subscriber; subscribers register when the app is ready (apps.py). Handlers run at once, in
order, inside the publisher's transaction: one that raises rolls the whole action back. An
event published with `required=True` and no subscriber fails loudly rather than dropping
an effect the action promised. Effects outside the database go through the outbox instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ImproperlyConfigured

Event = TypeVar("Event")

_subscribers: defaultdict[type, list[Callable[[Any], None]]] = defaultdict(list)


def subscribe(event_type: type[Event], handler: Callable[[Event], None]) -> None:
    """Call `handler(event)` for every event of `event_type` (once, however often asked)."""
    if handler not in _subscribers[event_type]:
        _subscribers[event_type].append(handler)


def publish(event: object, *, required: bool = False) -> None:
    """Hand the event to its subscribers, now, in the caller's transaction."""
    handlers = _subscribers.get(type(event), [])
    if required and not handlers:
        raise ImproperlyConfigured(f"Nothing subscribes to {type(event).__name__}.")
    for handler in list(handlers):
        handler(event)
