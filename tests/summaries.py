"""The tables printed at the end of a run: the attack suites and the variant
matrix timings.

The hooks that print them live in tests/conftest.py: under pytest-xdist only
the controller prints, and it loads no conftest below tests/. So the numbers
travel from the workers in each report's user_properties, and the tables are
built here from the reports alone.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest


def attack_size() -> str:
    """FASTGEN_ATTACK_SIZE: `ci` (the default) sizes the attack suites for CI's
    budget; `full` is the release run."""
    size = os.environ.get("FASTGEN_ATTACK_SIZE", "ci")
    if size not in {"ci", "full"}:
        raise pytest.UsageError(f"FASTGEN_ATTACK_SIZE must be ci or full, not {size!r}")
    return size


def attack_table(terminalreporter: Any) -> None:
    """One line per attack suite: tests run, the cases inside them, failures."""
    tests: Counter[str] = Counter()
    cases: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    for outcome in ("passed", "failed", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            path, _, _ = getattr(report, "nodeid", "").partition("::")
            if not path.startswith("tests/attack/test_"):
                continue
            suite = Path(path).stem.removeprefix("test_").split("_")[0]
            if report.when == "call" or report.failed:
                # A case counts 1, or the sum of the "cases" it recorded.
                inner = [n for key, n in getattr(report, "user_properties", ()) if key == "cases"]
                tests[suite] += 1
                cases[suite] += sum(inner) if inner else 1
                failures[suite] += int(report.failed)
    if not tests:
        return
    terminalreporter.section(f"attack suites (FASTGEN_ATTACK_SIZE={attack_size()})")
    terminalreporter.write_line(f"{'suite':<18} {'tests':>6} {'cases':>8} {'failures':>9}")
    for suite in sorted(tests):
        terminalreporter.write_line(
            f"{suite:<18} {tests[suite]:>6} {cases[suite]:>8} {failures[suite]:>9}"
        )
    terminalreporter.write_line(
        f"{'total':<18} {sum(tests.values()):>6} {sum(cases.values()):>8} "
        f"{sum(failures.values()):>9}"
    )


def variant_timings(terminalreporter: Any) -> None:
    """How long each variant case and each of its steps took."""
    rows = []
    for outcome in ("passed", "failed"):
        for report in terminalreporter.stats.get(outcome, []):
            steps = dict(getattr(report, "user_properties", ())).get("variant_steps")
            if report.when == "call" and steps is not None:
                rows.append((report.nodeid.rpartition("::")[2], outcome, report.duration, steps))
    if not rows:
        return
    terminalreporter.section("variant matrix timings")
    for name, outcome, duration, steps in sorted(rows):
        detail = ", ".join(f"{step} {seconds:.1f}s" for step, seconds in steps)
        terminalreporter.write_line(f"{name:<34} {outcome:<6} {duration:6.1f}s  {detail}")
