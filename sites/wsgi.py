"""WSGI entry point (gunicorn sites.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sites.settings")
application = get_wsgi_application()

# Each worker parses the service process once now, not in its first claim's request.
from apps.meter_service.engine import runner  # noqa: E402

runner.warm()

# And loads WeasyPrint with the receipt's fonts: a worker's first PDF took a second more.
from apps.meter_service.doctype.claim.receipt import warm_printing  # noqa: E402

warm_printing()

# Without Redis (the embedded site) jobs run in threads of this process and no scheduler
# process runs: a thread here sweeps the outbox (retries, rows another process left).
from apps.meter_service import jobs  # noqa: E402

if jobs.jobs_mode() == "thread":
    from apps.meter_service.doctype.outbox.services import start_embedded_sweeper

    start_embedded_sweeper()

# What is loaded by now (Django, the app, the parsed process) lives as long as the worker.
# Frozen, the garbage collector stops walking it in every full collection: measured on a
# filing worker, a full collection took about 100 ms before and 6 ms after.
import gc  # noqa: E402

gc.freeze()
