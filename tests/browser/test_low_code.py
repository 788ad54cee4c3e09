"""The low-code studio end to end, in a real browser: the service manager changes the service
without a developer.

She adds a claim field, draws a new step in the bpmn-js modeler and designs its form in
form-js, dry-runs and deploys the draft; changes a rule setting from tomorrow; adds a
notification rule. Then a new claim is paid (the rule's SMS reaches the fake provider), a
technician completes the new step in the desk, and its answer is saved, shown on the claim
and exported with the claims list."""

from __future__ import annotations

import csv
import datetime
import io
import os

import jdatetime
import pytest
from django.urls import reverse
from django.utils import timezone

from apps.meter_service.core.identifiers import normalize_digits, to_persian_digits
from apps.meter_service.doctype.claim.services import claim_mark_paid
from apps.meter_service.doctype.fee_tariff.selectors import fee_quote
from apps.meter_service.doctype.rule_setting.models import RuleSettingChange
from apps.meter_service.engine import services
from apps.meter_service.engine.models import ProcessTask, ProcessVersion
from apps.meter_service.permissions import Role
from tests.browser.test_accessibility import log_in
from tests.engine.conftest import SCHEDULE
from tests.integrations.sms_fake import fake_sms, sms_fake_server  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("METER_SCREENSHOTS", "/tmp")
MOBILE = "09351112233"


