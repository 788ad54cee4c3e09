"""The process studio in a real browser: the service manager edits the process in the bpmn-js
Modeler, saves a draft, validates it, dry-runs it and deploys it."""

from __future__ import annotations

import os

import pytest

from apps.meter_service.doctype.process import services
from apps.meter_service.doctype.process.models import ProcessVersion
from apps.meter_service.permissions import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("METER_SCREENSHOTS", "/tmp")


def test_the_service_manager_drafts_checks_tries_and_deploys(
    page, live_server, make_user, installed, tariffs
):
    active = services.process_version_active()
    user = make_user(Role.SERVICE_MANAGER)
    page.goto(f"{live_server.url}/desk/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{live_server.url}/desk/meter_service/processversion/{active.pk}/studio/")
    page.wait_for_selector("[data-process-studio][data-ready='1']", timeout=20_000)
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.get_attribute("#studio-canvas", "dir") == "ltr"
    # The Modeler's palette, labelled in Persian through bpmn-js's translate module.
    assert page.locator("#studio-canvas .djs-palette").count() == 1
    title = page.get_attribute(
        "#studio-canvas .djs-palette [data-action='create.task']", "aria-label"
    )
    assert title and title != "Create task"
    page.screenshot(path=f"{SCREENSHOTS}/process-studio.png", full_page=True)

    # The decision tables open in dmn-js, still left to right.
    page.click("[data-studio-tab='test_verdict.dmn']")
    page.wait_for_selector("#studio-dmn .tjs-table", timeout=20_000)
    assert page.is_hidden("#studio-canvas")
    page.screenshot(path=f"{SCREENSHOTS}/process-studio-dmn.png", full_page=True)
    page.click("[data-studio-tab='']")

    # Draw: rename a step through the modeling module, then save as a draft.
    page.evaluate(
        """() => {
          const m = window.meterStudio.modeler;
          const task = m.get('elementRegistry').get('Task_schedule');
          m.get('modeling').updateLabel(task, 'Schedule the visit (studio)');
        }"""
    )
    with page.expect_navigation():
        page.click("[data-studio-action=save]")
    draft = ProcessVersion.objects.get(is_draft=True)
    assert "Schedule the visit (studio)" in draft.bpmn
    page.wait_for_selector("[data-process-studio][data-ready='1']", timeout=20_000)

    page.click("[data-studio-action=validate]")
    page.wait_for_selector("[data-process-studio][data-done=validate]", timeout=20_000)
    assert page.locator("#studio-problems li").count() == 0
    assert "Task_schedule" in page.text_content("#studio-result")

    page.click("[data-studio-action=dry_run]")
    page.wait_for_selector("[data-process-studio][data-done=dry_run]", timeout=30_000)
    assert "Task_test" in page.text_content("#studio-result")
    assert page.locator("#studio-canvas .djs-element.studio-visited").count() > 3
    page.screenshot(path=f"{SCREENSHOTS}/process-studio-dry-run.png", full_page=True)

    with page.expect_navigation():
        page.click("[data-studio-action=deploy]")
    draft.refresh_from_db()
    assert draft.is_active and not draft.is_draft
    assert errors == []
