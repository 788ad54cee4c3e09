"""Reads of help articles: what the portal shows (published only; public, no login)."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.meter_service.doctype.knowledge_article import rules
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle


def published_articles(*, query: str = "", topic_slug: str = "") -> QuerySet[KnowledgeArticle]:
    """Published articles in their order; with a query, those holding every word of it
    (normalised: Arabic ye and kaf, joiners, digits); with a topic, that topic's."""
    articles = KnowledgeArticle.objects.filter(is_published=True).select_related("topic")
    for word in rules.query_words(query):
        articles = articles.filter(search_text__contains=word)
    if topic_slug:
        articles = articles.filter(topic__slug=topic_slug)
    return articles.order_by("order", "id")


def articles_before_filing(*, topic_slug: str = "", count: int = 5) -> list[KnowledgeArticle]:
    """What the complaint form shows before filing: the chosen topic's articles, else (or
    when it has none) the first ones of all."""
    found = list(published_articles(topic_slug=topic_slug)[:count]) if topic_slug else []
    if not found:
        found = list(published_articles()[:count])
    return found
