"""The process studio in a real browser: the service manager edits the process in the bpmn-js
Modeler, saves a draft, validates it, dry-runs it and deploys it."""

from __future__ import annotations

import os

import pytest

from apps.meter_service.engine import services
from apps.meter_service.engine.models import ProcessVersion
from apps.meter_service.permissions import Role
from tests.browser.test_accessibility import axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("METER_SCREENSHOTS", "/tmp")


def test_the_service_manager_drafts_checks_tries_and_deploys(
    page, live_server, make_user, installed, tariffs
):
    active = services.process_version_active()
    user = make_user(Role.SERVICE_MANAGER)
    log_in(page, live_server, user)
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
    assert axe_violations(page) == []

    # The decision tables open in dmn-js, still left to right.
    page.click("[data-studio-tab='test_verdict.dmn']")
    page.wait_for_selector("#studio-dmn .tjs-table", timeout=20_000)
    assert page.is_hidden("#studio-canvas")
    page.screenshot(path=f"{SCREENSHOTS}/process-studio-dmn.png", full_page=True)
    page.click("[data-studio-tab='']")

    # Draw: rename a step and add a note through the modeling module, then save a draft.
    page.evaluate(
        """() => {
          const m = window.meterStudio.modeler;
          const task = m.get('elementRegistry').get('Task_schedule');
          m.get('modeling').updateLabel(task, 'Schedule the visit (studio)');
          const note = m.get('elementFactory').createShape({type: 'bpmn:TextAnnotation'});
          m.get('modeling').createShape(note, {x: 420, y: 40}, m.get('canvas').getRootElement());
          m.get('modeling').updateLabel(note, 'Drawn in the studio');
        }"""
    )
    with page.expect_navigation():
        page.click("[data-studio-action=save]")
    draft = ProcessVersion.objects.get(is_draft=True)
    assert "Schedule the visit (studio)" in draft.bpmn
    assert "Drawn in the studio" in draft.bpmn and "bpmn:textAnnotation" in draft.bpmn
    page.wait_for_selector("[data-process-studio][data-ready='1']", timeout=20_000)

    # An unsafe condition: the checks name the flow, which is marked on the diagram.
    flow_id = page.evaluate(
        """() => {
          const m = window.meterStudio.modeler;
          const flow = m.get('elementRegistry').filter(
            (e) => e.businessObject.conditionExpression)[0];
          window.keptCondition = flow.businessObject.conditionExpression.body;
          const bad = m.get('moddle').create('bpmn:FormalExpression',
            {body: '().__class__.__bases__[0].__subclasses__()'});
          m.get('modeling').updateProperties(flow, {conditionExpression: bad});
          return flow.id;
        }"""
    )
    page.click("[data-studio-action=validate]")
    page.wait_for_selector("[data-process-studio][data-done=validate]", timeout=20_000)
    assert flow_id in page.text_content("#studio-problems")
    assert page.locator(f'.djs-element.studio-problem[data-element-id="{flow_id}"]').count() == 1
    page.click(f"#studio-problems button:has-text('{flow_id}')")
    assert page.evaluate("window.meterStudio.modeler.get('selection').get().map((e) => e.id)") == [
        flow_id
    ]
    page.screenshot(path=f"{SCREENSHOTS}/process-studio-problem.png", full_page=True)
    page.evaluate(
        """(id) => {
          const m = window.meterStudio.modeler;
          const flow = m.get('elementRegistry').get(id);
          const body = window.keptCondition;
          const good = m.get('moddle').create('bpmn:FormalExpression', {body: body});
          m.get('modeling').updateProperties(flow, {conditionExpression: good});
        }""",
        flow_id,
    )

    page.click("[data-studio-action=validate]")
    page.wait_for_selector("[data-process-studio][data-done=validate]", timeout=20_000)
    assert page.locator("#studio-problems li").count() == 0
    page.screenshot(path=f"{SCREENSHOTS}/process-studio-valid.png", full_page=True)
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


def test_the_service_manager_designs_a_form_in_form_js(page, live_server, make_user):
    active = services.process_version_active()
    log_in(page, live_server, make_user(Role.SERVICE_MANAGER))
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/desk/meter_service/processversion/{active.pk}/studio/")
    page.wait_for_selector("[data-process-studio][data-ready='1']", timeout=20_000)

    page.click("[data-studio-tab='#forms']")
    page.wait_for_selector("#studio-form-editor .fjs-editor-container", timeout=20_000)
    assert page.is_hidden("#studio-canvas") and page.is_hidden("#studio-dmn")
    # Only the components the server checks are offered.
    offered = page.eval_on_selector_all(
        "#studio-form-editor .fjs-palette-field",
        "(fields) => fields.filter((f) => f.offsetParent).map((f) => f.dataset.fieldType)",
    )
    assert "textfield" in offered and "filepicker" not in offered and "expression" not in offered
    page.select_option("#studio-form-key", "Task_access")
    page.wait_for_selector("#studio-form-editor .fjs-form-field", timeout=20_000)
    page.evaluate(
        """() => {
          const editor = window.meterStudio.formEditor();
          const form = editor.get('formFieldRegistry').getAll().find((f) => f.type === 'default');
          editor.get('modeling').addFormField(
            {type: 'textfield', key: 'gate_code', label: 'Gate code',
             properties: {label_fa: 'رمز در'}},
            form, form.components.length);
        }"""
    )
    page.wait_for_selector("#studio-form-editor .fjs-form-field:has-text('Gate code')")
    page.screenshot(path=f"{SCREENSHOTS}/process-studio-forms.png", full_page=True)

    with page.expect_navigation():
        page.click("[data-studio-action=save]")
    draft = ProcessVersion.objects.get(is_draft=True)
    added = draft.forms["Task_access"]["components"][-1]
    assert added["key"] == "gate_code" and added["properties"] == {"label_fa": "رمز در"}
    assert draft.forms["Task_test"] == active.forms["Task_test"]
    page.wait_for_selector("[data-process-studio][data-ready='1']", timeout=20_000)
    page.click("[data-studio-action=validate]")
    page.wait_for_selector("[data-process-studio][data-done=validate]", timeout=20_000)
    assert page.locator("#studio-problems li").count() == 0
    assert "Task_access" in page.text_content("#studio-result")
    assert errors == []
