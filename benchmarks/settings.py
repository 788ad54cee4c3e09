"""Settings of the benchmark's server: the site's settings plus a bare comparison endpoint.

Only benchmarks/claims_api.py uses this module (DJANGO_SETTINGS_MODULE=benchmarks.settings);
the product never loads the `bare` app.
"""

from sites.settings import *  # noqa: F403
from sites.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "benchmarks.bare"]
ROOT_URLCONF = "benchmarks.urls"
DEBUG = False
# One JSON log line per request would be measured too; keep warnings and errors only.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
