"""Complainants rate closed complaints (CSAT): asked by SMS when a complaint closes, rated
by the SMS's signed link without signing in or on the subscriber's complaint page, once,
and the ratings reach the manager's dashboard and its export. (Rating by an SMS reply to
the short code: test_csat_sms.py, over the fake provider.)"""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.core.identifiers import to_persian_digits
from apps.meter_service.doctype.complaint import rules, services
from apps.meter_service.doctype.complaint.models import ComplaintRating
from apps.meter_service.doctype.notification.models import SmsMessage
from apps.meter_service.permissions import Role

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://meter.example.ir"
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/portal/rate/[0-9a-z]+-[0-9a-f]{16}/)")


@pytest.fixture(autouse=True)
def _public_url(settings):
    settings.METER_PUBLIC_URL = PUBLIC_URL


@pytest.fixture
def closed(act, file_complaint, make_claim, officer):
    """A complaint about a claim, closed by its officer."""
    complaint = file_complaint(claim=make_claim())
    act(services.complaint_close, complaint=complaint, actor=officer, text="رسیدگی شد.")
    complaint.refresh_from_db()
    return complaint


def _link(complaint) -> str:
    """The rating link's path, read from the SMS that asked."""
    sms = SmsMessage.objects.get(template_key="complaint_rating_asked")
    assert sms.to == complaint.contact_mobile
    found = LINK.search(sms.body)
    assert found, sms.body
    return found.group(1)


def test_closing_asks_once_by_sms_with_a_link_and_a_digit_to_reply(closed, act, officer):
    rating = ComplaintRating.objects.get(complaint=closed)
    assert rating.mobile == closed.contact_mobile and rating.score is None
    sms = SmsMessage.objects.get(template_key="complaint_rating_asked")
    assert "۱" in sms.body and "۵" in sms.body  # "reply with a digit 1 to 5"
    assert to_persian_digits(closed.tracking_code[:3]) in sms.body
    # Closing is once: a second close is refused and nothing is asked again.
    with pytest.raises(ValidationError):
        act(services.complaint_close, complaint=closed, actor=officer)
    assert ComplaintRating.objects.count() == 1
    assert SmsMessage.objects.filter(template_key="complaint_rating_asked").count() == 1


def test_the_automatic_close_of_answered_complaints_asks_too(
    act, file_complaint, make_claim, officer
):
    complaint = file_complaint(claim=make_claim())
    act(services.complaint_answer, complaint=complaint, actor=officer, text="حل شد.", resolve=True)
    complaint.refresh_from_db()
    now = complaint.resolved_at + rules.auto_close_after()
    assert act(services.complaints_close_resolved, now=now) == 1
    rating = ComplaintRating.objects.get(complaint=complaint)
    assert rating.asked_at == now
    assert SmsMessage.objects.filter(template_key="complaint_rating_asked").count() == 1


def test_an_open_complaint_is_not_rated(file_complaint, make_claim):
    complaint = file_complaint(claim=make_claim())
    with pytest.raises(ValidationError) as error:
        services.complaint_rate(complaint=complaint, actor=None, score=5, channel="portal")
    assert error.value.code == "rating_not_asked"
    assert not ComplaintRating.objects.exists()


def test_the_link_rates_without_signing_in_once(client, closed):
    link = _link(closed)
    page = client.get(link)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'name="score"' in body
    assert closed.complainant_name not in body  # a forwarded link shows nothing personal

    events = DocumentEvent.objects.count()
    bad = client.post(link, {"score": "6", "comment": ""})
    assert bad.status_code == 400 and str(rules.RATING_SCORE_MESSAGE) in bad.content.decode()
    assert ComplaintRating.objects.get().rated_at is None
    assert DocumentEvent.objects.count() == events  # nothing written

    response = client.post(link, {"score": "4", "comment": "  سریع بود  "})
    assert response.status_code == 302 and response["Location"] == link
    rating = ComplaintRating.objects.get()
    assert (rating.score, rating.comment, rating.channel) == (4, "سریع بود", "link")
    assert rating.rated_at is not None
    assert DocumentEvent.objects.filter(event_type="complaint_rated").count() == 1
    # Once: the page now thanks, and another post changes nothing.
    again = client.post(link, {"score": "1"})
    assert again.status_code == 200 and 'name="score"' not in again.content.decode()
    assert ComplaintRating.objects.get().score == 4


