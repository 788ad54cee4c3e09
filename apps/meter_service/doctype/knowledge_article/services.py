"""Actions on help articles: add and change, audited; the search text kept in step."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from apps.meter_service.core.types import Actor
from apps.meter_service.doctype.knowledge_article import rules
from apps.meter_service.doctype.knowledge_article.error_codes import KnowledgeArticleErrorCode
from apps.meter_service.doctype.knowledge_article.events import KnowledgeArticleEvents
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle
from apps.meter_service.document_services import document_create, document_update

EDITABLE_FIELDS = (
    "question_fa",
    "answer_fa",
    "question_en",
    "answer_en",
    "topic",
    "is_published",
    "order",
)


def _prepared(fields: dict[str, Any], article: KnowledgeArticle | None = None) -> dict[str, Any]:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    fields = {k: (v.strip() if isinstance(v, str) else v) for k, v in fields.items()}
    topic = fields.get("topic", article.topic if article else None)
    if topic is not None and not topic.allow_public_submission:
        # The article would show beside a topic the portal never offers.
        raise ValidationError(
            {
                "topic": ValidationError(
                    _("Choose a topic the portal offers."),
                    code=KnowledgeArticleErrorCode.TOPIC_NOT_PUBLIC,
                )
            }
        )
    texts = {
        name: fields.get(name, getattr(article, name, "") if article else "")
        for name in ("question_fa", "answer_fa", "question_en", "answer_en")
    }
    fields["search_text"] = rules.search_text(*texts.values())
    return fields


@transaction.atomic
def knowledge_article_create(
    *, actor: Actor = None, source: str = "desk", **fields: Any
) -> KnowledgeArticle:
    return document_create(
        KnowledgeArticle,
        event_type=KnowledgeArticleEvents.ARTICLE_CREATED,
        actor=actor,
        source=source,
        fields=_prepared(fields),
    )


@transaction.atomic
def knowledge_article_update(
    *, article: KnowledgeArticle, actor: Actor = None, source: str = "desk", **fields: Any
) -> KnowledgeArticle:
    return document_update(
        article,
        editable=(*EDITABLE_FIELDS, "search_text"),
        event_type=KnowledgeArticleEvents.ARTICLE_UPDATED,
        actor=actor,
        source=source,
        fields=_prepared(fields, article),
    )
