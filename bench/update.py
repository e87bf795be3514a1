"""Whole-process wall time of `fastgen update` one version step, on a project
with 1 resource and on one with 20, side by side.

    python bench/update.py [--runs 3] [--release 0.1.0]

Both projects are made by the release (its wheel, built from the commit that
releases.toml records, as tests/variants/test_release_update.py builds it),
each resource with four fields, and committed; then this checkout's fastgen
updates each, the runs taking turns (startup.medians), and git resets the
project after every run. The ratio column is the 20-resource median over the
1-resource one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from evolve import project_with
from startup import FASTGEN, medians, reset

REPO = Path(__file__).resolve().parents[1]


def released(version: str, scratch: Path) -> list[str]:
    """The command that runs the release: its package, built from its commit,
    first on the path; its dependencies are this environment's."""
    commit = tomllib.loads((REPO / "releases.toml").read_text())["releases"][version]
    source, dist, lib = scratch / "source", scratch / "dist", scratch / "lib"
    source.mkdir()
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit],
                             capture_output=True, check=True)  # fmt: skip
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive.stdout, check=True)
    pip = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(dist), str(source)], check=True)
    (wheel,) = dist.glob("*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(lib), str(wheel)], check=True)
    return ["env", f"PYTHONPATH={lib}", *FASTGEN]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--release", default="0.1.0")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="fastgen-bench-update-"))
    os.environ["FASTGEN_CACHE_DIR"] = str(scratch / "cache")
    try:
        fastgen = released(args.release, scratch)
        projects = {n: project_with(n, scratch / str(n), fastgen)[0] for n in (1, 20)}
        commands = {
            f"update/{n}": (lambda _run, project=project: [
                *FASTGEN, "update", "--quiet", "-p", str(project)])
            for n, project in projects.items()
        }  # fmt: skip
        after = {f"update/{n}": (lambda p=project: reset(p)) for n, project in projects.items()}
        found = medians(commands, args.runs, after=after)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    one, twenty = found["update/1"], found["update/20"]
    print(f"{'command':<18} {'1 resource':>11} {'20 resources':>13} {'ratio':>6}"
          f"   ({args.runs} runs each, from {args.release})")  # fmt: skip
    print(f"{'update':<18} {one * 1000:9.0f}ms {twenty * 1000:11.0f}ms {twenty / one:6.2f}")


if __name__ == "__main__":
    main()
