"""The job worker's class (`manage.py rqworker`, settings.RQ["WORKER_CLASS"]): RQ's forking
worker, whose children die with it.

RQ forks a child for its scheduler (--with-scheduler: the SMS retries' delays) and one per
job. Killed with SIGKILL (the out-of-memory killer, an operator), the worker left them
running: the scheduler child for good, outside any supervisor, holding RQ's scheduler locks
and running the old code after a deploy. Each child now asks the kernel for SIGTERM when
the process that forked it ends (Linux's PR_SET_PDEATHSIG), as supervisord's and systemd's
stops already do to the whole group.
"""

from __future__ import annotations

import ctypes
import os
import signal

from rq.job import Job as RQJob
from rq.worker import Worker as RQWorker

from apps.meter_service.core import pdf
from apps.meter_service.core.db_retry import run_with_retry

PR_SET_PDEATHSIG = 1
_forking_parent = 0
_installed = False


def _before_fork() -> None:
    global _forking_parent
    _forking_parent = os.getpid()


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: children outlive a killed worker there
        return
    if os.getppid() != _forking_parent:  # the parent died before the request was made
        os._exit(1)


def install() -> None:
    """Make every child forked from now on in this process end when its parent ends (once).

    Only forks that come back to Python count (multiprocessing, RQ): a subprocess, which
    runs another program, is left alone."""
    global _installed
    if not _installed:
        os.register_at_fork(before=_before_fork, after_in_child=_die_with_parent)
        _installed = True


class Worker(RQWorker):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        install()
        # The PDFs printed ahead (doctype/printout) run in a child forked for each job.
        pdf.preload()


class Job(RQJob):
    """RQ's job, run again when MariaDB/Galera rolled its transaction back on a conflict
    (settings.RQ["JOB_CLASS"]; see db_retry.py for when that is safe)."""

    def _execute(self):
        return run_with_retry(super()._execute)
