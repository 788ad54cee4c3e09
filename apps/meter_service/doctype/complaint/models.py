"""Complaints: a django-helpdesk ticket plus what the service needs to know about it.

The ticket (helpdesk.Ticket) holds the queue (topic), title, text, status, owner, priority,
due date and the conversation (FollowUp rows, TicketChange for each change). The complaint
adds who complained and how, the claim it is about, and the service-level stamps.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.core import validators
from apps.meter_service.doctype.complaint import rules


class ComplaintChannel(models.TextChoices):
    PORTAL = "portal", _("Subscriber portal")
    PHONE = "phone", _("Phone call")
    IN_PERSON = "in_person", _("In person (service desk)")
    NATIONAL_SYSTEM = "national_system", _("National complaints system (3194)")


class Complaint(models.Model):
    ticket = models.OneToOneField(
        "helpdesk.Ticket",
        on_delete=models.PROTECT,
        related_name="complaint",
        verbose_name=_("ticket"),
    )
    tracking_code = models.CharField(_("complaint number"), max_length=10, unique=True)
    channel = models.CharField(_("channel"), max_length=20, choices=ComplaintChannel.choices)
    subscriber = models.ForeignKey(
        "meter_service.Subscriber",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("subscriber"),
    )
    claim = models.ForeignKey(
        "meter_service.Claim",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("claim"),
    )
    agency = models.ForeignKey(
        "meter_service.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints",
        verbose_name=_("agency"),
        help_text=_("The system that sent the complaint through the API."),
    )
    # NULL, not "", when there is none: see the unique constraint below.
    external_reference = models.CharField(  # noqa: DJ001
        _("reference in the sending system"),
        max_length=40,
        null=True,
        blank=True,
        help_text=_("The complaint's number in the national complaints system."),
    )
    complainant_name = models.CharField(_("complainant's name"), max_length=120)
    contact_mobile = models.CharField(
        _("contact mobile"),
        max_length=11,
        blank=True,
        validators=[validators.validate_canonical_mobile],
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="complaints_filed",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"), db_index=True)
    due_at = models.DateTimeField(_("answer due by"), db_index=True)
    first_answered_at = models.DateTimeField(_("first answered at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    custom_fields = models.JSONField(
        _("custom fields"), default=dict, blank=True, help_text=_("Values of the custom fields.")
    )

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-filed_at", "-id"]
        constraints = [
            # A sending system's complaint is taken once, however often it is sent. Without a
            # reference the column is NULL, and NULLs never collide (no partial index needed,
            # which MariaDB lacks).
            models.UniqueConstraint(
                fields=["agency", "external_reference"],
                name="complaint_unique_external_reference",
            )
        ]
        indexes = [models.Index(fields=["claim", "filed_at"])]

    def __str__(self) -> str:
        return self.tracking_code


class CannedResponse(models.Model):
    """A prepared answer officers pick on a complaint's page (Zendesk's macros): its text's
    placeholders are filled from the complaint (services.canned_response_render), and the
    officer edits the result before sending it."""

    title = models.CharField(_("title"), max_length=120, unique=True)
    body_fa = models.TextField(_("text (Persian)"))
    body_en = models.TextField(_("text (English)"), blank=True)
    topic = models.ForeignKey(
        "helpdesk.Queue",
        # A topic's own answers go with it (the desk never deletes a topic).
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="canned_responses",
        verbose_name=_("topic"),
        help_text=_("Offered only on this topic's complaints; empty: on every complaint."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("canned response")
        verbose_name_plural = _("canned responses")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # The desk's form shows a bad placeholder on its field; the service checks it too.
        rules.check_canned_response(title=self.title, body_fa=self.body_fa, body_en=self.body_en)


class RatingChannel(models.TextChoices):
    SMS = "sms", _("SMS reply")
    LINK = "link", _("Rating link")
    PORTAL = "portal", _("Subscriber portal")


class ComplaintRating(models.Model):
    """The complainant's satisfaction (CSAT) with a closed complaint: asked once when it
    closes, rated once (1 to 5) by an SMS reply, the link in that SMS or the portal.

    A closed complaint takes no more messages and is never reopened, so one rating a
    complaint is the whole story: the first answer counts and is not changed afterwards.
    """

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="rating", verbose_name=_("complaint")
    )
    # The mobile the request was texted to: only a reply from it counts.
    mobile = models.CharField(_("asked by SMS at"), max_length=11, blank=True, db_index=True)
    asked_at = models.DateTimeField(_("asked at"), db_index=True)
    score = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    channel = models.CharField(
        _("rated by"), max_length=10, choices=RatingChannel.choices, blank=True
    )
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("complaint rating")
        verbose_name_plural = _("complaint ratings")
        ordering = ["-asked_at", "-id"]

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.score or '-'}"


class ComplaintMailDirection(models.TextChoices):
    OUTGOING = "out", _("Sent to the complainant")
    INCOMING = "in", _("Received")


class ComplaintMailOutcome(models.TextChoices):
    SENT = "sent", _("Sent")
    THREADED = "threaded", _("Added to the complaint")
    NO_COMPLAINT = "no_complaint", _("No complaint found")
    WRONG_SENDER = "wrong_sender", _("Sender is not the complainant")
    NOT_A_REPLY = "not_a_reply", _("Not a reply to our email: left for staff")
    FAILED_AUTHENTICATION = "failed_auth", _("Sender authentication failed")
    REFUSED = "refused", _("Refused by the complaint")


class ComplaintMail(models.Model):
    """One email of a complaint's mail thread: each answer sent to a complainant (its
    Message-ID, which a reply names in In-Reply-To) and each message received, threaded or
    not. The Message-ID is unique, so a message fetched or pushed again is never taken twice.
    """

    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    direction = models.CharField(
        _("direction"), max_length=3, choices=ComplaintMailDirection.choices
    )
    complaint = models.ForeignKey(
        Complaint,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mails",
        verbose_name=_("complaint"),
    )
    address = models.CharField(_("address"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=ComplaintMailOutcome.choices)
    note = models.TextField(_("note"), blank=True)
    door = models.CharField(_("received by"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)

    class Meta:
        verbose_name = _("complaint email")
        verbose_name_plural = _("complaint emails")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message_id
