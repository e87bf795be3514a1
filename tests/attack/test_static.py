"""Static checks over the rendered output of every variant of the matrix.

bandit finds no medium or high issue; no token is ever decoded without its
signature checked or with algorithms the token could choose; and a project
made by `fastgen new`, a git repository, tracks no secret.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from variants.cases import CASES
from variants.support import render

from .conftest import FULL, default_venv

UNVERIFIED = re.compile(r"""["']verify_signature["']\s*:\s*False""")


@pytest.fixture(scope="module")
def rendered(copie_session: Any) -> dict[str, Path]:
    """The matrix's cases (ci: defaults, all-on, minimum; full: every one),
    rendered once, for Python 3.11.

    bandit parses with the interpreter it runs on, fastgen's own (3.11 and
    up), which cannot read the PEP 695 generics of a 3.12 project; the
    python_version answer changes only that syntax, never what bandit checks.
    """
    return {
        case: render(
            copie_session,
            {"project_name": f"Static {case}", **answers, "python_version": "3.11"},
        )
        for case, answers in CASES.items()
        if FULL or case in {"defaults", "all-on", "minimum"}
    }


def test_bandit_finds_no_medium_or_high_issue(
    rendered: dict[str, Path], record_property: Any
) -> None:
    found = {}
    for case, project in rendered.items():
        done = subprocess.run(
            [sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q",
             "--severity-level", "medium"],
            cwd=project, capture_output=True, text=True, check=False,
        )  # fmt: skip
        report = json.loads(done.stdout)
        assert not report["errors"], report["errors"]
        found[case] = [
            f"{issue['filename']}:{issue['line_number']} {issue['test_id']} {issue['issue_text']}"
            for issue in report["results"]
        ]
    record_property("cases", len(found))
    assert {case: issues for case, issues in found.items() if issues} == {}


def _jwt_decode_problems(path: Path) -> list[str]:
    """Calls of `jwt.decode` that could skip the signature or let the token
    pick its algorithm: `algorithms` must be a literal list of configured names."""
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "decode"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "jwt"
        ):
            continue
        keywords = {keyword.arg: keyword.value for keyword in node.keywords}
        algorithms = keywords.get("algorithms")
        if not isinstance(algorithms, ast.List) or len(algorithms.elts) != 1:
            problems.append(f"{path}:{node.lineno} algorithms not one configured name")
        elif "header" in ast.unparse(algorithms).lower():
            problems.append(f"{path}:{node.lineno} algorithms taken from the token")
    return problems


def test_tokens_are_never_decoded_unverified_or_with_open_algorithms(
    rendered: dict[str, Path], record_property: Any
) -> None:
    sources = [path for project in rendered.values() for path in project.rglob("*.py")]
    record_property("cases", len(sources))
    unverified = sorted({p.name for p in sources if UNVERIFIED.search(p.read_text())})
    decodes = [path for path in sources if "jwt.decode(" in path.read_text()]
    assert unverified == []
    assert decodes, "no jwt.decode call found: the check would prove nothing"
    assert [problem for path in decodes for problem in _jwt_decode_problems(path)] == []


def test_generated_repository_tracks_no_secret(tmp_path: Path, shared_venv: Any) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fastgen", "new", "Secretive", "--defaults", "-q", "-o",
         str(tmp_path)],
        capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    project = tmp_path / "secretive"
    secret = next(
        line.split("=", 1)[1]
        for line in (project / ".env").read_text().splitlines()
        if line.startswith("SECRET_KEY=")
    )
    assert len(secret) >= 32
    tracked = (
        subprocess.run(
            ["git", "ls-files", "-z"], cwd=project, capture_output=True, text=True, check=True
        )
        .stdout.strip("\0")
        .split("\0")
    )
    assert ".env" not in tracked and ".env.example" in tracked
    assert [name for name in tracked if secret in (project / name).read_text()] == []

    # The example's placeholder is one the app refuses to start with in production.
    refused = subprocess.run(
        [str(default_venv(shared_venv).python), "-c",
         "from app.core.config import Settings; Settings(_env_file='.env.example')"],
        cwd=project, capture_output=True, text=True, check=False,
        env={"ENVIRONMENT": "production", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(project)},
    )  # fmt: skip
    assert refused.returncode != 0
    assert "SECRET_KEY must be set" in refused.stderr, refused.stderr
