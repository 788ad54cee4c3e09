"""A frozen MariaDB must not freeze the site: connecting gives up after connect_timeout.

The site's MySQL options (sites/settings/base.py) are used against a server that accepts
the connection and then says nothing, as a stopped (SIGSTOP) MariaDB does."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from sites.settings.base import _database


@pytest.fixture
def frozen_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])  # and never a greeting
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    for connection in accepted:
        connection.close()
    listener.close()


def test_connecting_to_a_frozen_server_gives_up(frozen_server):
    mysqldb = pytest.importorskip("MySQLdb", reason="needs mysqlclient (the MariaDB run)")
    settings = _database(f"mysql://user:password@127.0.0.1:{frozen_server}/meter")
    options = settings["OPTIONS"]
    assert options["connect_timeout"] <= 10 and options["read_timeout"]
    started = time.monotonic()
    with pytest.raises(mysqldb.OperationalError):
        mysqldb.connect(
            host="127.0.0.1",
            port=frozen_server,
            user="user",
            password="password",
            connect_timeout=options["connect_timeout"],
            read_timeout=options["read_timeout"],
        )
    assert time.monotonic() - started < options["connect_timeout"] + 5
