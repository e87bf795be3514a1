"""What the generated app costs, measured against a bare FastAPI app (issue 11).

    python bench/run.py [--short] [--switches-only] [--baseline REV] [--json PATH]

Prints one table and writes the figures as JSON (default bench/results.json):

1. wrk against one uvicorn worker of the generated default project (SQLite),
   run as its README runs it in production (the app's own access log on), and
   against bench/bare_app.py serving the same 20 rows with the same driver,
   and against bench/floor_app.py: the bare app plus the generated app's extra
   response headers and its access line, the least any app with those
   features pays (`floor x`: its CPU ratio to the bare app; `of floor`: the
   generated app's `cpu x` over the floor's). The apps take
   turns, round after round, so machine noise hits them all.
   The same for PostgreSQL + Redis when both answer on 127.0.0.1.
   With --baseline REV, the same project rendered by fastgen at git revision
   REV takes its turns too (`vs base`: its CPU per request over this
   checkout's; above 1.00, this checkout's app is the cheaper): a template
   change measured against what it changes, in the same rounds.
2. /health p99 while 8 logins run at once at the production bcrypt cost.
3. Whole-process times of `fastgen --help`, `fastgen new`, `copier copy` of the
   same template and `fastgen add resource` with five fields, interleaved.
4. The generated projects' own test suites, full form only: the default one
   with and without coverage, the PostgreSQL + Redis one (when both answer)
   plain: wall time, time per test.
5. Peak RSS of each generated-app worker after its load.
6. What the metrics and tracing switches cost: the default project (SQLite)
   generated with each switch off and on, served side by side, round after
   round, as ratios to the project with both off (1.00: free). Metrics as one
   worker counts them, and again with PROMETHEUS_MULTIPROC_DIR set (what
   several workers need); tracing with no OTEL_EXPORTER_OTLP_ENDPOINT, as a
   project runs it without a collector.

Absolute figures drift 30-40% on a shared machine: read the ratios, and of
them first `cpu x` (the bare app's CPU time per request over the generated
app's, read from /proc), which moves least when other processes load the
machine. The rate limits are raised (not switched off) so that wrk is counted but never refused.
Needs wrk (Debian: apt-get install wrk) and taskset; the generated project's
dependencies go into a cached venv (a test-suite venv holding them is reused).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from startup import medians

REPO = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
FASTGEN = [sys.executable, "-m", "fastgen"]
PASSWORD = "bench-password-1234"
ROUTES = {"health": "/health", "items": "/api/v1/items/?limit=20"}
PG_ADMIN = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
# One core for the server, the other for wrk, when the machine has two.
SERVER_CPU, DRIVER_CPU = ("0", "1") if (os.cpu_count() or 1) > 1 else ("0", "0")


@dataclass(frozen=True)
class Profile:
    rounds: int
    seconds: int
    startup_runs: int
    suite: bool


# The suite alone takes longer than CI can spare for this: full form only.
SHORT = Profile(rounds=2, seconds=2, startup_runs=3, suite=False)
FULL = Profile(rounds=3, seconds=8, startup_runs=7, suite=True)


@dataclass
class Results:
    machine: dict[str, object] = field(default_factory=dict)
    load: dict[str, dict[str, object]] = field(default_factory=dict)
    logins: dict[str, object] = field(default_factory=dict)
    startup: dict[str, dict[str, float]] = field(default_factory=dict)
    suite: dict[str, object] = field(default_factory=dict)
    switches: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


# ------------------------------------------------------------------ helpers


def run(argv: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    done: subprocess.CompletedProcess[str]
    done = subprocess.run(argv, text=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:  # what failed, and what it said: the log is all CI keeps
        said = "\n".join([*done.stdout.strip().splitlines()[-20:], done.stderr.strip()])
        raise SystemExit(f"{shlex.join(argv)} exited {done.returncode}:\n{said}")
    return done


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def services_running() -> bool:
    if not (shutil.which("pg_isready") and shutil.which("redis-cli")):
        return False
    pg = subprocess.run(["pg_isready", "-q", *PG_ADMIN[:4]], check=False)
    redis = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", "6379", "ping"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    return pg.returncode == 0 and redis.stdout.strip() == "PONG"


def requirements(project: Path) -> list[str]:
    """What the generated app needs to run and to be measured: its dependencies
    and dev tools."""
    data = tomllib.loads((project / "pyproject.toml").read_text())
    return [*data["project"]["dependencies"], *data["dependency-groups"]["dev"]]


def venv_for(reqs: list[str]) -> Path:
    """A venv holding `reqs`: the test suite's shared one when it has them all,
    else one of our own, built once and kept under the same cache."""
    wanted = sorted(set(reqs))
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    root = Path(os.environ.get("FASTGEN_TEST_CACHE") or cache / "fastgen-tests")
    for marker in sorted(root.glob("venv-*/.complete")):
        python, *held = marker.read_text().splitlines()
        if python == sys.executable and set(wanted) <= set(held):
            return marker.parent
    key = hashlib.sha256(json.dumps([sys.version, wanted]).encode()).hexdigest()[:16]
    target = root / f"bench-venv-{key}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        print(f"building {target} (once)", file=sys.stderr)
        run([sys.executable, "-m", "venv", str(target)])
        run([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *wanted])  # fmt: skip
        (target / ".complete").write_text("\n".join(wanted) + "\n")
    return target


def post(url: str, data: bytes, headers: dict[str, str]) -> dict[str, object]:
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def login(base: str) -> str:
    form = urllib.parse.urlencode({"username": "bench", "password": PASSWORD}).encode()
    answer = post(f"{base}/api/v1/auth/login", form,
                  {"Content-Type": "application/x-www-form-urlencoded"})  # fmt: skip
    return str(answer["access_token"])


def wait_until_up(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server did not answer within 30 s:\n{log.read_text()[-3000:]}")


@contextlib.contextmanager
def serve(venv: Path, app: str, cwd: Path, env: dict[str, str], log: Path,
          ) -> Iterator[tuple[str, int]]:  # fmt: skip
    """One uvicorn worker on the server core, as the README's production line."""
    port = free_port()
    argv = ["taskset", "-c", SERVER_CPU, str(venv / "bin" / "uvicorn"), app,
            "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
            "--no-proxy-headers", "--no-access-log"]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def wrk(url: str, seconds: int, token: str | None = None, connections: int = 32,
        server_pid: int | None = None) -> dict[str, float]:  # fmt: skip
    argv = ["taskset", "-c", DRIVER_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s",
            "--latency", url]  # fmt: skip
    if token:
        argv[5:5] = ["-H", f"Authorization: Bearer {token}"]
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    out = run(argv).stdout
    cpu_used = cpu_seconds(server_pid) - cpu_before if server_pid else 0.0
    figures = {f"p{q}_ms": float(v) * UNIT[u] for q, v, u in WRK_LATENCY.findall(out)}
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: .*", out)
    served = re.search(r"(\d+) requests in", out)
    if rps is None or served is None or bad or errors:
        raise SystemExit(f"wrk {url}: not a clean run:\n{out}")
    if server_pid:
        # CPU time per request drifts far less than req/s when others load the machine.
        figures["cpu_us"] = cpu_used * 1e6 / int(served.group(1))
    return {"rps": float(rps.group(1)), **figures}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ------------------------------------------------------------------ 1, 2, 5


