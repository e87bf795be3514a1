"""Machine instructions per request, counted by valgrind: the figure of
bench/run.py's `cpu x` and `of floor` that does not move with the machine's load.

    python bench/instructions.py [--requests 200]

Generates the default project (SQLite), and the PostgreSQL + Redis one when
both answer on 127.0.0.1, as bench/run.py does (migrated, a user, 20 items),
then runs the generated app, bench/bare_app.py and bench/floor_app.py straight
through ASGI (no server, no network) under `valgrind --tool=callgrind`, once
with no measured request and once with `--requests` of them after the same
warm-up: the difference over the requests is the instructions one request
costs, in every thread of the process (the database driver's included).
Prints, per variant and route, the three counts and the two ratios bench/run.py
prints from CPU time: `cpu x` (bare over generated) and `of floor` (floor over
generated). Within one run, two counts of the same code agree to within 0.1%;
between runs the same code has moved by up to 3.6% (the generated SQLite
items list: 5,303,621 then 5,111,818 on 2026-12-05; each run generates and
fills a project of its own), so compare ratios of one run, and trust a change
across runs only well past that. Time spent in the kernel (sockets, the
database server) is not counted: that is what bench/run.py is for.
Needs valgrind (Debian: apt-get install valgrind); takes some minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from calls import getter, started
from run import (
    BENCH,
    ROUTES,
    add_items,
    extra_headers,
    login,
    populate,
    prepare,
    requirements,
    serve,
    variants,
    venv_for,
)

APPS = ("bare", "floor", "generated")
WARM_UP = 50
COLLECTED = re.compile(r"Collected : (\d+)")


# ------------------------------------------------------------ in the app's venv


async def drive(app: Any, path: str, token: str | None, requests: int) -> None:
    """Start the app, answer WARM_UP + `requests` GETs of `path`, each a 200."""
    task = await started(app)
    if token == "mint":
        token = await mint_token(app)
    get = getter(app, token)
    for _ in range(WARM_UP + requests):
        if (status := await get(path)) != 200:
            raise SystemExit(f"{path}: answered {status}, not 200")
    task.cancel()


async def mint_token(app: Any) -> str:
    """An access token of user 1, made by the app itself: one made by a login
    before would expire while valgrind runs."""
    from app.repositories.user_repository import UserRepository

    resources = app.state.resources
    async with resources.sessions() as session:
        users = UserRepository(
            session, resources.user_cache, resources.settings.user_cache_ttl_seconds
        )
        user = await users.get_cached(1)
    return str(resources.codec.create_access_token(user))


def drive_main(which: str, path: str, requests: int) -> None:
    if which == "generated":
        sys.path.insert(0, os.getcwd())
        from app.main import create_app

        app: Any = create_app()
        token: str | None = "mint"
    else:
        app = __import__(f"{which}_app").app
        token = None
    asyncio.run(drive(app, path, token, requests))


# ------------------------------------------------------------ orchestration


def instructions(venv: Path, which: str, path: str, cwd: Path, env: dict[str, str],
                 requests: int) -> float:  # fmt: skip
    """Instructions per request of `which` answering `path`."""

    def collected(count: int) -> int:
        done = subprocess.run(
            ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
             "--cache-sim=no", str(venv / "bin" / "python"), str(Path(__file__).resolve()),
             "--drive", which, "--path", path, "--requests", str(count)],
            cwd=cwd, env=env, capture_output=True, text=True,
        )  # fmt: skip
        found = COLLECTED.search(done.stderr)
        if done.returncode or found is None:
            raise SystemExit(f"valgrind {which} {path} failed:\n{done.stderr[-3000:]}")
        return int(found.group(1))

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        empty, full = pool.map(collected, (0, requests))
    return (full - empty) / requests


def measure(requests: int) -> dict[str, dict[str, dict[str, float]]]:
    scratch = Path(tempfile.mkdtemp(prefix="fastgen-instructions-"))
    os.environ["FASTGEN_CACHE_DIR"] = str(scratch / "cache")
    found: dict[str, dict[str, dict[str, float]]] = {}
    try:
        for variant in variants(scratch):
            project, env = prepare(variant, scratch)
            venv = venv_for(requirements(project))
            populate(venv, project, env)
            log = scratch / f"{variant.name}.log"
            with serve(venv, "app.main:app", project, env, log) as (base, _pid):
                token = login(base)
                add_items(base, token)
                headers = extra_headers(base, token)
            env = {
                **env,
                # The same hash seeds in both runs: the counts then agree.
                "PYTHONHASHSEED": "0",
                "BENCH_DATABASE_URL": env["DATABASE_URL"],
                "BENCH_FLOOR_HEADERS": json.dumps(headers),
                "PYTHONPATH": os.pathsep.join([str(BENCH), str(project)]),
            }
            for route, path in ROUTES.items():
                found.setdefault(variant.name, {})[route] = {
                    which: instructions(
                        venv, which, path, project if which == "generated" else BENCH,
                        env, requests,
                    )
                    for which in APPS
                }  # fmt: skip
            for argv in variant.cleanup:
                subprocess.run(argv, check=False, capture_output=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return found


def table(found: dict[str, dict[str, dict[str, float]]], requests: int) -> str:
    lines = [
        f"Instructions per request (valgrind, {requests} requests after {WARM_UP})",
        "",
        f"{'variant / route':<26}{'bare':>11}{'floor':>11}{'generated':>11}"
        f"{'cpu x':>8}{'of floor':>10}",
    ]
    for variant, routes in found.items():
        for route, counts in routes.items():
            bare, floor, gen = (counts[which] for which in APPS)
            lines.append(
                f"{variant + ' ' + route:<26}{bare:>11,.0f}{floor:>11,.0f}{gen:>11,.0f}"
                f"{bare / gen:>8.3f}{floor / gen:>10.3f}"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--drive", choices=APPS, help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive_main(args.drive, args.path, args.requests)
        return
    if not shutil.which("valgrind"):
        raise SystemExit("bench/instructions.py needs valgrind (Debian: apt-get install valgrind)")
    print(table(measure(args.requests), args.requests))


if __name__ == "__main__":
    main()
