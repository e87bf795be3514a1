"""`fastgen new` on a terminal, driven in a pseudo-terminal as a person would."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pexpect
import yaml

# The questions after the database, in copier.yml's order.
YES_NO_AND_CI = ("Use Redis", "Rate limiting", "CSRF protection", "Admin routes",
                 "Example owner-scoped", "Dockerfile and compose file", "Kubernetes manifests",
                 "Prometheus metrics", "OpenTelemetry traces", "CI workflow")  # fmt: skip


class Terminal:
    """`fastgen new "Tea Shop"` on a pseudo-terminal, answered line by line."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        """`fastgen new ARGS` (default: the name "Tea Shop") into tmp_path/out."""
        self.project = tmp_path / "out" / "tea-shop"
        env = {**os.environ, "FASTGEN_CACHE_DIR": str(tmp_path / "cache"), "TERM": "xterm"}
        self.child = pexpect.spawn(
            sys.executable,
            [
                "-m",
                "fastgen",
                "new",
                *(args or ["Tea Shop"]),
                "--output-dir",
                str(tmp_path / "out"),
                "--no-git",
            ],
            env=env,
            encoding="utf-8",
            timeout=60,
            dimensions=(50, 200),
        )

    def expect(self, text: str) -> None:
        self.child.expect_exact(text)

    def answer(self, question: str, reply: str, default: str | None = None) -> None:
        self.expect(question)
        if default is not None:
            self.expect(f"({default})")
        self.child.sendline(reply)

    def recorded_answers(self) -> dict[str, object]:
        """Once fastgen has finished: what the project's answers file holds."""
        self.child.expect(pexpect.EOF)
        self.child.close()
        assert self.child.exitstatus == 0
        return yaml.safe_load((self.project / ".copier-answers.yml").read_text())


def test_questions_on_a_terminal_validate_each_answer_and_make_the_project(
    tmp_path: Path,
) -> None:
    term = Terminal(tmp_path)
    answer = term.answer

    answer("Folder and distribution name", "Tea Shop!")  # refused by copier.yml's validator
    term.expect("project_slug: lower-case letters and digits")
    answer("Folder and distribution name", "")  # the default derived from the name
    answer("One-line description", 'Tea, cakes & "scones"')
    answer("Author", "Ann O'Neil")
    answer("Python version the project targets [3.11/3.12/3.13]", "2.7")  # not a choice
    term.expect("'2.7' is not one of: 3.11, 3.12, 3.13")
    answer("Python version the project targets", "3.1")  # begins three choices
    term.expect("'3.1' could be any of: 3.11, 3.12, 3.13")
    answer("Python version the project targets", "3.11")
    answer("Database [sqlite/postgresql]", "pg")  # an alias
    answer("Use Redis", "YES")
    answer("Rate limiting", "maybe")  # neither yes nor no
    term.expect("rate_limit: expected yes or no (y, yes, n, no; or true, false), got 'maybe'")
    for question in ("Rate limiting", "CSRF protection", "Admin routes", "Example owner-scoped"):
        answer(question, "")
    answer("Dockerfile and compose file [y/n]", "no")
    answer("Kubernetes manifests", "")
    answer("Prometheus metrics", "y")
    answer("OpenTelemetry traces", "")
    answer("CI workflow", "no")  # the prefix of "none"
    term.expect("database")
    term.expect("postgresql")  # the answers are shown before anything is written
    answer("Write the project with these answers? [y/n]", "yes")
    term.expect("Wrote")
    answers = term.recorded_answers()

    assert answers["project_slug"] == "tea-shop"
    assert answers["description"] == 'Tea, cakes & "scones"'
    assert answers["author"] == "Ann O'Neil"
    assert answers["python_version"] == "3.11"
    assert answers["database"] == "postgresql"
    assert answers["redis"] is True
    assert answers["rate_limit"] is True and answers["admin"] is True
    assert answers["docker"] is False and answers["ci"] == "none"
    assert answers["metrics"] is True and answers["tracing"] is False
    assert not (term.project / "Dockerfile").exists()


def test_declining_the_summary_asks_again_with_the_answers_as_defaults(tmp_path: Path) -> None:
    term = Terminal(tmp_path)
    answer = term.answer

    answer("Folder and distribution name", "")
    answer("One-line description", "First try")
    for question in ("Author", "Python version", "Database", *YES_NO_AND_CI):
        answer(question, "")
    answer("Write the project with these answers?", "n")
    assert not term.project.exists(), "nothing is written before the answers are confirmed"
    answer("Folder and distribution name", "", default="tea-shop")
    answer("One-line description", "", default="First try")  # the answer just given
    answer("Author", "")
    answer("Python version", "")
    answer("Database", "postgres")  # a prefix of postgresql
    for question in YES_NO_AND_CI:
        answer(question, "")
    answer("Write the project with these answers?", "y")
    answers = term.recorded_answers()

    assert answers["description"] == "First try"
    assert answers["database"] == "postgresql"


def test_without_a_name_the_terminal_asks_for_it(tmp_path: Path) -> None:
    """Issue 23: `fastgen new` on a terminal without NAME was an error."""
    term = Terminal(tmp_path, "--data", "redis=true")
    answer = term.answer

    answer("Project name", "")  # no default: an empty name is refused
    term.expect("project_name: must not be empty")
    answer("Project name", "Tea Shop")
    answer("Folder and distribution name", "", default="tea-shop")
    for question in ("One-line description", "Author", "Python version", "Database",
                     "Rate limiting", "CSRF protection", "Admin routes", "Example owner-scoped",
                     "Dockerfile and compose file", "Kubernetes manifests",
                     "Prometheus metrics", "OpenTelemetry traces", "CI workflow"):  # fmt: skip
        answer(question, "")
    answer("Write the project with these answers?", "y")
    answers = term.recorded_answers()

    assert answers["project_name"] == "Tea Shop"
    assert answers["redis"] is True


def test_the_confirmation_and_the_summary_list_the_specs_resources(tmp_path: Path) -> None:
    """Issue 23: with --spec, neither showed the resources that would be added."""
    spec = tmp_path / "shop.yaml"
    spec.write_text(
        "project_name: Tea Shop\nresources:\n  - name: Category\n    fields: [name:str:80]\n"
        "  - name: Product\n    fields: [name:str, category:ref:Category]\n"
    )
    term = Terminal(tmp_path, "--spec", str(spec))
    for question in ("Folder and distribution name", "One-line description", "Author",
                     "Python version", "Database", *YES_NO_AND_CI):  # fmt: skip
        term.answer(question, "")
    term.expect("resources")
    term.expect("Item, Category, Product")  # the example's, then the spec's, in order
    term.answer("Write the project with these answers?", "y")
    term.expect("Added resources: Item, Category, Product.")
    term.recorded_answers()

    assert (term.project / "app" / "models" / "product.py").exists()