def test_the_officer_sees_the_rating_on_the_complaint_page(client, closed, officer):
    page = reverse("admin:meter_service_complaint_change", args=[closed.pk])
    client.force_login(officer)
    assert client.get(page).context["rating"].score is None
    services.complaint_rate(complaint=closed, actor=None, score="۳", comment="دیر", channel="sms")
    shown = client.get(page)
    assert shown.context["rating"].score == 3
    assert 'id="complaint-rating"' in shown.content.decode()
    assert "دیر" in shown.content.decode()


def test_a_tampered_or_expired_link_is_refused(client, closed, settings):
    link = _link(closed)
    tampered = link[:-3] + ("0" if link[-3] != "0" else "1") + link[-2:]
    assert client.get(tampered).status_code == 404
    assert client.get("/portal/rate/zz-0123/").status_code == 404
    rating = ComplaintRating.objects.get()
    ComplaintRating.objects.filter(pk=rating.pk).update(
        asked_at=rating.asked_at - rules.rating_days()
    )
    # The token signs when it was asked: moving that breaks the old link too.
    assert client.get(link).status_code == 404
    rating.refresh_from_db()
    fresh = reverse(
        "portal:complaint_rate_link", args=[rules.rating_token(rating.pk, rating.asked_at)]
    )
    expired = client.post(fresh, {"score": "5"})
    assert expired.status_code == 404
    assert ComplaintRating.objects.get().rated_at is None


def test_the_subscriber_rates_on_the_complaint_page_in_persian_digits(
    client, act, file_complaint, make_claim, subscriber_user, officer
):
    complaint = file_complaint(claim=make_claim(), actor=subscriber_user)
    client.force_login(subscriber_user)
    page_url = reverse("portal:complaint_detail", args=[complaint.tracking_code])
    assert 'id="rating"' not in client.get(page_url).content.decode()  # not closed yet
    act(services.complaint_close, complaint=complaint, actor=officer)

    assert 'name="score"' in client.get(page_url).content.decode()
    rate = reverse("portal:complaint_rate", args=[complaint.tracking_code])
    refused = client.post(rate, {"score": ""}, follow=True)
    assert str(rules.RATING_SCORE_MESSAGE) in refused.content.decode()
    response = client.post(rate, {"score": "۵"})
    assert response.status_code == 302
    rating = ComplaintRating.objects.get(complaint=complaint)
    assert (rating.score, rating.channel) == (5, "portal")
    page = client.get(page_url).content.decode()
    assert 'name="score"' not in page and 'id="rating"' in page


def test_someone_elses_complaint_cannot_be_rated(client, closed, make_user):
    client.force_login(make_user(Role.SUBSCRIBER))
    rate = reverse("portal:complaint_rate", args=[closed.tracking_code])
    assert client.post(rate, {"score": "5"}).status_code == 404
    assert ComplaintRating.objects.get().rated_at is None


def test_ratings_reach_the_dashboard_and_its_export(client, closed, make_user, act, file_complaint):
    services.complaint_rate(complaint=closed, actor=None, score="۲", channel="sms")
    cache.clear()
    client.force_login(make_user(Role.SERVICE_MANAGER))
    page = client.get(reverse("dashboards:page"))
    assert page.status_code == 200
    figure = page.context["view"]["csat"]
    assert (figure["count"], figure["average"], figure["asked"]) == (1, 2.0, 1)
    assert [row["count"] for row in figure["by_score"]] == [0, 1, 0, 0, 0]
    assert 'id="figure-complaint_satisfaction"' in page.content.decode()

    export = client.get(
        reverse("dashboards:export", args=["csv"]), {"figure": "complaint_satisfaction"}
    )
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    cells = [cell for row in rows for cell in row]
    assert "2.0" in cells or "2" in cells  # the average
    assert any(row[1:2] == ["1"] and row[0].startswith("2") for row in rows)  # one "2"
