"""The complainant's rating (CSAT) of a closed complaint on the portal: by the signed link
the closing SMS carries (no sign-in: the token is the key, and it expires with the
request), or on the signed-in subscriber's complaint page. complaint_rate records it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from apps.meter_service.core.display import local_digits
from apps.meter_service.core.forms import ServiceErrorsMixin
from apps.meter_service.doctype.complaint import rules, selectors, services
from apps.meter_service.doctype.complaint.models import Complaint, ComplaintRating, RatingChannel
from apps.meter_service.portal.views import subscriber_required

LINK_GONE_MESSAGE = gettext_lazy(
    "This rating link is not valid or has expired. Thank you for your time all the same."
)


class RatingForm(ServiceErrorsMixin, forms.Form):
    # Radio buttons, but a plain text field underneath: a score typed in Persian digits
    # (a form posted by hand, an app) is read by the service like a Latin one.
    score = forms.CharField(
        label=gettext_lazy("How satisfied are you with how your complaint was handled?"),
        widget=forms.RadioSelect,
        error_messages={"required": rules.RATING_SCORE_MESSAGE},
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you want to tell us"),
        required=False,
        max_length=rules.RATING_COMMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["score"].widget
        assert isinstance(widget, forms.RadioSelect)
        widget.choices = [
            (str(score), f"{local_digits(score)} — {rules.rating_label(score)}")
            for score in reversed(rules.RATING_SCORES)
        ]


def rating_state(rating: ComplaintRating | None) -> str:
    """ "open" (may be rated now), "done", "expired" or "" (never asked)."""
    if rating is None:
        return ""
    if rating.rated_at is not None:
        return "done"
    if timezone.now() > rating.asked_at + rules.rating_days():
        return "expired"
    return "open"


def complaint_rating_context(complaint: Complaint, form: RatingForm | None = None) -> dict:
    """What the subscriber's complaint page shows of the rating."""
    rating = ComplaintRating.objects.filter(complaint=complaint).first()
    state = rating_state(rating)
    return {
        "rating": rating,
        "rating_state": state,
        "rating_form": (form or RatingForm()) if state == "open" else None,
        "rating_label": rules.rating_label(rating.score) if rating and rating.score else "",
    }


def _record(request: HttpRequest, complaint: Complaint, form: RatingForm, channel: str) -> bool:
    if not form.is_valid():
        return False
    try:
        services.complaint_rate(
            complaint=complaint,
            actor=request.user if request.user.is_authenticated else None,
            score=form.cleaned_data["score"],
            comment=form.cleaned_data["comment"],
            channel=channel,
        )
    except ValidationError as error:
        form.add_service_errors(error)
        return False
    return True


@never_cache
@require_http_methods(["GET", "POST"])
def complaint_rate_link(request: HttpRequest, token: str) -> HttpResponse:
    """Rate a closed complaint from the SMS's link, without signing in. The page names the
    complaint's number and topic only: the token may have been forwarded."""
    rating = selectors.rating_for_token(token=token)
    state = rating_state(rating)
    if rating is None or state == "expired":
        return render(
            request,
            "meter_service/portal/complaint_rate.html",
            {"gone": LINK_GONE_MESSAGE},
            status=404,
        )
    complaint = rating.complaint
    form = RatingForm(request.POST or None) if state == "open" else None
    status = 200
    if request.method == "POST" and form is not None:
        if _record(request, complaint, form, RatingChannel.LINK):
            messages.success(request, _("Thank you: your rating is recorded."))
            return redirect("portal:complaint_rate_link", token=token)
        status = 400
    rating.refresh_from_db()
    return render(
        request,
        "meter_service/portal/complaint_rate.html",
        {
            "complaint": complaint,
            "topic": rules.topic_label(complaint.ticket.queue),
            "rating": rating,
            "rating_state": rating_state(rating),
            "rating_form": form if rating_state(rating) == "open" else None,
            "rating_label": rules.rating_label(rating.score) if rating.score else "",
        },
        status=status,
    )


@subscriber_required
@require_POST
def complaint_rate(request: HttpRequest, code: str) -> HttpResponse:
    """The signed-in subscriber rates their closed complaint on its page; a refusal is
    said on the page it came from."""
    complaint = selectors.complaint_get(user=request.user, code=code)
    form = RatingForm(request.POST)
    if _record(request, complaint, form, RatingChannel.PORTAL):
        messages.success(request, _("Thank you: your rating is recorded."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return redirect("portal:complaint_detail", code=complaint.tracking_code)
