"""/metrics under several worker processes: with PROMETHEUS_MULTIPROC_DIR set,
as the generated README says, whichever process answers a scrape reports the
requests of all of them.

The processes are two uvicorn servers on ports of their own sharing the
directory, as `--workers 2` shares it, so that the test chooses which one
serves each request rather than the kernel."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .servers import Worker, uvicorn_servers
from .support import SharedVenv, copier_questions, project_env, render

TOKEN = "t" * 32
HEALTH = {"route": "/health", "method": "GET", "status": "2xx"}
SAMPLE = re.compile(r"^(\w+)(?:\{(.*)\})? (\S+)$")


def sample(worker: Worker, name: str, **labels: str) -> float:
    """One sample of a /metrics page, by its name and labels."""
    page = worker.fetch("GET", "/metrics", accept="text/plain", token=TOKEN)
    assert page.status == 200, page
    found = []
    for line in page.text.splitlines():
        match = SAMPLE.match(line)
        if match and match[1] == name:
            pairs = re.findall(r'(\w+)="([^"]*)"', match[2] or "")
            if dict(pairs) == labels:
                found.append(float(match[3]))
    (value,) = found
    return value


@pytest.mark.variants
def test_every_worker_reports_the_requests_of_all(
    copie_session: Any, shared_venv: Callable[[str], SharedVenv], tmp_path: Path
) -> None:
    project = render(copie_session, {"project_name": "Metrics workers", "metrics": True})
    venv = shared_venv(copier_questions()["python_version"]["default"])
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = project_env(
        project,
        venv,
        mypy_cache=tmp_path / "mypy",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        redis_url=None,
    )
    env.update(METRICS_TOKEN=TOKEN, PROMETHEUS_MULTIPROC_DIR=str(shared))
    migrate = subprocess.run(
        ["alembic", "upgrade", "head"], cwd=project, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr

    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with uvicorn_servers(venv, project, env, logs) as (first, second):
        # The second answered the last health check before the block.
        before = sample(second, "http_requests_total", **HEALTH)
        statuses = {first.fetch("GET", "/health").status for _ in range(25)}
        statuses |= {second.fetch("GET", "/health").status for _ in range(15)}
        # A request is counted once its answer is sent: asked first, the
        # process that answered last has counted it, as it finishes a task
        # before it reads a new request.
        scraped = [
            sample(worker, "http_requests_total", **HEALTH) - before
            for worker in (second, first, second, first)
        ]
        in_flight = [sample(worker, "http_requests_in_flight") for worker in (first, second)]

    assert statuses == {200}
    assert scraped == [40.0] * 4
    assert in_flight == [0.0, 0.0]
