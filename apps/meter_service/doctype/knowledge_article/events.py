"""Audit events of help articles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class KnowledgeArticleEvents(models.TextChoices):
    """The audit events of help articles, with their names in the interface."""

    ARTICLE_CREATED = "knowledge_article_created", _("Help article added")
    ARTICLE_UPDATED = "knowledge_article_updated", _("Help article changed")
