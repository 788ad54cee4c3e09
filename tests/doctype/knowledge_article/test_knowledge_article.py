"""Help articles: written in the desk (checked, audited), searched with Persian text
normalised, shown on the portal publicly and before a complaint is filed."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from helpdesk.models import Queue

from apps.meter_service.audit.models import DocumentEvent
from apps.meter_service.demo.knowledge import ARTICLES, ensure_knowledge_articles
from apps.meter_service.doctype.knowledge_article import rules, selectors, services
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle
from apps.meter_service.permissions import Role
from tests.portal.conftest import portal_client, subscriber_user  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

HELP_URL = reverse("portal:help")
NEW_COMPLAINT_URL = reverse("portal:complaint_new")


def test_search_text_is_normalised():
    # Arabic ye and kaf, a joiner, Arabic-Indic digits and a diacritic, as people type them.
    assert rules.normalize("كنتور مي‌شود ٢٤ ساعت") == rules.normalize("کنتور میشود 24 ساعت")
    assert rules.normalize("هزينهٔ") == "هزینه"
    assert rules.query_words("  ی  هزینه   هزینه ") == ["هزینه"]


@pytest.fixture
def articles(roles):
    admin_topics = {q.slug: q for q in Queue.objects.all()}
    ensure_knowledge_articles(actor=None)
    hidden = services.knowledge_article_create(
        question_fa="پیش‌نویس", answer_fa="هنوز منتشر نشده", topic=admin_topics["fees"]
    )
    return {"hidden": hidden, "topics": admin_topics}


def test_articles_are_audited_and_changes_recorded(articles, make_user):
    manager = make_user(Role.SERVICE_MANAGER)
    article = articles["hidden"]
    services.knowledge_article_update(article=article, actor=manager, is_published=True)
    events = DocumentEvent.objects.filter(object_id=str(article.pk)).order_by("id")
    assert [e.event_type for e in events] == [
        "knowledge_article_created",
        "knowledge_article_updated",
    ]
    assert events.last().parameters["changes"]["is_published"] == [False, True]
    # The search text follows the answer.
    services.knowledge_article_update(article=article, actor=manager, answer_fa="قبض گاز")
    assert "قبض" in KnowledgeArticle.objects.get(pk=article.pk).search_text


def test_a_topic_the_portal_does_not_offer_is_refused(articles):
    staff = articles["topics"]["staff"]
    staff.allow_public_submission = False
    staff.save()
    with pytest.raises(ValidationError) as error:
        services.knowledge_article_create(question_fa="س", answer_fa="ج", topic=staff)
    assert error.value.message_dict.keys() == {"topic"}
    with pytest.raises(ValidationError):
        services.knowledge_article_create(question_fa="", answer_fa="ج")
    assert KnowledgeArticle.objects.count() == len(ARTICLES) + 1


def test_the_help_page_is_public_and_searches_normalised_words(client, articles):
    response = client.get(HELP_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "هزینه تست کنتور چقدر است؟" in html
    assert "پیش‌نویس" not in html  # not published
    # Typed with an Arabic ye and kaf and no joiner: still found.
    found = client.get(HELP_URL, {"q": "مدارك لازم"}).context["articles"]
    assert [a.question_fa for a in found] == ["برای درخواست تست کنتور چه مدارکی لازم است؟"]
    assert client.get(HELP_URL, {"q": "تسويه‌شده"}).context["articles"]
    assert client.get(HELP_URL, {"q": "تسویهشده"}).context["articles"]
    nothing = client.get(HELP_URL, {"q": "آسانسور"})
    assert nothing.context["articles"] == []
    with translation.override("fa"):
        assert gettext("No answer matches your search. Try other words, or ask us.") in (
            nothing.content.decode()
        )
    by_topic = client.get(HELP_URL, {"topic": "fees"}).context["articles"]
    assert {a.topic.slug for a in by_topic} == {"fees"} and len(by_topic) == 2


def test_the_help_page_speaks_english_when_asked(client, articles):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(HELP_URL)
    assert "How much does a meter test cost?" in response.content.decode()


def test_before_filing_the_topic_s_answers_are_shown_then_the_form(
    portal_client,  # noqa: F811
    articles,
):
    first = portal_client.get(NEW_COMPLAINT_URL)
    assert first.status_code == 200
    assert "form" not in first.context or first.context.get("form") is None
    html = first.content.decode()
    with translation.override("fa"):
        assert gettext("Did this answer your question?") in html
    assert "?continue=1" in html
    fees = portal_client.get(NEW_COMPLAINT_URL, {"topic": "fees"})
    assert [a.topic.slug for a in fees.context["articles"]] == ["fees", "fees"]
    assert "continue=1&amp;topic=fees" in fees.content.decode()

    form_page = portal_client.get(NEW_COMPLAINT_URL, {"continue": "1", "topic": "fees"})
    assert form_page.status_code == 200
    assert form_page.context["form"]["topic"].value() == articles["topics"]["fees"].pk


def test_without_answers_the_form_comes_at_once(portal_client, roles):  # noqa: F811
    response = portal_client.get(NEW_COMPLAINT_URL)
    assert response.context["form"] is not None
    assert selectors.articles_before_filing() == []
