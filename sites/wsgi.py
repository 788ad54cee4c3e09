"""WSGI entry point (gunicorn sites.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sites.settings")
application = get_wsgi_application()

# Each worker parses the service process once now, not in its first claim's request.
from apps.meter_service.doctype.process import engine  # noqa: E402

engine.warm()
