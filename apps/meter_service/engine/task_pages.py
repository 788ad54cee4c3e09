"""Desk pages made for one step, opened from the inbox instead of the generic task form.

A doctype registers a URL builder for a step id (`Task_replace` -> the work order's
completion page). The builder gets the ProcessTask and returns the page's URL, or None to
fall back to the form built from the BPMN fields (a claim started on an older version).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from apps.meter_service.engine.models import ProcessTask

UrlBuilder: TypeAlias = Callable[[ProcessTask], str | None]

_PAGES: dict[str, UrlBuilder] = {}


def register(task_id: str, url_builder: UrlBuilder) -> None:
    """Open `url_builder(task)` for the open steps with this BPMN id."""
    _PAGES[task_id] = url_builder


def page_for(task: ProcessTask) -> str | None:
    """The URL of the page made for this open step, or None for the generic form."""
    builder = _PAGES.get(task.element_id)
    if builder is None or not task.is_open:
        return None
    return builder(task)