@dataclass
class Variant:
    name: str
    answers: list[str]
    env: dict[str, str]
    cleanup: list[list[str]] = field(default_factory=list)
    # The fastgen checkout that renders it: this one when None.
    source: Path | None = None


def variants(scratch: Path, source: Path | None = None) -> list[Variant]:
    """The variants measured; rendered by `source` (--baseline) on databases
    and Redis keys of their own."""
    tag = "-baseline" if source else ""
    found = [Variant(f"sqlite{tag}", [],
                     {"DATABASE_URL": f"sqlite+aiosqlite:///{scratch}/sqlite{tag}.db"},
                     source=source)]  # fmt: skip
    if services_running():
        db = f"fastgen_bench_{os.getpid()}{tag.replace('-', '_')}"
        found.append(Variant(
            f"postgresql+redis{tag}", ["database=postgresql", "redis=true"],
            {"DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
             "REDIS_URL": "redis://127.0.0.1:6379/0", "REDIS_KEY_PREFIX": db},
            cleanup=[["dropdb", *PG_ADMIN, "--if-exists", db],
                     ["redis-cli", "-h", "127.0.0.1", "EVAL",
                      "for _, k in ipairs(redis.call('KEYS', ARGV[1])) do"
                      " redis.call('DEL', k) end", "0", f"{db}:*"]],
            source=source,
        ))  # fmt: skip
    return found


