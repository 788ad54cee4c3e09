"""The process chart in a real browser: bpmn-js draws it, left to right in a Persian page,
with a claim's passed steps green and its current step amber."""

from __future__ import annotations

import os

import pytest
from django.utils import translation

from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.permissions import Role
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("METER_SCREENSHOTS", "/tmp")


def _element(page, element_id: str) -> str:
    return f'.djs-element[data-element-id="{element_id}"]'


def _classes(page, element_id: str) -> list[str]:
    return page.get_attribute(_element(page, element_id), "class").split()


def _wait_drawn(page, root: str) -> None:
    page.wait_for_selector(f"{root}.is-ready", timeout=20_000)
    assert page.locator(f"{root}.is-failed").count() == 0


def _scale(page, root: str) -> float:
    return page.evaluate(f"document.querySelector('{root}').processDiagram.get('canvas').zoom()")


def test_public_page_draws_the_process(page, live_server, roles):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("requestfailed", lambda request: errors.append(request.url))
    page.goto(f"{live_server.url}/process/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    with translation.override("fa"):
        title = translation.gettext("Steps of the meter test service")  # «مراحل خدمت تست کنتور»
        zoom_in_title = translation.gettext("Zoom in")
    assert page.title().startswith(title)
    root = "#process-public"
    _wait_drawn(page, root)

    # Drawn from the translated file, left to right inside the right-to-left page.
    assert page.get_attribute(f"{root} .process-diagram__canvas", "dir") == "ltr"
    assert page.locator(f"{root} svg").count() >= 1
    for element_id in ("Start_filed", "Task_schedule", "Gateway_verdict", "End_faulty"):
        assert page.locator(_element(page, element_id)).count() == 1
    # Names come translated; events carry theirs outside the shape (an "_label" element).
    assert "ثبت درخواست" in page.text_content(_element(page, "Start_filed_label"))
    lane = page.text_content(_element(page, "Lane_technician") + " > .djs-visual")
    assert lane.strip() and lane.strip() != "technician"
    # No claim: nothing is marked.
    assert page.locator(f"{root} .djs-element.completed, {root} .djs-element.current").count() == 0
    # The whole chart is in view, in Vazirmatn.
    assert page.evaluate("document.fonts.check('12px \"Vazirmatn FD\"')")
    family = page.evaluate(
        f"getComputedStyle(document.querySelector('{root} .djs-label')).fontFamily"
    )
    assert "Vazirmatn" in family

    # The zoom buttons (titles translated) zoom in, out and back to the whole chart.
    fitted = _scale(page, root)
    zoom_in = page.locator(f"{root} [data-zoom=in]")
    assert zoom_in.get_attribute("title") == zoom_in_title
    page.screenshot(path=f"{SCREENSHOTS}/process-public.png", full_page=True)
    zoom_in.click()
    zoom_in.click()
    assert _scale(page, root) > fitted
    page.locator(f"{root} .process-diagram__canvas").screenshot(
        path=f"{SCREENSHOTS}/process-public-zoomed.png"
    )
    page.click(f"{root} [data-zoom=out]")
    page.click(f"{root} [data-zoom=fit]")
    assert abs(_scale(page, root) - fitted) < 0.01
    # A click on a step brings it to a readable size; its Persian name reads right to left.
    page.click(_element(page, "Task_schedule"))
    assert _scale(page, root) > 0.8
    assert "is-rtl" in page.get_attribute(_element(page, "Start_filed_label") + " text", "class")
    page.locator(f"{root} .process-diagram__canvas").screenshot(
        path=f"{SCREENSHOTS}/process-public-step.png"
    )
    assert errors == []


def test_desk_claim_page_marks_the_claims_progress(page, live_server, make_user, make_claim):
    claim = claim_mark_paid(claim=make_claim(), reference="x")
    user = make_user(Role.SERVICE_DESK_CLERK)
    page.goto(f"{live_server.url}/desk/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/desk/")

    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/desk/meter_service/claim/{claim.pk}/change/")
    root = "#claim-process-diagram"
    _wait_drawn(page, root)
    assert page.evaluate("document.documentElement.dir") == "rtl"

    # Passed: the start, the fee and the fork, and the flows between them.
    for element_id in ("Start_filed", "Event_fee_paid", "Gateway_fork"):
        assert "completed" in _classes(page, element_id), element_id
    assert "completed" in _classes(page, "Flow_Gateway_fee_Event_fee_paid")
    # Now: the technician schedules the test (and the service-level clock runs).
    assert "current" in _classes(page, "Task_schedule")
    assert "current" in _classes(page, "Event_sla_warn")
    # Not reached: neither marked done nor current.
    for element_id in ("Event_cancelled", "Task_test", "End_faulty"):
        classes = _classes(page, element_id)
        assert "completed" not in classes and "current" not in classes, element_id
        assert "pending" in classes
    # The marker colours apply (green for done, amber for now).
    stroke = page.evaluate(
        "getComputedStyle(document.querySelector("
        "'.djs-element.current[data-element-id=\"Task_schedule\"] .djs-visual > rect'"
        ")).stroke"
    )
    assert stroke == "rgb(180, 83, 9)"
    done = page.evaluate(
        "getComputedStyle(document.querySelector("
        "'.djs-element.completed[data-element-id=\"Event_fee_paid\"] .djs-visual > circle'"
        ")).stroke"
    )
    assert done == "rgb(6, 118, 71)"

    page.locator("#claim-process").scroll_into_view_if_needed()
    page.screenshot(path=f"{SCREENSHOTS}/process-desk-claim.png", full_page=True)
    page.locator("#claim-process").screenshot(path=f"{SCREENSHOTS}/process-desk-claim-section.png")
    page.click(f"{root} [data-zoom=fit]")
    page.locator("#claim-process").screenshot(path=f"{SCREENSHOTS}/process-desk-claim-fit.png")
    assert errors == []


def test_phone_opens_the_chart_at_its_start(browser, live_server, roles):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="fa-IR")
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/process/")
        root = "#process-public"
        _wait_drawn(page, root)
        # The whole chart would be a thumbnail: it opens readable, at the claim's filing.
        assert _scale(page, root) > 0.8
        start = page.locator(_element(page, "Start_filed")).bounding_box()
        canvas = page.locator(f"{root} .process-diagram__canvas").bounding_box()
        assert canvas["x"] <= start["x"] <= canvas["x"] + canvas["width"] / 2
        page.screenshot(path=f"{SCREENSHOTS}/process-public-phone.png", full_page=True)
    finally:
        context.close()


