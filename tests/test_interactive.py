"""`fastgen new` on a terminal, driven in a pseudo-terminal as a person would."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import yaml


def test_questions_on_a_terminal_validate_each_answer_and_make_the_project(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "FASTGEN_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm"}
    out = tmp_path / "out"
    child = pexpect.spawn(
        sys.executable,
        ["-m", "fastgen", "new", "Tea Shop", "--output-dir", str(out), "--no-git"],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )

    def answer(question: str, reply: str) -> None:
        child.expect_exact(question)
        child.sendline(reply)

    answer("Folder and distribution name", "Tea Shop!")  # refused by copier.yml's validator
    child.expect_exact("project_slug: lower-case letters and digits")
    answer("Folder and distribution name", "")  # the default derived from the name
    answer("One-line description", 'Tea, cakes & "scones"')
    answer("Author", "Ann O'Neil")
    answer("Python version the project targets", "2.7")  # not one of the choices
    answer("Python version the project targets", "3.11")
    answer("Database", "postgresql")
    answer("Use Redis", "y")
    for question in ("Rate limiting", "CSRF protection", "Admin routes", "Example owner-scoped"):
        answer(question, "")
    answer("Dockerfile and compose file", "n")
    answer("CI workflow", "none")
    child.expect_exact("Wrote")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    answers = yaml.safe_load((out / "tea-shop" / ".copier-answers.yml").read_text())
    assert answers["project_slug"] == "tea-shop"
    assert answers["description"] == 'Tea, cakes & "scones"'
    assert answers["author"] == "Ann O'Neil"
    assert answers["python_version"] == "3.11"
    assert answers["database"] == "postgresql"
    assert answers["redis"] is True
    assert answers["rate_limit"] is True and answers["admin"] is True
    assert answers["docker"] is False and answers["ci"] == "none"
    assert not (out / "tea-shop" / "Dockerfile").exists()
