from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.meter_service.doctype.claim.models import Claim


class PrintoutKind(models.TextChoices):
    RECEIPT = "receipt", _("Claim receipt")
    TEST_REPORT = "test_report", _("Test report")
    CORRECTION_STATEMENT = "correction_statement", _("Correction statement")


class StoredPrintout(models.Model):
    """The last PDF made of one document in one language, and the content it was made from.

    `version` is a digest of the document's print HTML with the printing time left out: any
    change to what the PDF shows (the claim, its payment, a test point, a template) gives
    another digest, so a stored file is served only while it still shows the document as
    it is. The file is private (served by files.py to those with the model's permission,
    which no role has; the doors serve it after their own checks).
    """

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="printouts", verbose_name=_("claim")
    )
    kind = models.CharField(_("kind"), max_length=32, choices=PrintoutKind.choices)
    # The receipt's claim, the test's inspection or the correction: the document printed.
    object_id = models.PositiveBigIntegerField(_("document id"))
    language = models.CharField(_("language"), max_length=8)
    version = models.CharField(_("content version"), max_length=64)
    file = models.FileField(_("file"), upload_to="printouts/%Y/%m/")
    made_at = models.DateTimeField(_("made at"))

    class Meta:
        verbose_name = _("stored printout")
        verbose_name_plural = _("stored printouts")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "language"], name="printout_one_per_document"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.language}"
