"""Error codes of help articles (the `code` of the errors their services raise)."""

from enum import StrEnum


class KnowledgeArticleErrorCode(StrEnum):
    """Why a help article was refused."""

    TOPIC_NOT_PUBLIC = "topic_not_public"
