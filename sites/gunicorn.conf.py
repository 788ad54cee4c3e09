"""gunicorn's settings for a site's web process (the Procfile's `web`).

The request timeout is the site's rule WEB_TIMEOUT_SECONDS (site_config.json, "meter_service"),
where the other time limits are; WEB_TIMEOUT in the environment overrides it for one run.
Bind address and worker count come from the environment as before: METER_BIND_HOST (default
127.0.0.1), PORT (default 8000) and WEB_CONCURRENCY (default 2).
"""

import os

from apps.meter_service.core.rule_settings import site_rules
from sites.siteconfig import load_config

_config = load_config()
_rules, _ = site_rules(_config.get("meter_service", {}), _config)

bind = f"{os.environ.get('METER_BIND_HOST') or '127.0.0.1'}:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# A worker stuck in one request longer than this is killed and replaced by the master.
timeout = int(os.environ.get("WEB_TIMEOUT") or _rules["WEB_TIMEOUT_SECONDS"])
# On SIGTERM (a stop or restart) requests in flight get this long to finish; the process
# supervisor waits longer than this before it kills (supervisor_config).
graceful_timeout = 30
