"""Serving a generated project with uvicorn and calling it over loopback.

A test renders a project, prepares its environment (support.project_env) and
then starts one or more uvicorn processes with `uvicorn_servers`, which waits
until each answers /health and stops them all however the test ends.
"""

from __future__ import annotations

import contextlib
import json
import re
import shlex
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from .support import ProjectRunner, SharedVenv, make_commands, project_env

STARTUP_SECONDS = 60
STOP_SECONDS = 10
FIRST_BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
# A reloader child would outlive the process a test stops, and a test never
# edits the code: these options are left out when serving as documented.
RELOAD_OPTIONS = {"--reload": 0, "--reload-dir": 1}


@dataclass
class Answer:
    """One response: its status, its body as JSON (None if empty or not asked
    for), and, left out of the repr, its headers and raw body."""

    status: int
    body: Any
    headers: Message = field(repr=False, compare=False)
    raw: bytes = field(default=b"", repr=False, compare=False)

    @property
    def text(self) -> str:
        return self.raw.decode()


@dataclass
class Worker:
    """One uvicorn process serving a project on 127.0.0.1:port."""

    port: int
    process: subprocess.Popen[bytes]
    log: Path

    def fetch(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        token: str | None = None,
        accept: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """The response as it came (body None, raw holds the bytes)."""
        headers = {"Accept": accept, **(headers or {})}
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return Answer(response.status, None, response.headers, response.read())
        except urllib.error.HTTPError as error:
            return Answer(error.code, None, error.headers, error.read())

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        """The response with its body parsed as JSON."""
        answer = self.fetch(
            method, path, json_body=json_body, form=form, token=token, headers=headers
        )
        answer.body = json.loads(answer.raw) if answer.raw else None
        return answer

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(worker: Worker, deadline: float) -> None:
    """Return once GET /health answers 200; fail if the process exits or the
    deadline (time.monotonic()) passes, showing the end of its log."""
    while time.monotonic() < deadline:
        if worker.process.poll() is not None:
            pytest.fail(f"worker on {worker.port} exited:\n{worker.log_tail()}")
        try:
            if worker.fetch("GET", "/health").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"worker on {worker.port} never answered /health:\n{worker.log_tail()}")


def start_uvicorn(
    venv: SharedVenv,
    project: Path,
    env: dict[str, str],
    log: Path,
    uvicorn_args: Sequence[str] = ("app.main:app",),
) -> Worker:
    """Start `uvicorn <uvicorn_args> --host 127.0.0.1 --port <free>` in the
    project with the shared venv's uvicorn; its output goes to `log`."""
    port = free_port()
    argv = [str(venv.bin / "uvicorn"), *uvicorn_args, "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Worker(port, process, log)


def stop_servers(workers: Sequence[Worker]) -> None:
    """Ask every worker to stop, then wait for each (killing a stuck one)."""
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.terminate()
    for worker in workers:
        try:
            worker.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()


@contextlib.contextmanager
def uvicorn_servers(
    venv: SharedVenv,
    project: Path,
    env: dict[str, str],
    logs: Sequence[Path],
    uvicorn_args: Sequence[str] = ("app.main:app",),
) -> Iterator[list[Worker]]:
    """One uvicorn process per log file, all started at once and all healthy
    before the block runs; every one is stopped when it ends, however it ends."""
    workers: list[Worker] = []
    try:
        for log in logs:
            workers.append(start_uvicorn(venv, project, env, log, uvicorn_args))
        deadline = time.monotonic() + STARTUP_SECONDS
        for worker in workers:
            wait_until_healthy(worker, deadline)
        yield workers
    finally:
        stop_servers(workers)


def readme_run_command(project: Path) -> list[str]:
    """The command that the README's first bash block serves the app with, as
    argv: its `make run` line, as the Makefile spells it out."""
    block = FIRST_BASH_BLOCK.search((project / "README.md").read_text())
    assert block, "README.md has no ```bash block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("make run")]
    assert len(lines) == 1, f"expected one `make run` line in the Quick start:\n{block.group(1)}"
    (command,) = make_commands(project, *shlex.split(lines[0], comments=True)[1:])
    argv = shlex.split(command)
    assert argv[:4] == ["uv", "run", "uvicorn", "app.main:app"], command
    return argv[2:]  # the tests run it in a venv of their own


def without_reload(argv: Sequence[str]) -> list[str]:
    """argv less the reload options (and their values)."""
    out: list[str] = []
    words = iter(argv)
    for word in words:
        if word in RELOAD_OPTIONS:
            for _ in range(RELOAD_OPTIONS[word]):
                next(words)
        else:
            out.append(word)
    return out


@contextlib.contextmanager
def serve_as_documented(venv: SharedVenv, project: Path, tmp_path: Path) -> Iterator[Worker]:
    """Migrate a SQLite project and serve it with its README's uvicorn line,
    less the reload options, on a free loopback port."""
    argv = readme_run_command(project)
    env = project_env(
        project,
        venv,
        mypy_cache=tmp_path / "mypy",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'served.db'}",
        redis_url=None,
    )
    env["SECRET_KEY"] = "s" * 48
    ProjectRunner(project, env).check("alembic upgrade head", "alembic", "upgrade", "head")
    uvicorn_args = without_reload(argv[1:])
    with uvicorn_servers(venv, project, env, [tmp_path / "uvicorn.log"], uvicorn_args) as (server,):
        yield server
