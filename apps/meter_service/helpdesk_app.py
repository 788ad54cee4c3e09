"""django-helpdesk's app under the name the desk shows for it (its own name is plain text)."""

from django.utils.translation import gettext_lazy as _
from helpdesk.apps import HelpdeskConfig


class ComplaintsHelpdeskConfig(HelpdeskConfig):
    verbose_name = _("Complaints")
