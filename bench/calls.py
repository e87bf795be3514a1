"""Python calls per request, counted in process (issue 11): where the generated
app's time goes, in a figure that does not drift with the machine's load.

    python bench/calls.py [--requests 300] [--resources N]

Generates the default project (SQLite), with N more resources added after the
example items (`fastgen add resource`, one text field each; 5 by default),
migrates it, makes a user, 20 items and 20 rows of the last resource through
one uvicorn worker as bench/run.py does, then drives the generated app
and bench/bare_app.py straight through ASGI (no server, no network), one
process each, with cProfile on for `--requests` requests per route. Prints, per
route, the calls per request of each app grouped by where the called code
lives: a package, the project's own `app`, or the standard library (a built-in
C function counts where it is called from). The last resource's list is
counted for the generated app only (the bare app has no such route): it shows
what each resource routed before it costs; and so is a 404 under the API,
counted before the N resources are added and after. With BENCH_DUMP=DIR set,
each route's profile is also written there (DIR/generated-items.prof...), for
pstats or snakeviz.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import cProfile
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from run import (
    BENCH,
    FASTGEN,
    ROUTES,
    Variant,
    add_items,
    login,
    populate,
    post,
    prepare,
    requirements,
    run,
    serve,
    venv_for,
)

# A path under the API that no route serves: what a 404 costs.
NOT_FOUND, NOT_FOUND_PATH = "404", "/api/v1/nothing/"
ASGIApp = Callable[[MutableMapping[str, Any], Any, Any], Awaitable[None]]


# ------------------------------------------------------------ in the app's venv


async def started(app: ASGIApp) -> asyncio.Task[None]:
    """The app's lifespan, started: its task, to cancel when done."""
    startup: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    ready = asyncio.Event()
    await startup.put({"type": "lifespan.startup"})

    async def lifespan_send(message: dict[str, str]) -> None:
        if message["type"] == "lifespan.startup.complete":
            ready.set()

    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(lifespan, startup.get, lifespan_send))
    await ready.wait()
    return task