def checkout_of(rev: str, target: Path) -> Path:
    """A checkout of this repository at `rev`, sharing its objects, for
    --baseline: its fastgen renders from its own copier.yml and templates."""
    commit = run(["git", "-C", str(REPO), "rev-parse", "--verify", f"{rev}^{{commit}}"])
    run(["git", "clone", "--quiet", "--shared", "--no-checkout", str(REPO), str(target)])
    run(["git", "-C", str(target), "checkout", "--quiet", "--detach", commit.stdout.strip()])
    return target


def render(variant: Variant, out: Path, name: str) -> Path:
    """`fastgen new` of the variant, by its source's fastgen; the project's folder."""
    data = [arg for pair in variant.answers for arg in ("--data", pair)]
    renderer = None
    if variant.source:  # its own package first, and a template history of its own
        renderer = {**os.environ, "PYTHONPATH": str(variant.source / "src"),
                    "FASTGEN_CACHE_DIR": f"{variant.source}-cache"}  # fmt: skip
    run([*FASTGEN, "new", name, "--defaults", "--no-git", "--quiet", "-o", str(out), *data],
        env=renderer)  # fmt: skip
    return out / name


def prepare(variant: Variant, scratch: Path) -> tuple[Path, dict[str, str]]:
    """Generate the project, migrate it, make a user and 20 items of theirs."""
    project = render(variant, scratch / variant.name, "bench")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")},
        "ENVIRONMENT": "production",
        "SECRET_KEY": "b" * 64,
        # Counted as ever, never refused: the limiter's cost stays in the figures.
        "RATE_LIMIT_DEFAULT": "100000000/minute",
        "RATE_LIMIT_LOGIN": "100000000/minute",
        **variant.env,
    }
    if "postgresql" in variant.name:
        db = variant.env["REDIS_KEY_PREFIX"]
        run(["dropdb", *PG_ADMIN, "--if-exists", db])
        run(["createdb", *PG_ADMIN, db])
    return project, env


def populate(venv: Path, project: Path, env: dict[str, str]) -> None:
    py = str(venv / "bin" / "python")
    run([py, "-m", "alembic", "upgrade", "head"], cwd=project, env=env)
    run([py, "-m", "app.cli", "create-admin", "--email", "bench@example.com",
         "--username", "bench"], cwd=project, env={**env, "ADMIN_PASSWORD": PASSWORD})  # fmt: skip


def add_items(base: str, token: str) -> None:
    for n in range(20):
        body = json.dumps({"title": f"item {n}", "description": "x" * 40}).encode()
        post(f"{base}/api/v1/items/", body,
             {"Content-Type": "application/json", "Authorization": f"Bearer {token}"})  # fmt: skip


def extra_headers(base: str, token: str) -> dict[str, list[tuple[str, str]]]:
    """Per path, the headers the generated app adds to what the bare app sends
    (the floor app sends them too); the request id is made fresh per request."""
    # Sent alike by both apps, or by the server (`connection: close` answers
    # urllib's own request, not wrk's).
    same = {"date", "server", "connection", "content-length", "content-type", "x-request-id"}
    found = {}
    for path in ROUTES.values():
        request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            found[path.partition("?")[0]] = [
                (name, value) for name, value in response.getheaders() if name.lower() not in same
            ]
    return found


