"""Whole-process wall time of the commands that add or change a resource, and of
`fastgen check`, on a project with 1 resource and on one with 20, side by side.

    python bench/evolve.py [--runs 5] [--only "add resource,check"]

Each command runs on the last resource added (so it is the same work in both
projects; `add resource` adds one more), the project is reset with git after
each run, and the runs take turns (startup.medians) so that machine noise hits
every row alike. The ratio column is the 20-resource median over the
1-resource one.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from startup import FASTGEN, medians, reset

RESOURCE = [
    "name:str:120:unique",
    "price:decimal:10,2",
    "notes:text:optional",
    "stock:int:default=0",
]
COMMANDS = {
    "add resource": ["add", "resource", "Extra", "title:str:80", "-q"],
    "check": ["check"],  # prints one line, and has no --quiet
    "add field": ["add", "field", "{cls}", "rating:float:optional", "-q"],
    "rename field": ["rename", "field", "{cls}", "name", "title", "-q"],
    "change field": ["change", "field", "{cls}", "name:str:200:unique", "-q"],
    "remove field": ["remove", "field", "{cls}", "notes", "-q"],
    "remove resource": ["remove", "resource", "{cls}", "-q"],
}


def project_with(resources: int, parent: Path, fastgen: list[str] = FASTGEN) -> tuple[Path, str]:
    """A project `fastgen` made with `resources` resources (Thing1...),
    committed; the last one's class."""
    subprocess.run([*fastgen, "new", "x", "--defaults", "--quiet", "--data",
                    "example_items=false", "-o", str(parent)], check=True)  # fmt: skip
    project = parent / "x"
    for n in range(1, resources + 1):
        subprocess.run([*fastgen, "add", "resource", f"Thing{n}", *RESOURCE, "-q", "-p",
                        str(project)], check=True)  # fmt: skip
    for args in (["add", "--all"], ["commit", "--quiet", "-m", "resources"]):
        subprocess.run(["git", *args], cwd=project, check=True)
    return project, f"Thing{resources}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", help="comma-separated commands to time (default: all)")
    args = parser.parse_args()
    runs = args.runs
    names = (
        list(dict.fromkeys(n.strip() for n in args.only.split(",")))
        if args.only
        else list(COMMANDS)
    )
    if unknown := set(names) - set(COMMANDS):
        parser.error(f"unknown command(s): {', '.join(sorted(unknown))}")
    scratch = Path(tempfile.mkdtemp(prefix="fastgen-bench-evolve-"))
    try:
        projects = {n: project_with(n, scratch / str(n)) for n in (1, 20)}
        commands = {
            f"{name}/{n}": (lambda _run, argv=argv, project=project, cls=cls: [
                *FASTGEN, *(a.replace("{cls}", cls) for a in argv), "-p", str(project)])
            for name, argv in COMMANDS.items()
            if name in names
            for n, (project, cls) in projects.items()
        }  # fmt: skip
        after = {
            f"{name}/{n}": (lambda project=project: reset(project))
            for name in names
            for n, (project, _cls) in projects.items()
        }
        found = medians(commands, runs, after=after)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"{'command':<18} {'1 resource':>11} {'20 resources':>13} {'ratio':>6}   ({runs} runs each)"
    )
    for name in names:
        one, twenty = found[f"{name}/1"], found[f"{name}/20"]
        print(f"{name:<18} {one * 1000:9.0f}ms {twenty * 1000:11.0f}ms {twenty / one:6.2f}")


if __name__ == "__main__":
    main()
