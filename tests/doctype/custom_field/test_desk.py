"""Custom fields in the desk: the manager defines them; they are ordinary fields of the
subscriber's change form, and a page of their own for claims, complaints and inspections."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.doctype.claim.models import Claim
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.custom_field import services
from apps.meter_service.doctype.custom_field.models import CustomField
from apps.meter_service.doctype.subscriber.models import Subscriber
from apps.meter_service.permissions import Role
from tests.desk.test_desk_claims import _intake
from tests.desk.test_desk_forms import _subscriber_form
from tests.doctype.complaint.conftest import officer, topics  # noqa: F401
from tests.doctype.complaint.test_desk import _filing
from tests.doctype.custom_field.conftest import OPTIONS

pytestmark = pytest.mark.django_db

ADD = "admin:meter_service_customfield_add"


def login(client, make_user, role):
    user = make_user(role)
    client.force_login(user)
    return user


def definition_form(**overrides) -> dict:
    data = {
        "target": "subscriber",
        "key": "heating",
        "field_type": "choice",
        "order": "۲",
        "active": "on",
        "label_fa": "سوخت گرمایش",
        "label_en": "Heating fuel",
        "help_fa": "",
        "help_en": "",
        "options_text": "gas | گاز | Gas\noil | نفت | Oil",
        "min_value": "",
        "max_value": "",
        "max_length": "",
        "_save": "1",
    }
    data.update(overrides)
    return data


def test_manager_defines_a_field_in_the_desk(client, make_user):
    login(client, make_user, Role.SERVICE_MANAGER)
    response = client.post(reverse(ADD), definition_form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    field = CustomField.objects.get()
    assert (field.key, field.order, field.options) == ("heating", 2, OPTIONS)
    assert DocumentEvent.objects.filter(event_type="custom_field_created").count() == 1
    assert client.get(reverse("admin:meter_service_customfield_changelist")).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"key": "Heating Fuel"}, "حروف کوچک لاتین"),
        ({"options_text": ""}, "دست‌کم یک گزینه"),
        (
            {"field_type": "integer", "options_text": "", "min_value": "۹", "max_value": "۱"},
            "کمینه",
        ),
    ],
)
def test_bad_definition_is_refused_in_persian(client, make_user, overrides, message):
    login(client, make_user, Role.SERVICE_MANAGER)
    response = client.post(reverse(ADD), definition_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CustomField.objects.exists()


def test_subscriber_form_saves_custom_fields(client, make_user, define, make_subscriber):
    define("subscriber", "heating", "choice", options=OPTIONS)
    define("subscriber", "floors", "integer", required=True, max_value=50)
    login(client, make_user, Role.SYSTEM_ADMIN)
    subscriber = make_subscriber(number="1402001")
    url = reverse("admin:meter_service_subscriber_change", args=[subscriber.pk])
    page = client.get(url).content.decode()
    assert 'name="custom__floors"' in page and "سوخت" not in page  # its own label
    form = _subscriber_form(
        national_id=subscriber.national_id, mobile=subscriber.mobile, name=subscriber.name
    )
    refused = client.post(url, {**form, "custom__floors": "۹۹", "custom__heating": "gas"})
    assert refused.status_code == 200
    assert "custom__floors" in refused.context["adminform"].form.errors
    response = client.post(url, {**form, "custom__floors": "۴", "custom__heating": "gas"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    subscriber.refresh_from_db()
    assert subscriber.custom_fields == {"floors": 4, "heating": "gas"}
    event = DocumentEvent.objects.get(event_type="custom_values_changed")
    assert event.actor_id is not None and event.parameters["changes"]["floors"] == [None, 4]


def test_required_custom_field_is_asked_for_when_a_subscriber_is_added(client, make_user, define):
    define("subscriber", "floors", "integer", required=True)
    login(client, make_user, Role.SYSTEM_ADMIN)
    url = reverse("admin:meter_service_subscriber_add")
    refused = client.post(url, _subscriber_form())
    assert refused.status_code == 200
    assert "custom__floors" in refused.context["adminform"].form.errors
    response = client.post(url, _subscriber_form(custom__floors="۳"))
    assert response.status_code == 302
    assert Subscriber.objects.get().custom_fields == {"floors": 3}


def test_claim_custom_values_have_their_own_page(client, make_user, define, make_claim):
    define("claim", "visited", "boolean", in_list=True)
    define("claim", "visit_day", "date")
    claim = make_claim()
    login(client, make_user, Role.SERVICE_DESK_CLERK)
    change = client.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))
    edit_url = reverse("admin:meter_service_claim_custom_values", args=[claim.pk])
    assert edit_url in change.content.decode()
    response = client.post(edit_url, {"custom__visited": "true", "custom__visit_day": "۱۴۰۳/۰۵/۱۲"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.custom_fields == {"visited": True, "visit_day": "2024-08-02"}
    listing = client.get(reverse("admin:meter_service_claim_changelist")).content.decode()
    assert "فیلد visited" in listing  # the list column
    bad = client.post(edit_url, {"custom__visited": "true", "custom__visit_day": "۱۴۰۳/۱۳/۴۰"})
    assert bad.status_code == 200
    claim.refresh_from_db()
    assert claim.custom_fields["visit_day"] == "2024-08-02"


def test_a_technician_sees_claim_values_but_does_not_edit_them(
    client, make_user, define, make_claim
):
    define("claim", "visited", "boolean")
    claim = make_claim()
    login(client, make_user, Role.TECHNICIAN)
    edit_url = reverse("admin:meter_service_claim_custom_values", args=[claim.pk])
    change = client.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))
    assert change.status_code == 200 and edit_url not in change.content.decode()
    assert client.post(edit_url, {"custom__visited": "true"}).status_code == 403
    claim.refresh_from_db()
    assert claim.custom_fields == {}


def test_required_custom_field_is_asked_for_when_a_claim_is_filed(
    client, make_user, define, installed, tariffs
):
    define("claim", "floors", "integer", required=True, max_value=40)
    login(client, make_user, Role.SERVICE_DESK_CLERK)
    url = reverse("admin:meter_service_claim_intake")
    assert 'name="custom__floors"' in client.get(url).content.decode()
    refused = client.post(url, _intake(installed))
    assert refused.status_code == 200 and "custom__floors" in refused.context["form"].errors
    assert not Claim.objects.exists()
    response = client.post(url, _intake(installed, custom__floors="۵"))
    assert response.status_code == 302, response.context["form"].errors
    assert Claim.objects.get().custom_fields == {"floors": 5}


def test_required_custom_field_is_asked_for_when_a_complaint_is_filed(
    client,
    make_user,
    define,
    topics,  # noqa: F811 (the complaint tests' fixture)
    officer,  # noqa: F811 (the complaint tests' fixture)
):
    define("complaint", "source", "choice", required=True, options=OPTIONS)
    login(client, make_user, Role.SERVICE_DESK_CLERK)
    url = reverse("admin:meter_service_complaint_file")
    refused = client.post(url, _filing(topics))
    assert refused.status_code == 400 and "custom__source" in refused.context["form"].errors
    assert not Complaint.objects.exists()
    assert client.post(url, _filing(topics, custom__source="oil")).status_code == 302
    assert Complaint.objects.get().custom_fields == {"source": "oil"}


def test_manager_changes_a_definition_but_not_a_used_key(
    client, make_user, define, make_subscriber
):
    field = define("subscriber", "heating", "choice", options=OPTIONS)
    login(client, make_user, Role.SERVICE_MANAGER)
    url = reverse("admin:meter_service_customfield_change", args=[field.pk])
    assert "gas | گاز | Gas" in client.get(url).content.decode()
    more = "gas | گاز | Gas\noil | نفت | Oil\ncoal | زغال | Coal"
    response = client.post(url, definition_form(options_text=more, label_en="Fuel"))
    assert response.status_code == 302, response.context["adminform"].form.errors
    field.refresh_from_db()
    assert [o["value"] for o in field.options] == ["gas", "oil", "coal"]
    assert field.label_en == "Fuel"
    event = DocumentEvent.objects.get(event_type="custom_field_updated")
    assert {"options", "label_en"} <= set(event.parameters["changes"])
    assert "key" not in event.parameters["changes"]
    services.custom_values_set(
        document=make_subscriber(), target="subscriber", values={"heating": "coal"}, actor=None
    )
    refused = client.post(url, definition_form(options_text=more, key="fuel"))
    assert refused.status_code == 200
    assert "key" in refused.context["adminform"].form.errors
    field.refresh_from_db()
    assert field.key == "heating"


def test_custom_fields_are_list_columns_people_export(client, make_user, define, make_subscriber):
    """A field marked for lists is one of the list's own columns, exported with it; the
    others can be picked as columns and exported too."""
    define("subscriber", "floor", "integer", in_list=True)
    define("subscriber", "heating", "choice", options=OPTIONS)
    subscriber = make_subscriber()
    services.custom_values_set(
        document=subscriber,
        target="subscriber",
        values={"floor": "۳", "heating": "oil"},
        actor=None,
    )
    login(client, make_user, Role.SERVICE_MANAGER)
    export = reverse("admin:meter_service_subscriber_list_export", args=["csv"])

    def rows() -> list[list[str]]:
        body = client.get(export).content.decode("utf-8-sig")
        return list(csv.reader(io.StringIO(body)))

    own = rows()
    assert "فیلد floor" in own[0] and "فیلد heating" not in own[0]
    assert own[1][own[0].index("فیلد floor")] == "۳"
    columns = reverse("admin:meter_service_subscriber_list_columns")
    client.post(columns, {"columns": ["subscription_number", "custom_heating"], "query": ""})
    picked = rows()
    assert picked[0][1] == "فیلد heating" and picked[1][1] == "نفت"