def served_project(stack: contextlib.ExitStack, venv: Path, variant: Variant,
                   scratch: Path, log: Path) -> tuple[Path, dict[str, str], str, int]:  # fmt: skip
    """The variant generated, migrated and served; its folder, environment, URL
    and server pid."""
    project, env = prepare(variant, scratch)
    populate(venv, project, env)
    base, pid = stack.enter_context(serve(venv, "app.main:app", project, env, log))
    return project, env, base, pid


def measure_load(venv: Path, variant: Variant, baseline: Variant | None, scratch: Path,
                 profile: Profile, results: Results, logins: bool) -> None:  # fmt: skip
    logs = scratch / f"{variant.name}-logs"
    logs.mkdir()
    samples: dict[str, dict[str, list[dict[str, float]]]] = {}
    with contextlib.ExitStack() as stack:
        project, env, gen, gen_pid = served_project(
            stack, venv, variant, scratch, logs / "generated.log"
        )
        bare_env = {**env, "BENCH_DATABASE_URL": env["DATABASE_URL"]}
        bare, bare_pid = stack.enter_context(
            serve(venv, "bare_app:app", BENCH, bare_env, logs / "bare.log")
        )
        token = login(gen)
        add_items(gen, token)
        floor_env = {
            **bare_env,
            "PYTHONPATH": str(project),
            "BENCH_FLOOR_HEADERS": json.dumps(extra_headers(gen, token)),
        }
        floor, floor_pid = stack.enter_context(
            serve(venv, "floor_app:app", BENCH, floor_env, logs / "floor.log")
        )
        apps = {
            "bare": (bare, bare_pid, None),
            "floor": (floor, floor_pid, None),
            "generated": (gen, gen_pid, token),
        }
        if baseline:
            *_, base_url, base_pid = served_project(
                stack, venv, baseline, scratch, logs / "baseline.log"
            )
            base_token = login(base_url)
            add_items(base_url, base_token)
            apps["baseline"] = (base_url, base_pid, base_token)
        for base, _pid, app_token in apps.values():  # warm-up
            for path in ROUTES.values():
                wrk(base + path, 1, app_token)
        for _ in range(profile.rounds):
            for route, path in ROUTES.items():
                for app, (base, pid, app_token) in apps.items():
                    figures = wrk(base + path, profile.seconds, app_token, server_pid=pid)
                    samples.setdefault(route, {}).setdefault(app, []).append(figures)
        rss = peak_rss_mib(gen_pid)
        if logins:
            # bcrypt runs in worker threads: give them the other core, as an
            # unpinned production worker has, or they queue behind the loop.
            run(["taskset", "-a", "-p", "-c", f"0-{(os.cpu_count() or 1) - 1}", str(gen_pid)])
            results.logins = measure_logins(gen, profile)
    entry: dict[str, object] = {"peak_rss_mib": round(rss, 1)}
    for route, by_app in samples.items():
        per_app = {app: {k: statistics.median(s[k] for s in runs) for k in runs[0]}
                   for app, runs in by_app.items()}  # fmt: skip
        gen_f, floor_f, bare_f = per_app["generated"], per_app["floor"], per_app["bare"]
        row: dict[str, object] = {
            "bare": bare_f,
            "floor": floor_f,
            "generated": gen_f,
            "rps_ratio": gen_f["rps"] / bare_f["rps"],
            "p50_ratio": gen_f["p50_ms"] / bare_f["p50_ms"],
            "p99_ratio": gen_f["p99_ms"] / bare_f["p99_ms"],
            # bare CPU per request / generated: comparable to rps_ratio, steadier.
            "cpu_ratio": bare_f["cpu_us"] / gen_f["cpu_us"],
            # The same for the floor: the most any app with these features reaches.
            "floor_cpu_ratio": bare_f["cpu_us"] / floor_f["cpu_us"],
        }
        if "baseline" in per_app:
            row["baseline"] = per_app["baseline"]
            row["vs_baseline"] = per_app["baseline"]["cpu_us"] / gen_f["cpu_us"]
        entry[route] = row
    results.load[variant.name] = entry