def _jalali(day: datetime.date) -> str:
    return to_persian_digits(jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d"))


def _save_form(
    page, url: str, fields: dict[str, str], checks: tuple[str, ...] = (), saved: str = ""
) -> None:
    """Fill a desk form as a person would and save it: the page moves on, or says `saved`."""
    page.goto(url)
    for name, value in fields.items():
        field = page.locator(f"[name={name}]")
        if field.evaluate("(e) => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    for name in checks:
        page.check(f"input[name={name}]")
    with page.expect_navigation():
        page.click("button[name=_save]")
    if saved:
        assert saved in page.inner_text("main"), page.inner_text("main")[:2000]
    else:
        assert page.url != url, page.inner_text("main")[:2000]


def _draw_the_seal_step(page) -> None:
    """Insert "بازبینی پلمب" (check the seal) between the visit's notice and the test, in
    the technicians' lane, through bpmn-js's modeling module (what the palette does)."""
    page.evaluate(
        """() => {
          const m = window.meterStudio.modeler;
          const registry = m.get('elementRegistry');
          const modeling = m.get('modeling');
          const flow = registry.get('Flow_Task_notify_visit_Task_test');
          const test = registry.get('Task_test');
          const lane = registry.get('Lane_technician');
          const task = m.get('bpmnFactory').create('bpmn:UserTask', {id: 'Task_seal'});
          const shape = m.get('elementFactory').createShape(
            {type: 'bpmn:UserTask', businessObject: task});
          const at = {x: test.x + test.width / 2, y: lane.y + lane.height / 2};
          modeling.moveElements([test], {x: 160, y: 0});
          const seal = modeling.createShape(shape, at, registry.get('Participant_gas_company'));
          modeling.updateLabel(seal, 'بازبینی پلمب');
          modeling.reconnectEnd(flow, seal, {x: seal.x, y: seal.y + seal.height / 2});
          modeling.connect(seal, test, {type: 'bpmn:SequenceFlow'});
        }"""
    )


def _design_the_seal_form(page) -> None:
    page.click("[data-studio-tab='#forms']")
    page.wait_for_selector("#studio-form-editor .fjs-editor-container", timeout=20_000)
    page.select_option("#studio-form-key", "Task_seal")
    page.evaluate(
        """() => {
          const editor = window.meterStudio.formEditor();
          const form = editor.get('formFieldRegistry').getAll().find((f) => f.type === 'default');
          editor.get('modeling').addFormField(
            {type: 'textfield', key: 'seal_number', label: 'Seal number',
             validate: {required: true, maxLength: 20},
             properties: {label_fa: 'شماره پلمب'}},
            form, form.components.length);
        }"""
    )
    page.wait_for_selector("#studio-form-editor .fjs-form-field:has-text('Seal number')")


def test_the_service_manager_changes_the_service_without_a_developer(
    page,
    live_server,
    make_user,
    installed,
    tariffs,
    make_claim,
    fake_sms,  # noqa: F811
):
    manager = make_user(Role.SERVICE_MANAGER)
    technician = make_user(Role.TECHNICIAN)
    active = services.process_version_active()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, live_server, manager)

    # A claim field of the company's own, shown in the claims list.
    _save_form(
        page,
        f"{live_server.url}{reverse('admin:meter_service_customfield_add')}",
        {
            "target": "claim",
            "key": "seal_number",
            "field_type": "text",
            "order": "۱",
            "label_fa": "شماره پلمب",
            "label_en": "Seal number",
            "max_length": "۲۰",
        },
        checks=("in_list",),
    )

    # A new step and its form, drawn and designed in the studio, tried, then deployed.
    page.goto(f"{live_server.url}/desk/meter_service/processversion/{active.pk}/studio/")
    page.wait_for_selector("[data-process-studio][data-ready='1']", timeout=20_000)
    _draw_the_seal_step(page)
    _design_the_seal_form(page)
    with page.expect_navigation():
        page.click("[data-studio-action=save]")
    draft = ProcessVersion.objects.get(is_draft=True)
    assert 'id="Task_seal"' in draft.bpmn and "بازبینی پلمب" in draft.bpmn
    assert [c["key"] for c in draft.forms["Task_seal"]["components"]] == ["seal_number"]
    page.wait_for_selector("[data-process-studio][data-ready='1']", timeout=20_000)
    page.click("[data-studio-action=validate]")
    page.wait_for_selector("[data-process-studio][data-done=validate]", timeout=20_000)
    assert page.locator("#studio-problems li").count() == 0, page.text_content("#studio-problems")
    page.click("[data-studio-action=dry_run]")
    page.wait_for_selector("[data-process-studio][data-done=dry_run]", timeout=30_000)
    assert "Task_seal" in page.text_content("#studio-result")
    page.screenshot(path=f"{SCREENSHOTS}/low-code-dry-run.png", full_page=True)
    with page.expect_navigation():
        page.click("[data-studio-action=deploy]")
    draft.refresh_from_db()
    assert draft.is_active and not draft.is_draft

    # A rule setting changed in the desk from tomorrow, with its history.
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    quote = {"meter_size": "G4", "customer_type": "g2c", "channel": "portal"}
    before = fee_quote(on_date=tomorrow, **quote).total
    vat_page = live_server.url + reverse(
        "admin:meter_service_rulesettingchange_rule", args=["VAT_PERCENT"]
    )
    _save_form(
        page,
        vat_page,
        {"value": "۹", "effective_from": _jalali(tomorrow), "reason": "مصوبه هیئت مدیره"},
        saved=f"از {_jalali(tomorrow)} برابر ۹% است",
    )
    change = RuleSettingChange.objects.get(name="VAT_PERCENT")
    assert change.changed_by == manager and change.effective_from == tomorrow
    assert fee_quote(on_date=today, **quote).total == before
    assert fee_quote(on_date=tomorrow, **quote).total < before
    page.goto(vat_page)
    assert "مصوبه هیئت مدیره" in page.inner_text(".rule-setting-history")

    # A notification rule added in the desk.
    _save_form(
        page,
        f"{live_server.url}{reverse('admin:meter_service_notificationrule_add')}",
        {
            "name": "پلمب در بازدید",
            "event": "claim_paid",
            "recipients": "subscriber",
            "body_fa": "پرداخت شد؛ کنتور {tracking_code} در بازدید پلمب‌بازبینی می‌شود.",
        },
        checks=("send_sms",),
    )

    # A new claim runs on the new version: the rule's SMS goes at payment...
    claim = make_claim(contact_mobile=MOBILE)
    assert claim.process.version == draft
    claim_mark_paid(claim=claim, reference="low-code-payment")
    assert any("پلمب‌بازبینی" in sms["message"] for sms in fake_sms.messages(MOBILE))
    # ...and after the visit is scheduled, the technician completes the new step in the desk.
    services.process_complete_task(
        task_id=ProcessTask.objects.get(instance__claim=claim, element_id="Task_schedule").task_id,
        user=technician,
        data=SCHEDULE,
    )
    seal_step = ProcessTask.objects.get(instance__claim=claim, element_id="Task_seal")
    page.context.clear_cookies()
    log_in(page, live_server, technician)
    page.goto(f"{live_server.url}{reverse('admin:meter_service_processtask_changelist')}")
    page.click(f"a[href$='/processtask/{seal_step.pk}/change/']")
    page.fill("input[name=seal_number]", "۴۵۶۷۸")
    page.screenshot(path=f"{SCREENSHOTS}/low-code-new-step.png", full_page=True)
    with page.expect_navigation():
        page.click("#task_form button[name=_complete]")
    seal_step.refresh_from_db()
    assert seal_step.completed_by == technician and seal_step.data["seal_number"] == "45678"
    claim.refresh_from_db()
    assert claim.custom_fields == {"seal_number": "45678"}
    assert ProcessTask.objects.filter(
        instance__claim=claim, element_id="Task_test", completed_at__isnull=True
    ).exists()

    # Shown on the claim's page and exported with the claims list, to the manager.
    page.context.clear_cookies()
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}{reverse('admin:meter_service_claim_change', args=[claim.pk])}")
    page.screenshot(path=f"{SCREENSHOTS}/low-code-claim.png", full_page=True)
    shown = normalize_digits(page.inner_text("body"))  # the desk's font draws digits in Persian
    assert "بازبینی پلمب" in shown  # the step in the claim's history, named as she drew it
    assert "شماره پلمب\n45678" in shown
    export = page.request.get(
        f"{live_server.url}{reverse('admin:meter_service_claim_list_export', args=['csv'])}"
    )
    assert export.ok
    rows = list(csv.reader(io.StringIO(export.body().decode("utf-8-sig"))))
    column = rows[0].index("شماره پلمب")
    assert [normalize_digits(row[column]) for row in rows[1:]] == ["45678"]
    assert errors == []
