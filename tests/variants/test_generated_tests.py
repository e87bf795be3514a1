"""The generated test suites compute no clock readings, secrets or ids while
pytest collects them.

A value made at import or collection (module scope, a decorator such as
`pytest.mark.parametrize`, a default argument) is as old as the collection
when its test runs: a token that is "valid in one minute" is already valid
when the suite takes longer than that. Such values belong inside the test.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from .support import ALL_ON, MINIMUM, render

# Calls whose result depends on when or where they run.
VOLATILE_CALLS = {
    "now",
    "utcnow",
    "today",
    "time",
    "time_ns",
    "monotonic",
    "perf_counter",
    "uuid1",
    "uuid4",
    "token_hex",
    "token_urlsafe",
    "token_bytes",
    "urandom",
    "random",
    "randint",
    "choice",
}


def _called_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _collection_time_nodes(tree: ast.Module) -> list[ast.AST]:
    """What runs when the module is imported: every statement but function
    bodies, plus each function's decorators and default arguments."""
    nodes: list[ast.AST] = []
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            nodes += statement.decorator_list
            nodes += statement.args.defaults
            nodes += [d for d in statement.args.kw_defaults if d is not None]
        elif isinstance(statement, ast.ClassDef):
            nodes += statement.decorator_list
            pending += statement.body
        else:
            nodes.append(statement)
    return nodes


def collection_time_calls(source: str) -> list[str]:
    """`line: name()` for every volatile call made at import or collection."""
    calls = sorted(
        (inner.lineno, _called_name(inner))
        for node in _collection_time_nodes(ast.parse(source))
        for inner in ast.walk(node)
        if isinstance(inner, ast.Call) and _called_name(inner) in VOLATILE_CALLS
    )
    return [f"{line}: {name}()" for line, name in calls]


def test_the_scan_finds_a_clock_read_in_parametrize() -> None:
    source = """
import uuid
from datetime import UTC, datetime

import pytest

RUN_ID = uuid.uuid4().hex


class TestGroup:
    STARTED = datetime.now(UTC)

    def test_inside(self) -> None:
        assert datetime.now(UTC)


@pytest.mark.parametrize("when", [datetime.now(UTC)])
def test_late(when: datetime, at: float = time.time()) -> None:
    assert uuid.uuid4() and datetime.now(UTC) > when
"""
    assert collection_time_calls(source) == ["7: uuid4()", "11: now()", "17: now()", "18: time()"]


@pytest.mark.parametrize("answers", [ALL_ON, MINIMUM], ids=["all-on", "minimum"])
def test_generated_tests_compute_times_secrets_and_ids_inside_the_tests(
    copie_session: Any, answers: dict[str, Any]
) -> None:
    project = render(copie_session, {"project_name": "Collection scan", **answers})
    found = {
        path.relative_to(project).as_posix(): calls
        for path in sorted((project / "tests").rglob("*.py"))
        if (calls := collection_time_calls(Path(path).read_text()))
    }
    assert found == {}


# What makes a test's verdict depend on how busy the machine is: a stopwatch,
# a sleep, a time limit. The property goes without a clock (count the work,
# wait for an event); figures in seconds belong in bench/.
TIMING_CALLS = {
    "perf_counter",
    "perf_counter_ns",
    "process_time",
    "process_time_ns",
    "wait_for",
    "median",
    "mean",
    "ttl",
    "pttl",
}


def _is_zero(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value == 0


def timing_dependencies(source: str) -> list[str]:
    """`line: what` for every sleep, stopwatch and time limit in a test module."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = _called_name(node)
        if name in TIMING_CALLS:
            found.append((node.lineno, f"{name}()"))
        elif name == "sleep" and not (len(node.args) == 1 and _is_zero(node.args[0])):
            found.append((node.lineno, "sleep()"))  # sleep(0) only yields
        for keyword in node.keywords:
            if keyword.arg == "timeout":
                found.append((node.lineno, "timeout="))
        waits = name == "wait" or any(
            isinstance(arg, ast.Attribute) and arg.attr == "wait" for arg in node.args
        )
        if waits and any(
            isinstance(arg, ast.Constant) and isinstance(arg.value, int | float)
            for arg in node.args
        ):
            found.append((node.lineno, "wait(seconds)"))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_the_timing_scan_finds_stopwatches_sleeps_and_time_limits() -> None:
    source = """
import asyncio, statistics, threading, time


async def test_timed(event: threading.Event) -> None:
    started = time.perf_counter()
    await asyncio.sleep(0)
    await asyncio.sleep(0.1)
    assert await asyncio.to_thread(event.wait, 5)
    event.wait(2)
    await asyncio.wait_for(asyncio.sleep(0), 1)
    await asyncio.wait(set(), timeout=0.5)
    assert statistics.median([time.perf_counter() - started]) < 1
"""
    assert timing_dependencies(source) == [
        "6: perf_counter()",
        "8: sleep()",
        "9: wait(seconds)",
        "10: wait(seconds)",
        "11: wait_for()",
        "12: timeout=",
        "13: median()",
        "13: perf_counter()",
    ]


@pytest.mark.parametrize("answers", [{}, ALL_ON, MINIMUM], ids=["defaults", "all-on", "minimum"])
def test_generated_tests_time_nothing(copie_session: Any, answers: dict[str, Any]) -> None:
    """Issue 23: a verdict that depends on the clock fails on a loaded machine."""
    project = render(copie_session, {"project_name": "Timing scan", **answers})
    found = {
        path.relative_to(project).as_posix(): calls
        for path in sorted((project / "tests").rglob("*.py"))
        if (calls := timing_dependencies(Path(path).read_text()))
    }
    assert found == {}
