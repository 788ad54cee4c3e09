"""The claim's process as the document types see it: a port that the engine fills in.

Doctype services never import the engine (docs/architecture.md, the layers contract). Yet
filing a claim starts its process, a paid fee and a cancellation are messages to it, and
recording a test, a meter replacement or a bill correction completes the step the claim
waits at, in the same transaction. Those calls need answers there and then (did the process
take the cancellation? which step is open? may this user do it?), so they go through this
port rather than fire-and-forget events: the doctypes say what they need, the engine
registers its implementation when the app is ready (`engine/steps.py`, from `apps.py`), and
a missing registration fails loudly instead of skipping the process.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessEvents(models.TextChoices):
    """The audit events of process documents, with their names in the interface."""

    PROCESS_STEP = "process_step", _("Process step")
    PROCESS_VERSION_UPLOADED = "process_version_uploaded", _("Process version uploaded")
    PROCESS_VERSION_ACTIVATED = "process_version_activated", _("Process version activated")
    PROCESS_DRAFT_SAVED = "process_draft_saved", _("Process draft saved")
    PROCESS_VERSION_DEPLOYED = "process_version_deployed", _("Process draft deployed")


class OpenStep(Protocol):
    """A user task of a claim's process that waits to be done (the engine's ProcessTask)."""

    task_id: uuid.UUID
    element_id: str
    lane: str
    completed_at: datetime.datetime | None


class ProcessSteps(Protocol):
    def start(
        self,
        *,
        claim: Any,
        actor: Any = None,
        messages: tuple[tuple[str, dict[str, Any]], ...] = (),
        payment_due: datetime.datetime | None = None,
    ) -> None:
        """Start the claim's process (in the filing's transaction), passing it `messages`."""

    def send_message(
        self, *, claim: Any, name: str, payload: dict[str, Any] | None = None, actor: Any = None
    ) -> bool:
        """Pass a message to the claim's process; False when it does not wait for it."""

    def run_timers(self, *, now: datetime.datetime | None = None) -> list[int]:
        """Fire the due timers; return the ids of the claims whose process moved."""

    def lock(self, *, claim_id: int) -> None:
        """Lock the claim's process first, as every step does: one lock order for all."""

    def open_step(self, *, claim_id: int, element_id: str) -> OpenStep | None:
        """The claim's open step `element_id` (a BPMN id), or None when it is not there."""

    def check_can_complete(self, *, user: Any, step: OpenStep) -> None:
        """Raise PermissionDenied unless the user works the step's lane and sees the claim."""

    def complete(
        self,
        *,
        step: OpenStep,
        user: Any,
        data: dict[str, Any],
        extra: dict[str, Any] | None = None,
    ) -> None:
        """Complete the step with the user's data (validated against its form) and `extra`
        (computed by the application), and run the process on."""

    def decide_verdict(
        self,
        *,
        step: OpenStep,
        tampered: bool,
        stopped: bool,
        error_percent: Decimal | None,
        mpe: Decimal | None,
    ) -> str:
        """The test verdict that the step's process version decides for these findings."""


_engine: ProcessSteps | None = None


def register(engine: ProcessSteps) -> None:
    """Plug the process engine in (once, when the app is ready)."""
    global _engine
    _engine = engine


def process() -> ProcessSteps:
    """The registered process engine."""
    if _engine is None:
        raise ImproperlyConfigured("No process engine is registered (see engine/steps.py).")
    return _engine
