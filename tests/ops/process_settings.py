"""Settings of the processes the supervision tests start: the site's settings, with one
periodic job, the heartbeat, every second, on METER_TEST_QUEUE (default: "default")."""

import os

from sites.settings import *  # noqa: F403
from sites.settings import RQ_QUEUES

_QUEUE = os.environ.get("METER_TEST_QUEUE", "default")
RQ_QUEUES = {**RQ_QUEUES, _QUEUE: dict(RQ_QUEUES["default"])}
METER_PERIODIC_JOBS = [
    {"path": "apps.meter_service.jobs.heartbeat", "every_seconds": 1, "queue": _QUEUE}
]
