"""Production process management, written from the Procfile: one list of processes.

The `Procfile` names the site's processes (web, worker, scheduler) and how each starts; honcho
runs them as they are in development. For production, `manage.py supervisor_config` turns the
same lines into a supervisord configuration (and, with --systemd, systemd units): each
process is restarted when it dies on its own, with a backoff when it cannot start, stopped
with the signal that lets it finish its work, and logs into the site's folder; one process
dying never stops the others (honcho stops them all).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessPolicy:
    """How a process of the Procfile is stopped and when it counts as started."""

    # Sent first on a stop; the supervisor kills the process group if it has not ended
    # after stop_wait seconds.
    stop_signal: str = "TERM"
    stop_wait: int = 30
    # A process that ends sooner than this after starting has failed to start: it is tried
    # again after 1, 2, 3... seconds (supervisord's backoff), START_RETRIES times.
    start_seconds: int = 3


POLICIES: dict[str, ProcessPolicy] = {
    # gunicorn: TERM lets requests in flight finish within its graceful_timeout (30 s).
    "web": ProcessPolicy(stop_signal="TERM", stop_wait=40),
    # RQ: TERM is a warm stop, the job running finishes first. One still running after two
    # minutes is killed; its outbox row is run again after its lease (doctype/outbox/), and
    # payments_reconcile settles a payment it left open.
    "worker": ProcessPolicy(stop_signal="TERM", stop_wait=120),
    # The scheduler lets its lock go on TERM, so another scheduler takes over at once.
    "scheduler": ProcessPolicy(stop_signal="TERM", stop_wait=15),
}
START_RETRIES = 10
# Processes that need Redis; a site without it runs its jobs inside the web process.
NEEDS_REDIS = {"worker", "scheduler"}
LOG_MAX_BYTES = "50MB"
LOG_BACKUPS = 10


def read_procfile(path: Path) -> dict[str, str]:
    """The Procfile's processes in order: name -> command line (a shell command)."""
    processes: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip().isidentifier() or not command.strip():
            raise ValueError(f"{path}:{number}: not a 'name: command' line")
        processes[name.strip()] = command.strip()
    return processes


@dataclass(frozen=True)
class Site:
    name: str
    folder: Path  # sites/<name>: logs/ and run/ go there
    base_dir: Path  # the repository root, where the Procfile's commands run
    has_redis: bool
    environment: dict[str, str]  # METER_SITE, PORT and what the operator adds

    @property
    def logs(self) -> Path:
        return self.folder / "logs"

    @property
    def run(self) -> Path:
        return self.folder / "run"


def site_processes(site: Site, procfile: dict[str, str]) -> dict[str, str]:
    if site.has_redis:
        return dict(procfile)
    return {name: line for name, line in procfile.items() if name not in NEEDS_REDIS}


def _shell(line: str) -> str:
    # The Procfile's lines are shell commands (variables, `exec`): run each by /bin/sh, whose
    # `exec` then makes the process itself the one supervised and signalled.
    return "/bin/sh -c " + shlex.quote(line)


def _supervisor_value(text: str) -> str:
    return text.replace("%", "%%")  # supervisord expands %(name)s in every value


