"""Mobiles and national IDs by role: masked in the desk for the roles that do not need them
(the technician and the emergency crew), shown in full on request to a role allowed to, and
each such reveal in the audit trail (privacy.py)."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from apps.meter_service import privacy
from apps.meter_service.audit.labels import event_label
from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

MASKED_ROLES = [Role.TECHNICIAN, Role.EMERGENCY_CREW]
FULL_ROLES = [Role.SERVICE_DESK_CLERK, Role.SERVICE_MANAGER, Role.BILLING_OFFICER]


def _forms(value: str) -> tuple[str, str]:
    """A number as a page may show it: ASCII or Persian digits."""
    return value, to_persian_digits(value)


def _shows(page: str, value: str) -> bool:
    return any(form in page for form in _forms(value))


@pytest.fixture
def subscriber(installed):
    return installed.subscriber


@pytest.fixture
def claim(make_claim):
    return make_claim(contact_mobile="09351112233")


def _desk(client, make_user, role):
    client.force_login(make_user(role))
    return client


def _subscriber_url(name: str, *args) -> str:
    return reverse(f"admin:meter_service_subscriber_{name}", args=args)


def test_the_masks():
    assert privacy.mask_mobile("09121234567") == "0912***4567"
    assert privacy.mask_national_id("0012345679") == "******5679"
    assert privacy.mask("contact_mobile", "") == ""


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_field_roles_see_the_list_and_the_form_masked(client, make_user, subscriber, role):
    """Every desk role could list every subscriber's mobile and national ID."""
    desk = _desk(client, make_user, role)

    for page in (
        desk.get(_subscriber_url("changelist")),
        desk.get(_subscriber_url("change", subscriber.pk)),
    ):
        assert page.status_code == 200
        text = page.content.decode()
        assert not _shows(text, subscriber.mobile)
        assert not _shows(text, subscriber.national_id)
        assert _shows(text, privacy.mask_mobile(subscriber.mobile))
    # The change form shows them read-only, with the control to show them in full.
    assert 'name="mobile"' not in text and 'name="national_id"' not in text
    assert _subscriber_url("reveal", subscriber.pk, "mobile") in text
    assert _shows(text, privacy.mask_national_id(subscriber.national_id))


@pytest.mark.parametrize("role", FULL_ROLES)
def test_the_roles_that_need_them_see_them_in_full(client, make_user, subscriber, role):
    page = _desk(client, make_user, role).get(_subscriber_url("change", subscriber.pk))
    text = page.content.decode()
    assert _shows(text, subscriber.mobile) and _shows(text, subscriber.national_id)
    assert "/reveal/" not in text


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_a_masked_role_cannot_search_by_national_id_or_mobile(client, make_user, subscriber, role):
    """A search answering with the subscriber would confirm a guessed national ID."""
    desk = _desk(client, make_user, role)
    for term in (subscriber.national_id, subscriber.mobile):
        page = desk.get(_subscriber_url("changelist"), {"q": term}).content.decode()
        assert _subscriber_url("change", subscriber.pk) not in page
    # The subscription number still finds it.
    page = desk.get(_subscriber_url("changelist"), {"q": subscriber.subscription_number})
    assert _subscriber_url("change", subscriber.pk) in page.content.decode()
    # Nor through the claims' search, by the contact mobile.
    claims = desk.get(reverse("admin:meter_service_claim_changelist"), {"q": subscriber.mobile})
    assert "/change/" not in claims.content.decode().split("result_list")[-1]


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_nor_filter_the_list_by_them(client, make_user, subscriber, role):
    """The admin takes any local field as a filter in the address: ?national_id=..."""
    desk = _desk(client, make_user, role)
    for lookup, value in (
        ("national_id", subscriber.national_id),
        ("mobile__startswith", subscriber.mobile[:6]),
    ):
        page = desk.get(_subscriber_url("changelist"), {lookup: value})
        assert page.status_code == 400
        assert _subscriber_url("change", subscriber.pk) not in page.content.decode()
    claims = desk.get(
        reverse("admin:meter_service_claim_changelist"),
        {"subscriber__national_id": subscriber.national_id},
    )
    assert claims.status_code == 400


def test_a_clerk_still_searches_by_national_id(client, make_user, subscriber):
    desk = _desk(client, make_user, Role.SERVICE_DESK_CLERK)
    page = desk.get(_subscriber_url("changelist"), {"q": subscriber.national_id})
    assert _subscriber_url("change", subscriber.pk) in page.content.decode()


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_the_claim_form_masks_the_contact_mobile(client, make_user, claim, role):
    page = _desk(client, make_user, role).get(
        reverse("admin:meter_service_claim_change", args=[claim.pk])
    )
    assert page.status_code == 200
    text = page.content.decode()
    assert not _shows(text, claim.contact_mobile)
    assert _shows(text, privacy.mask_mobile(claim.contact_mobile))