def measure_logins(base: str, profile: Profile) -> dict[str, object]:
    """8 logins at once, again and again, while wrk asks /health."""
    seconds = max(profile.seconds, 4)
    stop = time.monotonic() + seconds
    done: list[float] = []

    def keep_logging_in() -> None:
        while time.monotonic() < stop:
            start = time.perf_counter()
            login(base)
            done.append(time.perf_counter() - start)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(keep_logging_in) for _ in range(8)]
        health = wrk(base + "/health", seconds, connections=4)
        for future in futures:
            future.result()
    return {
        "health_p99_ms": health["p99_ms"],
        "health_rps": health["rps"],
        "logins_per_s": len(done) / seconds,
        "login_p50_ms": statistics.median(done) * 1000,
    }


# ------------------------------------------------------------------ 6

# name -> answers and extra settings; the first is the baseline.
SWITCH_APPS = {
    "off": ([], {}),
    "metrics": (["metrics=true"], {"METRICS_TOKEN": "m" * 32}),
    "metrics, multiprocess": (["metrics=true"], {"METRICS_TOKEN": "m" * 32}),
    "tracing, no exporter": (["tracing=true"], {}),
}


def measure_switches(venv: Path, scratch: Path, profile: Profile, results: Results) -> None:
    with contextlib.ExitStack() as stack:
        apps: dict[str, tuple[str, int, str]] = {}
        for n, (name, (answers, settings)) in enumerate(SWITCH_APPS.items()):
            folder = f"switch-{n}"
            variant = Variant(folder, answers,
                              {"DATABASE_URL": f"sqlite+aiosqlite:///{scratch}/{folder}.db",
                               **settings})  # fmt: skip
            project, env = prepare(variant, scratch)
            if "multiprocess" in name:
                # Empty at the start, as prometheus-client needs.
                env["PROMETHEUS_MULTIPROC_DIR"] = str(scratch / f"{folder}-prometheus")
                Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir()
            populate(venv, project, env)
            base, pid = stack.enter_context(
                serve(venv, "app.main:app", project, env, scratch / f"{folder}.log")
            )
            token = login(base)
            add_items(base, token)
            apps[name] = (base, pid, token)
        for base, _pid, token in apps.values():  # warm-up
            for path in ROUTES.values():
                wrk(base + path, 1, token)
        samples: dict[str, dict[str, list[dict[str, float]]]] = {}
        for _ in range(profile.rounds):
            for route, path in ROUTES.items():
                for name, (base, pid, token) in apps.items():
                    figures = wrk(base + path, profile.seconds, token, server_pid=pid)
                    samples.setdefault(route, {}).setdefault(name, []).append(figures)
    for route, by_app in samples.items():
        medians_of = {name: {k: statistics.median(s[k] for s in runs) for k in runs[0]}
                      for name, runs in by_app.items()}  # fmt: skip
        off = medians_of["off"]
        results.switches[route] = {
            name: {**figures, "rps_ratio": figures["rps"] / off["rps"],
                   "cpu_ratio": off["cpu_us"] / figures["cpu_us"]}
            for name, figures in medians_of.items()
        }  # fmt: skip


# ------------------------------------------------------------------ 3, 4


def measure_startup(scratch: Path, profile: Profile, results: Results) -> None:
    made = scratch / "startup"
    fields = ["name:str:80", "price:decimal", "stock:int", "active:bool", "released:date"]
    commands = {
        "python -c pass": lambda n: [sys.executable, "-c", "pass"],
        "fastgen --help": lambda n: [*FASTGEN, "--help"],
        "fastgen new x --defaults --no-git": lambda n: [
            *FASTGEN, "new", "x", "--defaults", "--no-git", "--quiet", "-o", str(made / f"new{n}")],
        "copier copy (same template)": lambda n: [
            sys.executable, "-m", "copier", "copy", "--defaults", "--quiet",
            "--data", "project_name=x", str(REPO), str(made / f"copier{n}" / "x")],
        "fastgen add resource (5 fields)": lambda n: [
            *FASTGEN, "add", "resource", "Product", *fields, "--quiet",
            "-p", str(made / f"new{n}" / "x")],
    }  # fmt: skip
    found = medians(commands, profile.startup_runs)
    base, copier = found["python -c pass"], found["copier copy (same template)"]
    for name, median in found.items():
        results.startup[name] = {"median_ms": median * 1000, "vs_pass": median / base,
                                 "vs_copier": median / copier}  # fmt: skip