def getter(app: ASGIApp, token: str | None) -> Callable[[str], Awaitable[int]]:
    """A GET of a path (query string included) straight through `app`, with a
    bearer `token` if given: the status it answers."""
    headers = [(b"host", b"127.0.0.1"), (b"user-agent", b"bench")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def get(path: str) -> int:
        route, _, query = path.partition("?")
        statuses = []

        async def send(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": route, "raw_path": route.encode(),
            "query_string": query.encode(), "root_path": "", "headers": list(headers),
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }  # fmt: skip
        await app(scope, receive, send)
        return statuses[0]

    return get


async def drive(
    app: ASGIApp, routes: dict[str, str], token: str | None, requests: int, which: str
) -> dict[str, dict[str, float]]:
    """Start the app once; per route, send warm-up requests, then count the
    calls of `requests` more."""
    task = await started(app)
    one = getter(app, token)

    found = {}
    for name, path in routes.items():
        expected = 404 if name == NOT_FOUND else 200
        for _ in range(50):
            if (status := await one(path)) != expected:
                raise SystemExit(f"{path}: answered {status}, not {expected}")
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(requests):
            await one(path)
        profile.disable()
        found[name] = grouped(pstats.Stats(profile), requests)
        if dump := os.environ.get("BENCH_DUMP"):
            pstats.Stats(profile).dump_stats(f"{dump}/{which}-{name.replace(' ', '_')}.prof")
    task.cancel()
    return found


def grouped(stats: pstats.Stats, requests: int) -> dict[str, float]:
    """Calls per request by group; a built-in (C) function counts in the group
    of the code that called it (isinstance in fastapi counts as fastapi)."""
    groups: collections.Counter[str] = collections.Counter()
    for (filename, _line, _name), (_cc, calls, _tt, _ct, callers) in stats.stats.items():  # type: ignore[attr-defined]
        if filename != "~":
            groups[group_of(filename)] += calls / requests
            continue
        for (caller, _caller_line, _caller_name), caller_calls in callers.items():
            groups[group_of(caller)] += caller_calls[1] / requests
    return dict(groups)


def group_of(filename: str) -> str:
    if filename == "~":
        return "built-in functions"  # called by other built-ins
    if "site-packages/" in filename:
        return filename.split("site-packages/")[1].split("/")[0]
    if f"{os.sep}app{os.sep}" in filename:
        return "app (the project's code)"
    return "standard library"


def drive_main(which: str, requests: int) -> None:
    routes = json.loads(os.environ["BENCH_ROUTES"])
    if which == "generated":
        sys.path.insert(0, os.getcwd())
        from app.main import create_app

        app = create_app()
        token = os.environ["BENCH_TOKEN"]
    else:
        from bare_app import app  # type: ignore[no-redef]

        token = None
    print(json.dumps(asyncio.run(drive(app, routes, token, requests, which))))


# ------------------------------------------------------------ orchestration


def count(requests: int, resources: int) -> dict[str, dict[str, dict[str, float]]]:
    scratch = Path(tempfile.mkdtemp(prefix="fastgen-calls-"))
    os.environ["FASTGEN_CACHE_DIR"] = str(scratch / "cache")
    try:
        variant = Variant("sqlite", [], {"DATABASE_URL": f"sqlite+aiosqlite:///{scratch}/app.db"})
        project, env = prepare(variant, scratch)
        venv = venv_for(requirements(project))

        def counted(which: str, routes: dict[str, str], token: str = "") -> dict[str, Any]:
            done = subprocess.run(
                [str(venv / "bin" / "python"), str(Path(__file__).resolve()), "--drive", which,
                 "--requests", str(requests)],
                cwd=project if which == "generated" else BENCH, capture_output=True, text=True,
                env={**env, "BENCH_TOKEN": token, "BENCH_DATABASE_URL": env["DATABASE_URL"],
                     "BENCH_ROUTES": json.dumps(routes), "PYTHONPATH": str(BENCH)},
            )  # fmt: skip
            if done.returncode:
                raise SystemExit(f"driving the {which} app failed:\n{done.stderr}")
            return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]

        # A 404 touches no table: counted before the resources are added, and after.
        found = {"no resources": counted("generated", {NOT_FOUND: NOT_FOUND_PATH})}
        names = [f"Extra{n}" for n in range(1, resources + 1)]
        for name in names:
            run([*FASTGEN, "add", "resource", name, "title:str:80", "--quiet", "-p", str(project)])
        last = f"extra{resources}s" if resources else ""
        populate(venv, project, env)
        with serve(venv, "app.main:app", project, env, scratch / "server.log") as (base, _pid):
            token = login(base)
            add_items(base, token)
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            for n in range(20 if last else 0):
                post(f"{base}/api/v1/{last}/", json.dumps({"title": f"row {n}"}).encode(), headers)
        routes = {**ROUTES, NOT_FOUND: NOT_FOUND_PATH}
        if last:
            routes["last resource"] = f"/api/v1/{last}/?limit=20"
        found["generated"] = counted("generated", routes, token)
        found["bare"] = counted("bare", dict(ROUTES))
        return found
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def table(found: dict[str, dict[str, dict[str, float]]], requests: int, resources: int) -> str:
    lines = [f"Python calls per request, cProfile over {requests} requests per route"]
    for route, path in ROUTES.items():
        gen, bare = found["generated"][route], found["bare"][route]
        lines += ["", f"{path:<41}{'generated':>10}{'bare':>9}{'extra':>9}"]
        for name in sorted(gen.keys() | bare.keys(), key=lambda k: bare.get(k, 0) - gen.get(k, 0)):
            g, b = gen.get(name, 0.0), bare.get(name, 0.0)
            if round(g) or round(b):
                lines.append(f"  {name:<39}{g:>10.0f}{b:>9.0f}{g - b:>9.0f}")
        lines.append(f"  {'all':<39}{sum(gen.values()):>10.0f}{sum(bare.values()):>9.0f}"
                     f"{sum(gen.values()) - sum(bare.values()):>9.0f}")  # fmt: skip
    empty, full = (sum(found[k][NOT_FOUND].values()) for k in ("no resources", "generated"))
    lines += ["", f"a 404 ({NOT_FOUND_PATH}): {empty:.0f} calls per request with no resource"
                  f" added, {full:.0f} with {resources} ({full / empty:.2f}x)"]  # fmt: skip
    if last := found["generated"].get("last resource"):
        calls, items = sum(last.values()), sum(found["generated"]["items"].values())
        lines += ["", f"the list of the last of {resources} resources added after the items: "
                      f"{calls:.0f} calls per request ({calls / items:.2f}x the items list; "
                      f"fastapi {last.get('fastapi', 0):.0f})"]  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--resources", type=int, default=5)
    parser.add_argument("--drive", choices=["generated", "bare"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        drive_main(args.drive, args.requests)
        return
    print(table(count(args.requests, args.resources), args.requests, args.resources))


if __name__ == "__main__":
    main()
