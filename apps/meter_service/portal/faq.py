"""The portal's help pages: the knowledge base, public (no login), searchable; and the
answers shown before a complaint is filed. Reads only, through the article selectors."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_GET

from apps.meter_service.doctype.complaint import rules as complaint_rules
from apps.meter_service.doctype.complaint import selectors as complaint_selectors
from apps.meter_service.doctype.knowledge_article import selectors
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle

QUERY_MAX = 100


def with_article_display(article: KnowledgeArticle) -> KnowledgeArticle:
    """The question and answer in the active language (Persian when there is no English)."""
    english = not (translation.get_language() or "fa").startswith("fa")
    display = {
        "question": article.question_en if english and article.question_en else article.question_fa,
        "answer": article.answer_en if english and article.answer_en else article.answer_fa,
        "topic_display": complaint_rules.topic_label(article.topic) if article.topic else "",
    }
    # Attributes for the templates, set on the instance: none is a field of the model.
    for name, value in display.items():
        setattr(article, name, value)
    return article


def topic_choices() -> list[dict[str, str]]:
    """The portal's complaint topics, slug and label, for the topic chips."""
    return [
        {"slug": topic.slug, "label": complaint_rules.topic_label(topic)}
        for topic in complaint_selectors.complaint_topics(public_only=True)
    ]


@require_GET
def help_page(request: HttpRequest) -> HttpResponse:
    """Common questions and their answers; ?q= searches them, ?topic= narrows to a topic."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    topics = topic_choices()
    topic = request.GET.get("topic", "")
    if topic not in {t["slug"] for t in topics}:
        topic = ""
    articles = [
        with_article_display(a)
        for a in selectors.published_articles(query=query, topic_slug=topic)[:100]
    ]
    return render(
        request,
        "meter_service/portal/help.html",
        {"articles": articles, "query": query, "topic": topic, "topics": topics},
    )
