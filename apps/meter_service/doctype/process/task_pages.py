"""Steps that have a page of their own instead of the form built from the BPMN's fields.

A document type registers the page for a step id (e.g. the meter test record for
`Task_test`); the task inbox sends people there when they open such a step.
"""

from __future__ import annotations

from collections.abc import Callable

from apps.meter_service.doctype.process.models import ProcessTask

TASK_PAGES: dict[str, Callable[[ProcessTask], str]] = {}


def register_task_page(element_id: str, url_for: Callable[[ProcessTask], str]) -> None:
    """Open `element_id`'s tasks on the page whose URL url_for(task) returns."""
    TASK_PAGES[element_id] = url_for


def task_page_url(task: ProcessTask) -> str | None:
    """The URL of the open task's own page, or None to use the generic task form."""
    url_for = TASK_PAGES.get(task.element_id)
    if url_for is None or not task.is_open:
        return None
    return url_for(task)