@pytest.mark.parametrize("role", MASKED_ROLES)
def test_task_pages_mask_the_contact_mobile(make_user, claim, role):
    """The task and work-order pages show the claim's contact mobile through one tag."""
    request = RequestFactory().get("/")
    request.user = make_user(role)
    html = Template('{% load meter_tags %}{% personal claim "contact_mobile" %}').render(
        Context({"request": request, "claim": claim})
    )
    assert not _shows(html, claim.contact_mobile)
    assert _shows(html, privacy.mask_mobile(claim.contact_mobile))
    assert reverse("admin:meter_service_claim_reveal", args=[claim.pk, "contact_mobile"]) in html

    request.user = make_user(Role.SERVICE_DESK_CLERK)
    full = Template('{% load meter_tags %}{% personal claim "contact_mobile" %}').render(
        Context({"request": request, "claim": claim})
    )
    assert _shows(full, claim.contact_mobile) and "reveal" not in full


def test_for_templates_the_task_pages_use_the_tag():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "apps/meter_service/templates/meter_service"
    for name in ("process/task.html", "work_order/complete.html"):
        text = (root / name).read_text(encoding="utf-8")
        assert "contact_mobile|" not in text and '{% personal claim "contact_mobile" %}' in text


def test_a_reveal_shows_the_value_and_is_recorded(client, make_user, subscriber):
    technician = make_user(Role.TECHNICIAN)
    client.force_login(technician)

    response = client.post(_subscriber_url("reveal", subscriber.pk, "national_id"))

    assert response.status_code == 200
    assert _shows(response.content.decode(), subscriber.national_id)
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    event = DocumentEvent.objects.get(event_type="personal_data_revealed")
    assert event.actor == technician and event.object_id == str(subscriber.pk)
    assert event.parameters == {
        "field": "national_id",
        "subscriber": subscriber.subscription_number,
    }


def test_a_claims_contact_mobile_reveal_names_the_subscriber(client, make_user, claim):
    client.force_login(make_user(Role.EMERGENCY_CREW))
    url = reverse("admin:meter_service_claim_reveal", args=[claim.pk, "contact_mobile"])
    response = client.post(url)
    assert response.status_code == 200 and _shows(response.content.decode(), claim.contact_mobile)
    event = DocumentEvent.objects.get(event_type="personal_data_revealed")
    assert event.parameters["subscriber"] == claim.subscriber.subscription_number


def test_a_role_that_may_not_reveal_gets_403(client, make_user, subscriber, settings):
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "PERSONAL_DATA_REVEAL_ROLES": ["technician"],
    }
    client.force_login(make_user(Role.EMERGENCY_CREW))

    response = client.post(_subscriber_url("reveal", subscriber.pk, "mobile"))

    assert response.status_code == 403
    assert not _shows(response.content.decode(), subscriber.mobile)
    assert not DocumentEvent.objects.filter(event_type="personal_data_revealed").exists()
    # Its pages show no control it could not use.
    page = client.get(_subscriber_url("change", subscriber.pk)).content.decode()
    assert "/reveal/" not in page


def test_a_reveal_is_a_post_of_a_personal_field(client, make_user, subscriber):
    client.force_login(make_user(Role.TECHNICIAN))
    assert client.get(_subscriber_url("reveal", subscriber.pk, "mobile")).status_code == 405
    assert client.post(_subscriber_url("reveal", subscriber.pk, "address")).status_code == 404
    assert not DocumentEvent.objects.filter(event_type="personal_data_revealed").exists()


def test_the_rule_setting_decides_who_sees_in_full(client, make_user, subscriber, settings):
    settings.METER_SERVICE = {
        **settings.METER_SERVICE,
        "PERSONAL_DATA_ROLES": [*settings.METER_SERVICE["PERSONAL_DATA_ROLES"], "technician"],
    }
    page = _desk(client, make_user, Role.TECHNICIAN).get(_subscriber_url("change", subscriber.pk))
    assert _shows(page.content.decode(), subscriber.national_id)


def test_the_history_names_the_field_revealed(client, make_user, subscriber):
    client.force_login(make_user(Role.TECHNICIAN))
    client.post(_subscriber_url("reveal", subscriber.pk, "mobile"))
    client.force_login(make_user(Role.SERVICE_MANAGER))
    page = client.get(_subscriber_url("history", subscriber.pk)).content.decode()
    with translation.override("fa"):
        assert event_label("personal_data_revealed") in page
        assert str(Subscriber._meta.get_field("mobile").verbose_name) in page


@pytest.mark.parametrize(
    "name",
    [
        "receipt/claim_receipt.html",
        "inspection/test_report.html",
        "correction/statement.html",
        "office/statement.html",
        "office/statement_pdf.html",
    ],
)
def test_printed_documents_carry_no_mobile_or_national_id(name):
    """What is printed leaves the desk on paper: it names the subscriber by name and
    subscription number only, whoever prints it."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "apps/meter_service/templates/meter_service"
    text = (root / name).read_text(encoding="utf-8")
    assert "mobile" not in text and "national_id" not in text