def test_the_bpmn_file_opens_and_saves_in_the_bpmn_io_modeler(page, live_server, roles):
    """bpmn.io's modeler imports meter_test.bpmn without a warning, and what it saves back
    still passes the upload's validation with every form field kept."""
    from apps.meter_service.engine import services, validation

    bpmn, dmn = services.workflow_files()
    page.goto(f"{live_server.url}/process/")
    page.add_script_tag(
        url=f"{live_server.url}/static/vendor/bpmn-js/bpmn-modeler.production.min.js"
    )
    result = page.evaluate(
        """async (xml) => {
            const container = document.body.appendChild(document.createElement('div'));
            const modeler = new BpmnJS({container});
            const imported = await modeler.importXML(xml);
            const saved = await modeler.saveXML({format: true});
            return {warnings: imported.warnings.map((w) => w.message), xml: saved.xml};
        }""",
        bpmn,
    )
    assert result["warnings"] == []
    spec = validation.validate_files(result["xml"], dmn, "meter_test")
    original = validation.validate_files(bpmn, dmn, "meter_test")
    for name, task_spec in original.task_specs.items():
        form = getattr(task_spec, "form", None)
        if form is not None:
            saved_fields = [f.id for f in spec.task_specs[name].form.fields]
            assert saved_fields == [f.id for f in form.fields], name
