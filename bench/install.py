"""`make install` of the default project: uv from its lock against pip from
pyproject.toml, side by side.

    python bench/install.py [--runs 5]

One project made by `fastgen new --defaults`. Each run starts without .venv and
with warm caches (one untimed run of each fills them first), so the figures are
what a developer pays on a second clone or after `rm -rf .venv`, not the
network's speed:
- uv: `uv sync --locked` (what `make install` runs; its git hook step is left
  out, it is the same for both);
- pip: `python -m venv .venv`, then `pip install -e . --group dev` (pip 25.1 or
  newer, run from a venv of its own with `--python .venv/bin/python`, since the
  pip a new venv brings may be older than the `--group` option).
The runs take turns (startup.medians); the ratio column is pip's median over uv's.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from startup import FASTGEN, medians


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if uv is None:
        raise SystemExit("uv is not installed: pip install uv")
    scratch = Path(tempfile.mkdtemp(prefix="fastgen-bench-install-"))
    try:
        subprocess.run([*FASTGEN, "new", "shop", "--defaults", "--no-git", "--quiet",
                        "-o", str(scratch)], check=True)  # fmt: skip
        project = scratch / "shop"
        tools = scratch / "pip-tools"
        subprocess.run([sys.executable, "-m", "venv", str(tools)], check=True)
        subprocess.run([str(tools / "bin/python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "pip>=25.1"], check=True)  # fmt: skip
        venv = project / ".venv"
        commands = {
            "uv sync --locked": lambda _n: [uv, "sync", "--locked", "--quiet",
                                            "--project", str(project)],
            "venv + pip install -e . --group dev": lambda _n: [
                "sh", "-c",
                f"{sys.executable} -m venv --without-pip {venv} && "
                f"{tools}/bin/python -m pip --disable-pip-version-check --quiet "
                f"--python {venv}/bin/python install -e {project} "
                f"--group {project}/pyproject.toml:dev"
                # setuptools' warnings while it builds the editable wheel
                " 2>/dev/null",
            ],
        }  # fmt: skip
        clean = {name: lambda: shutil.rmtree(venv, ignore_errors=True) for name in commands}
        medians(commands, 1, after=clean)  # fills uv's and pip's caches
        found = medians(commands, runs, after=clean)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    base = found["uv sync --locked"]
    print(f"`make install` of the default project, warm caches, median of {runs}")
    print(f"{'command':<40}{'median':>9}{'vs uv':>8}")
    for name, seconds in found.items():
        print(f"{name:<40}{seconds * 1000:>7.0f}ms{seconds / base:>7.1f}x")


if __name__ == "__main__":
    main()
