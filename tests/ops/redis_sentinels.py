"""A Redis primary, a replica and three sentinels on local ports, for failover tests."""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import redis

MASTER = "mymaster"


def _wait(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
        except redis.RedisError:
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


class SentinelSet:
    def __init__(self, folder: Path, primary: int, replica: int, sentinels: list[int]) -> None:
        self.folder = folder
        self.ports = {"primary": primary, "replica": replica}
        self.sentinel_ports = sentinels
        self.processes: dict[str, subprocess.Popen] = {}

    @property
    def sentinels(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port) for port in self.sentinel_ports]

    def _start(self, name: str, args: list[str]) -> None:
        log = open(self.folder / f"{name}.log", "ab")  # noqa: SIM115 (kept by the process)
        self.processes[name] = subprocess.Popen(args, stdout=log, stderr=log)

    def start_redis(self, name: str, replica_of: int | None = None) -> None:
        port = self.ports[name]
        args = [
            shutil.which("redis-server") or "redis-server",
            "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.folder),
            "--dbfilename", f"{name}.rdb",
        ]  # fmt: skip
        if replica_of:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        self._start(name, args)
        _wait(lambda: self.client(port).ping(), 10, f"redis on {port}")

    def start(self) -> SentinelSet:
        self.start_redis("primary")
        self.start_redis("replica", replica_of=self.ports["primary"])
        _wait(
            lambda: (
                self.client(self.ports["replica"]).info("replication")["master_link_status"] == "up"
            ),
            15,
            "the replica to sync",
        )
        for port in self.sentinel_ports:
            conf = self.folder / f"sentinel-{port}.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {self.folder}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.ports['primary']} 2\n"
                f"sentinel down-after-milliseconds {MASTER} 1000\n"
                f"sentinel failover-timeout {MASTER} 5000\n"
                f"sentinel parallel-syncs {MASTER} 1\n"
            )
            self._start(
                f"sentinel-{port}", [shutil.which("redis-server") or "", str(conf), "--sentinel"]
            )
        for port in self.sentinel_ports:
            _wait(lambda p=port: self.master_port(p), 10, f"sentinel {port}")
        return self

    @staticmethod
    def client(port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=1)

    def master_port(self, sentinel_port: int | None = None) -> int | None:
        port = sentinel_port or self.sentinel_ports[0]
        address = self.client(port).execute_command("SENTINEL", "get-master-addr-by-name", MASTER)
        return int(address[1]) if address else None

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.kill()
        process.wait(10)

    def wait_for_failover(self, seconds: float = 40) -> int:
        old = self.ports["primary"]
        return _wait(
            lambda: (
                (port := self.master_port()) != old
                and self.client(port).info("replication")["role"] == "master"
                and port
            ),
            seconds,
            "the sentinels to promote the replica",
        )

    def stop(self) -> None:
        for name in list(self.processes):
            self.kill(name)


@contextmanager
def sentinel_set(folder: Path, primary: int, replica: int, sentinels: list[int]):
    found = shutil.which("redis-server")
    if not found:
        import pytest

        pytest.skip("needs redis-server")
    group = SentinelSet(folder, primary, replica, sentinels)
    try:
        yield group.start()
    finally:
        group.stop()
