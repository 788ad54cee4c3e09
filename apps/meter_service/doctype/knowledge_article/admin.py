"""Help articles in the desk: the service manager, the complaints officers and the system
administrator write them; saves go through the services (checked, audited)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from helpdesk.models import Queue

from apps.meter_service.admin_base import DocumentAdmin
from apps.meter_service.doctype.knowledge_article import services
from apps.meter_service.doctype.knowledge_article.models import KnowledgeArticle
from apps.meter_service.sites import staff_site


@admin.register(KnowledgeArticle, site=staff_site)
class KnowledgeArticleAdmin(DocumentAdmin):
    list_display = ["question_fa", "topic", "is_published", "order", "updated_at"]
    list_filter = ["is_published", "topic"]
    list_editable: list[str] = []
    search_fields = ["question_fa", "answer_fa", "question_en"]
    list_select_related = ["topic"]
    readonly_fields = ["updated_at"]
    fieldsets = [
        (None, {"fields": ["question_fa", "answer_fa", "topic", "is_published", "order"]}),
        (_("In English"), {"fields": ["question_en", "answer_en"]}),
        (None, {"fields": ["updated_at"]}),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "topic":
            kwargs["queryset"] = Queue.objects.filter(allow_public_submission=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create_document(self, request, fields):
        return services.knowledge_article_create(actor=request.user, **fields)

    def update_document(self, request, instance, fields):
        return services.knowledge_article_update(article=instance, actor=request.user, **fields)
