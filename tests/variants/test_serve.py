"""The default project is served exactly as its README's Quick start says.

The project of copier's defaults (only a name given) is migrated and started
with the uvicorn line of its README, less its reload options (a reloader child
would outlive the process the test stops), on a free loopback port. Its health
checks, its API docs and its error envelope then answer over real HTTP, each
with the security headers and a request id.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .servers import Answer, readme_run_command, serve_as_documented
from .support import SharedVenv, copier_questions, render

PROJECT_NAME = "Served As Documented"


def test_readme_reloads_on_changes_to_the_app_only(copie_session: Any) -> None:
    """Watching the whole folder would include .venv: a core busy for nothing."""
    project = render(copie_session, {"project_name": PROJECT_NAME})
    argv = readme_run_command(project)

    assert "--reload" in argv
    assert argv[argv.index("--reload-dir") + 1] == "app"
    assert argv.count("--reload-dir") == 1


def _assert_common_headers(path: str, answer: Answer) -> None:
    assert answer.headers.get("X-Content-Type-Options") == "nosniff", (path, answer)
    assert answer.headers.get("X-Request-ID"), (path, answer)


@pytest.mark.variants
def test_default_project_serves_as_its_readme_says(
    copie_session: Any,
    shared_venv: Callable[[str], SharedVenv],
    tmp_path: Path,
) -> None:
    project = render(copie_session, {"project_name": PROJECT_NAME})
    venv = shared_venv(copier_questions()["python_version"]["default"])

    with serve_as_documented(venv, project, tmp_path) as server:
        answers: dict[str, Answer] = {}

        health = answers["/health"] = server.call("GET", "/health")
        assert health.status == 200, health
        assert health.body == {"status": "ok"}

        ready = answers["/health/ready"] = server.call("GET", "/health/ready")
        assert ready.status == 200, ready

        docs = answers["/docs"] = server.fetch("GET", "/docs", accept="text/html")
        assert docs.status == 200, docs
        assert docs.headers.get_content_type() == "text/html"
        assert "swagger" in docs.text.lower()

        schema = answers["/openapi.json"] = server.call("GET", "/openapi.json")
        assert schema.status == 200, schema
        assert schema.body["info"]["title"] == PROJECT_NAME
        assert "/api/v1/auth/login" in schema.body["paths"]

        missing = answers["/nope"] = server.call("GET", "/nope")
        assert missing.status == 404, missing
        assert {"error", "detail", "timestamp", "path"} <= missing.body.keys(), missing

        for path, answer in answers.items():
            _assert_common_headers(path, answer)
        log_text = server.log_tail(chars=20_000)

    # --no-access-log: the app writes its own access line (with the request id),
    # uvicorn's would repeat it.
    assert "app.access: GET '/health' 200" in log_text, log_text
    assert '"GET /health HTTP/1.1"' not in log_text, log_text