def supervisord_conf(site: Site, procfile: dict[str, str]) -> str:
    """A complete supervisord configuration for one site (its own supervisord and socket)."""
    environment = ",".join(
        f'{key}="{_supervisor_value(value)}"' for key, value in site.environment.items()
    )
    lines = [
        f"; supervisord for the site {site.name}, written by `manage.py supervisor_config`",
        "; from the Procfile: change the Procfile and write this again, do not edit it.",
        f"; Run: supervisord -c {site.folder / 'supervisord.conf'}",
        f"; Then: supervisorctl -c {site.folder / 'supervisord.conf'} status",
        "",
        "[supervisord]",
        f"logfile={site.logs / 'supervisord.log'}",
        f"logfile_maxbytes={LOG_MAX_BYTES}",
        f"logfile_backups={LOG_BACKUPS}",
        f"pidfile={site.run / 'supervisord.pid'}",
        f"childlogdir={site.logs}",
        f"directory={site.base_dir}",
        "",
        "[unix_http_server]",
        f"file={site.run / 'supervisor.sock'}",
        "chmod=0700",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{site.run / 'supervisor.sock'}",
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
    ]
    if not site.has_redis:
        lines += ["", "; No Redis: jobs run inside the web process, no worker or scheduler."]
    for name, line in site_processes(site, procfile).items():
        policy = POLICIES.get(name, ProcessPolicy())
        lines += [
            "",
            f"[program:{name}]",
            f"command={_supervisor_value(_shell(line))}",
            f"directory={site.base_dir}",
            f"environment={environment}",
            "autostart=true",
            # Restarted whenever it ends, whatever its exit status.
            "autorestart=true",
            f"startsecs={policy.start_seconds}",
            f"startretries={START_RETRIES}",
            f"stopsignal={policy.stop_signal}",
            f"stopwaitsecs={policy.stop_wait}",
            # The stop signal goes to the process only (gunicorn's master and RQ's worker
            # stop their children themselves); the kill after stopwaitsecs to them all.
            "stopasgroup=false",
            "killasgroup=true",
            f"stdout_logfile={site.logs / f'{name}.log'}",
            f"stdout_logfile_maxbytes={LOG_MAX_BYTES}",
            f"stdout_logfile_backups={LOG_BACKUPS}",
            "redirect_stderr=true",
        ]
    return "\n".join(lines) + "\n"


def _systemd_value(text: str) -> str:
    return text.replace("%", "%%").replace("$", "$$")  # systemd's specifiers and variables


def systemd_units(site: Site, procfile: dict[str, str], *, user: str) -> dict[str, str]:
    """systemd units for one site: a service per process and a target that starts them all
    (`systemctl enable --now meter-NAME.target`). File name -> text."""
    target = f"meter-{site.name}.target"
    services = {
        name: f"meter-{site.name}-{name}.service" for name in site_processes(site, procfile)
    }
    units = {
        target: "\n".join(
            [
                f"# The site {site.name}'s processes; written by `manage.py supervisor_config "
                "--systemd` from the Procfile.",
                "[Unit]",
                f"Description=Meter service {site.name}",
                f"Wants={' '.join(services.values())}",
                "",
                "[Install]",
                "WantedBy=multi-user.target",
                "",
            ]
        )
    }
    for name, unit in services.items():
        policy = POLICIES.get(name, ProcessPolicy())
        log = site.logs / f"{name}.log"
        units[unit] = "\n".join(
            [
                f"# Written by `manage.py supervisor_config --systemd` from the Procfile's {name}.",
                "[Unit]",
                f"Description=Meter service {site.name}: {name}",
                f"PartOf={target}",
                "After=network-online.target mariadb.service redis-server.service",
                "Wants=network-online.target",
                # Never give up restarting (the default gives up after 5 starts in 10 s).
                "StartLimitIntervalSec=0",
                "",
                "[Service]",
                "Type=simple",
                f"User={user}",
                f"WorkingDirectory={site.base_dir}",
                *(
                    f'Environment="{key}={_systemd_value(value)}"'
                    for key, value in site.environment.items()
                ),
                f"ExecStart={_systemd_value(_shell(procfile[name]))}",
                "Restart=always",
                "RestartSec=5",
                f"KillSignal=SIG{policy.stop_signal}",
                # The stop signal to the main process, the kill after the timeout to all.
                "KillMode=mixed",
                f"TimeoutStopSec={policy.stop_wait}",
                f"StandardOutput=append:{log}",
                f"StandardError=append:{log}",
                "",
                "[Install]",
                f"WantedBy={target}",
                "",
            ]
        )
    return units
