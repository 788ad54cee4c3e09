"""The issue's whole story: a complaint filed on the portal about a claim reaches the
complaints officer, is answered, reopened by the subscriber's reply and closed, all visible
on the claim, in the portal and in the desk."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from helpdesk.models import Ticket

from apps.meter_service.core import tracking
from apps.meter_service.core.identifiers import normalize_digits
from apps.meter_service.doctype.complaint.models import Complaint
from apps.meter_service.doctype.notification.models import SmsMessage

pytestmark = pytest.mark.django_db


def test_portal_complaint_about_a_claim_from_filing_to_closing(
    make_claim, subscriber_user, officer, topics, fake_sms, django_capture_on_commit_callbacks
):
    claim = make_claim()
    portal, desk = Client(), Client()
    portal.force_login(subscriber_user)
    desk.force_login(officer)

    def send(client, url, data):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        return response

    # Filed from the claim's page, about the claim.
    send(
        portal,
        reverse("portal:complaint_new") + f"?claim={claim.tracking_code}",
        {
            "claim": claim.tracking_code,
            "topic": topics["meter-test"].pk,
            "title": "مأمور نیامد",
            "description": "روز بازدید کسی مراجعه نکرد.",
            "contact_mobile": "۰۹۱۲۱۲۳۴۵۶۷",
        },
    )
    complaint = Complaint.objects.get()
    assert complaint.claim == claim and complaint.channel == "portal"
    # It reaches the officer: assigned to the topic's owner, told by email, in the desk list.
    assert complaint.ticket.assigned_to == officer
    assert mail.outbox[-1].to == [officer.email]
    listing = desk.get(reverse("admin:meter_service_complaint_changelist"))
    assert tracking.display(complaint.tracking_code) in normalize_digits(listing.content.decode())

    desk_page = reverse("admin:meter_service_complaint_change", args=[complaint.pk])
    message_url = reverse("admin:meter_service_complaint_message", args=[complaint.pk])
    send(desk, message_url, {"text": "بازدید برای شنبه تنظیم شد.", "kind": "resolve"})
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.RESOLVED_STATUS

    detail = reverse("portal:complaint_detail", args=[complaint.tracking_code])
    assert "بازدید برای شنبه تنظیم شد." in portal.get(detail).content.decode()
    mail.outbox.clear()
    send(
        portal,
        reverse("portal:complaint_reply", args=[complaint.tracking_code]),
        {"text": "شنبه هم کسی نیامد."},
    )
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.REOPENED_STATUS
    assert [m.to for m in mail.outbox] == [[officer.email]]  # the assignee is told

    send(
        desk,
        reverse("admin:meter_service_complaint_close", args=[complaint.pk]),
        {"text": "بازدید انجام و کنتور آزمایش شد."},
    )
    complaint.refresh_from_db()
    complaint.ticket.refresh_from_db()
    assert complaint.ticket.status == Ticket.CLOSED_STATUS and complaint.closed_at

    # Visible on the claim, in the portal and in the desk, with its whole conversation.
    claim_page = portal.get(reverse("portal:claim_detail", args=[claim.tracking_code]))
    assert tracking.display(complaint.tracking_code) in normalize_digits(
        claim_page.content.decode()
    )
    desk_claim = desk.get(reverse("admin:meter_service_claim_change", args=[claim.pk]))
    assert tracking.display(complaint.tracking_code) in normalize_digits(
        desk_claim.content.decode()
    )
    conversation = desk.get(desk_page).content.decode()
    for text in ("روز بازدید کسی مراجعه نکرد.", "شنبه هم کسی نیامد.", "بازدید انجام"):
        assert text in conversation
    sent = list(
        SmsMessage.objects.filter(template_key__startswith="complaint_").values_list(
            "template_key", flat=True
        )
    )
    assert sorted(sent) == sorted(
        [
            "complaint_filed",
            "complaint_resolved",
            "complaint_reopened",
            "complaint_closed",
            "complaint_rating_asked",  # how satisfied the complainant is (CSAT)
        ]
    )
