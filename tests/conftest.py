"""Shared helpers for fastgen's tests: every test generates for real."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from fastgen.cli import app
from summaries import attack_table, variant_timings

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The variant cases take minutes each and the rest seconds: handed out
    # first, the long ones spread over the xdist workers and the short ones
    # fill the gaps, instead of one worker finishing a long tail alone.
    items.sort(key=lambda item: item.get_closest_marker("variants") is None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    attack_table(terminalreporter)
    variant_timings(terminalreporter)


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    # The template history goes to a per-session cache, never the user's ~/.cache.
    monkeypatch.setenv("FASTGEN_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def fastgen(*args: str, input: str | None = None) -> Run:
    """Run the CLI in this process (copier is imported once for the whole session)."""
    result = CliRunner().invoke(app, list(args), input=input)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Run(result.exit_code, result.stdout, result.stderr)


def fastgen_process(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m fastgen` as a user would, in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "fastgen", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


def tree_bytes(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """Every file under root (but .git) with its bytes, keyed by POSIX path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and ".git" not in p.relative_to(root).parts
        and p.relative_to(root).as_posix() not in skip
    }


def everything_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
