"""`fastgen new` on a terminal, driven in a pseudo-terminal as a person would."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import yaml

# The questions after the database, in copier.yml's order.
YES_NO_AND_CI = ("Use Redis", "Rate limiting", "CSRF protection", "Admin routes",
                 "Example owner-scoped", "Dockerfile and compose file", "CI workflow")  # fmt: skip


def spawn(tmp_path: Path, *args: str) -> pexpect.spawn:
    env = {**os.environ, "FASTGEN_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm"}
    return pexpect.spawn(
        sys.executable,
        ["-m", "fastgen", "new", *args],
        env=env,
        encoding="utf-8",
        timeout=60,
        dimensions=(50, 200),
    )


def test_questions_on_a_terminal_validate_each_answer_and_make_the_project(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    child = spawn(tmp_path, "Tea Shop", "--output-dir", str(out), "--no-git")

    def answer(question: str, reply: str) -> None:
        child.expect_exact(question)
        child.sendline(reply)

    answer("Folder and distribution name", "Tea Shop!")  # refused by copier.yml's validator
    child.expect_exact("project_slug: lower-case letters and digits")
    answer("Folder and distribution name", "")  # the default derived from the name
    answer("One-line description", 'Tea, cakes & "scones"')
    answer("Author", "Ann O'Neil")
    answer("Python version the project targets [3.11/3.12/3.13]", "2.7")  # not a choice
    child.expect_exact("'2.7' is not one of: 3.11, 3.12, 3.13")
    answer("Python version the project targets", "3.1")  # begins three choices
    child.expect_exact("'3.1' could be any of: 3.11, 3.12, 3.13")
    answer("Python version the project targets", "3.11")
    answer("Database [sqlite/postgresql]", "pg")  # an alias
    answer("Use Redis", "YES")
    answer("Rate limiting", "maybe")  # neither yes nor no
    child.expect_exact("rate_limit: expected true or false")
    for question in ("Rate limiting", "CSRF protection", "Admin routes", "Example owner-scoped"):
        answer(question, "")
    answer("Dockerfile and compose file [y/n]", "no")
    answer("CI workflow", "no")  # the prefix of "none"
    child.expect_exact("database")
    child.expect_exact("postgresql")  # the answers are shown before anything is written
    answer("Write the project with these answers? [y/n]", "yes")
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


def test_declining_the_summary_asks_again_with_the_answers_as_defaults(tmp_path: Path) -> None:
    out = tmp_path / "out"
    child = spawn(tmp_path, "Tea Shop", "--output-dir", str(out), "--no-git")

    def answer(question: str, reply: str, default: str | None = None) -> None:
        child.expect_exact(question)
        if default is not None:
            child.expect_exact(f"({default})")
        child.sendline(reply)

    answer("Folder and distribution name", "")
    answer("One-line description", "First try")
    for question in ("Author", "Python version", "Database", *YES_NO_AND_CI):
        answer(question, "")
    answer("Write the project with these answers?", "n")
    assert not out.exists(), "nothing is written before the answers are confirmed"
    answer("Folder and distribution name", "", default="tea-shop")
    answer("One-line description", "", default="First try")  # the answer just given
    answer("Author", "")
    answer("Python version", "")
    answer("Database", "postgres")  # a prefix of postgresql
    for question in YES_NO_AND_CI:
        answer(question, "")
    answer("Write the project with these answers?", "y")
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0
    answers = yaml.safe_load((out / "tea-shop" / ".copier-answers.yml").read_text())
    assert answers["description"] == "First try"
    assert answers["database"] == "postgresql"
