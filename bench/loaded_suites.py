"""The generated suites on a busy machine (issue 23): N runs in a row of the
default project's and the everything-on project's own `pytest`, while
processes of our own burn every core.

    python bench/loaded_suites.py [--runs 10] [--burners N] [--burn-seconds S] [--json PATH]

Each burner is a Python loop that ends by itself after --burn-seconds (default
two hours) and is stopped, by its own process id, when the runs are done; there
is one per core unless --burners says otherwise. The everything-on project
(PostgreSQL, Redis and every switch on) needs both servers on 127.0.0.1 and is
left out, saying so, when they do not answer; its tests use the Redis database
of --redis-url (default redis://127.0.0.1:6379/14, emptied before every test:
give a server of your own where others run tests) and PostgreSQL as the
generated README says (TEST_DATABASE_ADMIN_URL, or TEST_DATABASE_URL).

Prints one line per suite run (passed, failed, errors, wall time, the load
average when it began) and a summary: the runs that passed, of how many, and
how much CPU the burners took of the wall time (2.0 = both cores, all along).
Takes minutes per run: not part of the default test run (pytest -m 'not
variants' does not reach bench/).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import FASTGEN, requirements, run, services_running, venv_for

BURN = "import sys, time\nend = time.monotonic() + float(sys.argv[1])\nwhile time.monotonic() < end:\n    pass\n"  # noqa: E501
SUITES = {
    "default": [],
    "everything-on": ["--data", "database=postgresql", "--data", "redis=true"],
}


@dataclass
class SuiteRun:
    suite: str
    run: int
    passed: int
    failed: int
    errors: int
    returncode: int
    wall_s: float
    load_before: float


def counts(output: str) -> tuple[int, int, int]:
    def number(word: str) -> int:
        found = re.search(rf"(\d+) {word}", output)
        return int(found.group(1)) if found else 0

    return number("passed"), number("failed"), number("errors?")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def suite_env(redis_url: str) -> dict[str, str]:
    drop = {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENVIRONMENT", "TEST_REDIS_URL"}
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in drop and not k.startswith(("VIRTUAL_ENV", "PYTEST_", "PYTHON"))
    }
    env["TEST_REDIS_URL"] = redis_url
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--burn-seconds", type=float, default=7200)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="fastgen-loaded-"))
    suites = dict(SUITES)
    if not services_running():
        print("everything-on: left out, PostgreSQL or Redis does not answer on 127.0.0.1")
        del suites["everything-on"]
    projects: dict[str, Path] = {}
    for name, data in suites.items():
        run([*FASTGEN, "new", name, "--defaults", "--no-git", "--quiet", "-o", str(scratch), *data])
        projects[name] = scratch / name
    venv = venv_for([req for project in projects.values() for req in requirements(project)])
    env = suite_env(args.redis_url)

    burners = [
        subprocess.Popen([sys.executable, "-c", BURN, str(args.burn_seconds)])
        for _ in range(args.burners)
    ]
    started = time.monotonic()
    results: list[SuiteRun] = []
    try:
        for number in range(1, args.runs + 1):
            for name, project in projects.items():
                load = os.getloadavg()[0]
                begun = time.monotonic()
                proc = subprocess.run(
                    [str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                    cwd=project, env=env, capture_output=True, text=True, check=False,
                )  # fmt: skip
                passed, failed, errors = counts(proc.stdout.splitlines()[-1] if proc.stdout else "")
                result = SuiteRun(name, number, passed, failed, errors, proc.returncode,
                                  round(time.monotonic() - begun, 1), load)  # fmt: skip
                results.append(result)
                print(f"run {number:>2} {name:<14} passed {passed:>4} failed {failed} "
                      f"errors {errors} rc {proc.returncode} {result.wall_s:>6.1f}s "
                      f"load {load:.1f}", flush=True)  # fmt: skip
                if proc.returncode:
                    (scratch / f"{name}-run{number}.log").write_text(proc.stdout + proc.stderr)
    finally:
        wall = time.monotonic() - started
        burned = 0.0
        for burner in burners:
            if burner.poll() is None:
                burned += cpu_seconds(burner.pid)
                burner.send_signal(signal.SIGTERM)
            burner.wait()
    green = sum(1 for r in results if r.returncode == 0)
    print(f"\n{green} of {len(results)} suite runs passed ({args.runs} runs of "
          f"{', '.join(projects)}); burners: {len(burners)}, {burned / wall:.2f} cores "
          f"of CPU over {wall:.0f} s; logs of failures in {scratch}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps({
            "runs": [asdict(r) for r in results],
            "burner_cores": burned / wall, "wall_s": wall, "cpu_count": os.cpu_count(),
        }, indent=2))  # fmt: skip
    if green == len(results):
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(0 if green == len(results) else 1)


if __name__ == "__main__":
    main()
