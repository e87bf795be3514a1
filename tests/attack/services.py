"""Redis and PostgreSQL servers that the attack suites own.

Each one runs on a free loopback port from a temporary folder, so a suite may
stop and start it mid-traffic without touching the machine's shared servers
(which the variant matrix and other test runs use at the same time).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from variants.servers import free_port
from variants.support import missing

READY_SECONDS = 30


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _wait(port: int, up: bool, what: str) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if _answers(port) == up:
            return
        time.sleep(0.1)
    pytest.fail(f"{what} on {port} did not {'start' if up else 'stop'} in {READY_SECONDS}s")


@dataclass
class RedisServer:
    """`redis-server` without persistence, as the brief for fault tests says."""

    port: int
    folder: Path
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    @contextlib.contextmanager
    def running(cls, folder: Path) -> Iterator[RedisServer]:
        """A new server in `folder`, started; stopped when the block ends."""
        if shutil.which("redis-server") is None:
            missing("redis-server is not installed")
        server = cls(free_port(), folder)
        server.start()
        try:
            yield server
        finally:
            server.stop()

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        argv = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        with (self.folder / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        _wait(self.port, True, "redis-server")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        _wait(self.port, False, "redis-server")


def _postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    on_path = shutil.which("initdb")
    if not found and on_path is None:
        missing("PostgreSQL's initdb is not installed")
    return Path(found[0] if found else str(on_path)).parent


@dataclass
class PostgresCluster:
    """A throwaway cluster (initdb + pg_ctl) with trust auth for `postgres`.

    initdb refuses to run as root, so under root every PostgreSQL command runs
    as the `postgres` system user, which then owns the temporary folder.
    """

    port: int
    folder: Path
    bin: Path

    @classmethod
    @contextlib.contextmanager
    def running(cls) -> Iterator[PostgresCluster]:
        """A new cluster, started; stopped and removed when the block ends.

        Its folder is made directly under the system's temporary folder:
        pytest's own are private to the user running pytest.
        """
        folder = Path(tempfile.mkdtemp(prefix="fastgen-attack-pg-"))
        try:
            if os.geteuid() == 0:
                shutil.chown(folder, "postgres", "postgres")
            cluster = cls(free_port(), folder, _postgres_bin())
            cluster._run("initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust")
            cluster.start()
            try:
                yield cluster
            finally:
                cluster.stop()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _run(self, tool: str, *args: str) -> None:
        argv = [str(self.bin / tool), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=self.folder, check=False)
        assert done.returncode == 0, f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}"

    @property
    def server(self) -> str:
        return f"postgres@127.0.0.1:{self.port}"

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.server}/{database}"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        data, log = str(self.folder / "data"), str(self.folder / "postgres.log")
        self._run("pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)
        return self.url(name)