def measure_suite(venv: Path, scratch: Path, results: Results, variants: list[Variant]) -> None:
    """The default project's `pytest` (the edit loop) and `pytest --cov` (make
    test, CI), one after the other; then plain `pytest` of each other variant."""
    runs = [(variants[0], ["pytest", "pytest --cov"])]
    runs += [(variant, ["pytest"]) for variant in variants[1:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    for variant, commands in runs:
        project = render(variant, scratch / f"suite-{variant.name}", "suite")
        for command in commands:
            extra = command.split()[1:]
            start = time.perf_counter()
            proc = subprocess.run([str(venv / "bin" / "python"), "-m", "pytest", "-q", "-p",
                                   "no:cacheprovider", *extra], cwd=project, env=env,
                                  capture_output=True, text=True, check=False)  # fmt: skip
            wall = time.perf_counter() - start
            passed = re.search(r"(\d+) passed", proc.stdout)
            count = int(passed.group(1)) if passed else 0
            name = command if variant is variants[0] else f"{variant.name}: {command}"
            results.suite[name] = {"wall_s": wall, "tests": count,
                                   "ms_per_test": wall * 1000 / max(count, 1),
                                   "returncode": proc.returncode}  # fmt: skip


# ------------------------------------------------------------------ report


def switch_lines(results: Results) -> list[str]:
    names = [name for name in SWITCH_APPS if name != "off"]
    header = "".join(f"{name + ' rps x':>30}{'cpu x':>7}" for name in names)
    lines = [
        "switch cost, sqlite, one worker, on over off (rps x: throughput;"
        " cpu x: off's CPU per request over on's; 1.00 = free):",
        f"{'route':<8}{'off rps':>9}{header}",
    ]
    for route, by_app in results.switches.items():
        ratios = "".join(
            f"{by_app[name]['rps_ratio']:>30.2f}{by_app[name]['cpu_ratio']:>7.2f}" for name in names
        )
        lines.append(f"{route:<8}{by_app['off']['rps']:>9.0f}{ratios}")
    return lines


def table(results: Results) -> str:
    if not results.load:  # --switches-only
        return "\n".join([f"machine: {results.machine}", "", *switch_lines(results)])
    lines = [f"machine: {results.machine}", ""]
    based = any(isinstance(row, dict) and "vs_baseline" in row
                for entry in results.load.values() for row in entry.values())  # fmt: skip
    lines.append(f"{'variant / route':<24}{'bare rps':>9}{'gen rps':>9}{'rps x':>7}"
                 f"{'p50 x':>7}{'p99 x':>7}{'gen p50':>9}{'gen p99':>9}"
                 f"{'CPU/req bare':>14}{'gen':>8}{'cpu x':>7}{'floor x':>8}{'of floor':>9}"
                 f"{'RSS MiB':>9}{'vs base' if based else '':>9}".rstrip())  # fmt: skip
    for name, entry in results.load.items():
        for route in ROUTES:
            r = entry[route]
            assert isinstance(r, dict)
            bare_f, gen_f = r["bare"], r["generated"]
            lines.append(
                f"{name + ' ' + route:<24}{bare_f['rps']:>9.0f}{gen_f['rps']:>9.0f}"
                f"{r['rps_ratio']:>7.2f}{r['p50_ratio']:>7.2f}{r['p99_ratio']:>7.2f}"
                f"{gen_f['p50_ms']:>7.1f}ms{gen_f['p99_ms']:>7.1f}ms"
                f"{bare_f['cpu_us']:>12.0f}us{gen_f['cpu_us']:>6.0f}us{r['cpu_ratio']:>7.2f}"
                f"{r['floor_cpu_ratio']:>8.2f}{r['cpu_ratio'] / r['floor_cpu_ratio']:>9.2f}"
                f"{entry['peak_rss_mib'] if route == 'items' else '':>9}"
                f"{format(r['vs_baseline'], '.2f') if based else '':>9}".rstrip()
            )
    if results.logins:
        lg = results.logins
        lines += ["", f"/health during 8 concurrent logins (bcrypt cost 12): "
                  f"p99 {lg['health_p99_ms']:.1f} ms, {lg['logins_per_s']:.1f} logins/s, "
                  f"login p50 {lg['login_p50_ms']:.0f} ms"]  # fmt: skip
    lines += ["", *switch_lines(results)]
    lines += ["", f"{'command':<36}{'median':>9}{'vs pass':>9}{'vs copier':>10}"]
    for name, s in results.startup.items():
        lines.append(f"{name:<36}{s['median_ms']:>7.0f}ms{s['vs_pass']:>8.1f}x"
                     f"{s['vs_copier']:>9.2f}x")  # fmt: skip
    if not results.suite:
        lines += ["", "generated default suite: not run (--short)"]
    else:
        lines.append("")
        for name, s in results.suite.items():
            assert isinstance(s, dict)
            lines.append(f"generated suite, {name}: {s['tests']} passed in "
                         f"{s['wall_s']:.1f} s ({s['ms_per_test']:.0f} ms per test, "
                         f"exit {s['returncode']})")  # fmt: skip
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI form (~2 minutes)")
    parser.add_argument("--json", type=Path, default=BENCH / "results.json")
    parser.add_argument(
        "--switches-only", action="store_true", help="only what metrics and tracing cost (6)"
    )
    parser.add_argument(
        "--baseline", metavar="REV", help="also serve what fastgen at git revision REV renders (1)"
    )
    args = parser.parse_args()
    profile = SHORT if args.short else FULL
    if not shutil.which("wrk") or not shutil.which("taskset"):
        raise SystemExit("bench needs wrk and taskset (Debian: apt-get install wrk util-linux)")
    results = Results(machine={
        "cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg(),
        "profile": "short" if args.short else "full", "python": sys.version.split()[0],
    })  # fmt: skip
    scratch = Path(tempfile.mkdtemp(prefix="fastgen-bench-"))
    # A template history of this run's own: the shared one is rewritten whenever
    # another checkout of fastgen renders, and `fastgen new` would pay for that.
    os.environ["FASTGEN_CACHE_DIR"] = str(scratch / "cache")
    found = variants(scratch)
    baselines: list[Variant | None] = [None] * len(found)
    try:
        if args.baseline and not args.switches_only:
            baselines = [*variants(scratch, checkout_of(args.baseline, scratch / "baseline"))]
        probe = scratch / "probe"
        reqs: list[str] = []
        switched = Variant("switches", ["metrics=true", "tracing=true"], {})
        for variant in [*found, *filter(None, baselines), switched]:
            reqs += requirements(render(variant, probe / variant.name, "p"))
        venv = venv_for(reqs)
        if not args.switches_only:
            for n, (variant, baseline) in enumerate(zip(found, baselines, strict=True)):
                measure_load(venv, variant, baseline, scratch, profile, results, logins=n == 0)
        measure_switches(venv, scratch, profile, results)
        if not args.switches_only:
            measure_startup(scratch, profile, results)
            if profile.suite:
                measure_suite(venv, scratch, results, found)
    finally:
        for variant in [*found, *filter(None, baselines)]:
            for argv in variant.cleanup:
                subprocess.run(argv, check=False, capture_output=True)
        shutil.rmtree(scratch, ignore_errors=True)
    results.machine["loadavg_at_end"] = os.getloadavg()
    print(table(results))
    args.json.write_text(json.dumps(results.__dict__, indent=2) + "\n")
    print(f"\nwritten: {args.json}")


if __name__ == "__main__":
    main()
