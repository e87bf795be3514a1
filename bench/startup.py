"""Whole-process wall time of fastgen's commands, side by side with baselines.

    python bench/startup.py [--runs 9]

Prints the median of each command over interleaved runs (so that machine noise
hits every row alike) and its ratio to `python -c pass`. The rows that matter:
`fastgen --help` must stay near `import typer, rich` (copier is imported only by
commands that render), and `fastgen new` near `import copier` plus copier's own
rendering. `fastgen check` renders once; `fastgen update` three times (the
recorded version, the new one into the project, the new one alone), here
switching an answer on a project made beforehand and reset after each run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

FASTGEN = [sys.executable, "-m", "fastgen"]


def commands_of(scratch: Path) -> dict[str, list[str]]:
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "import typer, rich": [sys.executable, "-c", "import typer, rich.console"],
        "import copier": [sys.executable, "-c", "import copier"],
        "fastgen --version": [*FASTGEN, "--version"],
        "fastgen --help": [*FASTGEN, "--help"],
        "fastgen new x --defaults --no-git": [
            *FASTGEN, "new", "x", "--defaults", "--no-git", "--quiet", "-o", str(scratch / "{n}"),
        ],
        "fastgen new x --defaults": [
            *FASTGEN, "new", "x", "--defaults", "--quiet", "-o", str(scratch / "{n}"),
        ],
        "fastgen check": [*FASTGEN, "check", "-p", str(scratch / "made" / "x")],
        UPDATE: [*FASTGEN, "update", "--quiet", "--data", "redis=true", "-p",
                 str(scratch / "made" / "x")],
    }  # fmt: skip


UPDATE = "fastgen update --data redis=true"


def reset(project: Path) -> None:
    for args in (["reset", "--quiet", "--hard"], ["clean", "--quiet", "-fd"]):
        subprocess.run(["git", *args], cwd=project, check=True)


def medians(
    commands: Mapping[str, Callable[[int], list[str]]],
    runs: int,
    after: Mapping[str, Callable[[], None]] | None = None,
) -> dict[str, float]:
    """Median wall time (s) of each command, run `runs` times in turns so that
    machine noise hits every row alike; `after[name]` runs after each of its runs."""
    times: dict[str, list[float]] = {}
    for n in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv(n), check=True, stdout=subprocess.DEVNULL)
            times.setdefault(name, []).append(time.perf_counter() - start)
            if after and name in after:
                after[name]()
    return {name: statistics.median(samples) for name, samples in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    runs = parser.parse_args().runs
    scratch = Path(tempfile.mkdtemp(prefix="fastgen-bench-"))
    try:
        subprocess.run([*FASTGEN, "new", "x", "--defaults", "--quiet", "-o", str(scratch / "made")],
                       check=True)  # fmt: skip
        commands = {
            name: (lambda n, argv=argv, name=name: [
                arg.replace("{n}", f"{name.replace(' ', '_')}-{n}") for arg in argv])
            for name, argv in commands_of(scratch).items()
        }  # fmt: skip
        found = medians(commands, runs, after={UPDATE: lambda: reset(scratch / "made" / "x")})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    base = found["python -c pass"]
    print(f"{'command':<36} {'median':>9} {'vs pass':>8}   ({runs} runs each)")
    for name, median in found.items():
        print(f"{name:<36} {median * 1000:7.0f}ms {median / base:7.1f}x")


if __name__ == "__main__":
    main()
