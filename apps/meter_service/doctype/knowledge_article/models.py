"""Knowledge base: the questions subscribers ask most, answered once, shown on the portal's
help page and beside the complaint form before a complaint is filed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KnowledgeArticle(models.Model):
    question_fa = models.CharField(_("question (Persian)"), max_length=200)
    answer_fa = models.TextField(_("answer (Persian)"))
    question_en = models.CharField(_("question (English)"), max_length=200, blank=True)
    answer_en = models.TextField(_("answer (English)"), blank=True)
    topic = models.ForeignKey(
        "helpdesk.Queue",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="knowledge_articles",
        verbose_name=_("complaint topic"),
        help_text=_("Shown beside the complaint form when this topic is chosen."),
    )
    is_published = models.BooleanField(_("published"), default=False)
    order = models.PositiveSmallIntegerField(
        _("order"), default=100, help_text=_("Smaller numbers are shown first.")
    )
    # What the portal's search reads: both texts normalised (rules.search_text), kept in step
    # by the services so a search is one LIKE on one column.
    search_text = models.TextField(editable=False, blank=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("help article")
        verbose_name_plural = _("help articles")
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["is_published", "order"])]

    def __str__(self) -> str:
        return self.question_fa
