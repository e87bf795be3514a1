"""Schema fuzzing: schemathesis, every check on, against the served default
and everything-on projects, as nobody, as a user and as an admin.

The schema is the app's own /openapi.json plus the OpenAPI links below, so
the stateful phase chains a creation into reads, changes and deletions of
what it created and into the creations that refer to it (the shop's customer
-> order -> order line, invoice), and a login into refreshes.

Each role authenticates with a bearer token of its own (`Authorization`
header), never a cookie: the user is freshly registered, the admin a fresh
user promoted by the suite's admin. So the user's run meets the catalogue's
403 on every write (declared in OpenAPI) and the 404 of rows it cannot see;
the admin's run writes the catalogue and reaches every row. Each run must end
with zero failures, zero errors, and (for a signed-in role) the token accepted.

What is left out or tuned, and why, is in three places: EXCLUDED below
(operations per role), schemathesis.toml (per-operation settings) and
schemathesis_hooks.py (client addresses, protected accounts).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .apps import ServedApp, User
from .conftest import FULL

HERE = Path(__file__).parent
EXAMPLES = 50 if FULL else 8

# Operations a role's run leaves out, with the reason.
EXCLUDED: dict[str, dict[str, str]] = {
    "user": {
        "POST /api/v1/auth/logout": "revokes the token the whole run authenticates with",
    },
    "admin": {
        "POST /api/v1/auth/logout": "revokes the token the whole run authenticates with",
    },
}


def _body_properties(schema: dict[str, Any], path: str, method: str) -> set[str]:
    """The top-level fields of an operation's JSON body (none if it has no body)."""
    operation = schema["paths"][path].get(method, {})
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    ref = body.get("schema", {}).get("$ref", "")
    component = schema.get("components", {}).get("schemas", {}).get(ref.rpartition("/")[2], {})
    return set(component.get("properties", {}))


def _links(schema: dict[str, Any]) -> dict[str, Any]:
    """Declare where a response's id or token feeds the next operation."""
    paths = schema["paths"]

    def link(
        source: tuple[str, str, str],
        targets: dict[str, tuple[str, str]],
        parameters: dict[str, Any] | None = None,
        body: Any = None,
    ) -> None:
        path, method, status = source
        if path not in paths or method not in paths[path]:
            return
        response = paths[path][method]["responses"].setdefault(status, {"description": ""})
        for name, (target_path, target_method) in targets.items():
            if target_path in paths and target_method in paths[target_path]:
                entry: dict[str, Any] = {
                    "operationId": paths[target_path][target_method]["operationId"]
                }
                if parameters:
                    entry["parameters"] = parameters
                if body is not None:
                    entry["requestBody"] = body
                response.setdefault("links", {})[name] = entry

    # Each resource's creation feeds its own row's routes, and every creation
    # whose body refers to that resource (`order_id` of an order line, the same
    # name as the order's path parameter): merged into the generated body, so
    # a chain reaches the rows behind a reference (customer -> order -> line).
    for collection, operations in paths.items():
        if "post" not in operations or not collection.endswith("/"):
            continue
        items = [p for p in paths if p.startswith(collection + "{") and p.count("/") == 4]
        if len(items) != 1 or collection == "/api/v1/users/":
            continue
        item = items[0]
        name = item[len(collection) + 1 : -1]  # order_id
        source = (collection, "post", "201")
        cls = name.removesuffix("_id").title().replace("_", "")
        link(
            source,
            {f"{m}{cls}": (item, m) for m in ("get", "put", "patch", "delete")},
            parameters={name: "$response.body#/id"},
        )
        for target in paths:
            if target != collection and name in _body_properties(schema, target, "post"):
                link(
                    source,
                    {"create_" + target.split("/")[-2].replace("-", "_"): (target, "post")},
                    body={name: "$response.body#/id"},
                )

    user = "/api/v1/users/{user_id}"
    link(
        ("/api/v1/users/", "post", "201"),
        {
            **{f"{m}User": (user, m) for m in ("get", "put", "delete")},
            "activate": ("/api/v1/admin/users/{user_id}/activate", "post"),
            "deactivate": ("/api/v1/admin/users/{user_id}/deactivate", "post"),
        },
        parameters={"user_id": "$response.body#/id"},
    )
    for source in (("/api/v1/auth/login", "post", "200"), ("/api/v1/auth/refresh", "post", "200")):
        link(
            source,
            {"refresh": ("/api/v1/auth/refresh", "post")},
            body={"refresh_token": "$response.body#/refresh_token"},
        )
    return schema


def _fuzz_admin(app: ServedApp) -> User:
    """An admin of its own for the run, so that no other suite's admin is at stake."""
    assert app.admin is not None
    user = app.new_user("fuzzadmin")
    promoted = app.admin.call("PATCH", f"/api/v1/users/{user.id}", json_body={"is_admin": True})
    assert promoted.status == 200, promoted
    return user


@pytest.mark.parametrize("role", ["anonymous", "user", "admin"])
def test_schemathesis_finds_nothing(
    any_app: ServedApp, role: str, tmp_path: Path, record_property: Any
) -> None:
    answer = any_app.worker.call("GET", "/openapi.json")
    assert answer.status == 200, answer
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(_links(answer.body)))

    assert any_app.admin is not None
    protected = [any_app.admin.id]
    argv = [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(HERE / "schemathesis.toml"), "run", str(schema_file),
        "--url", f"http://127.0.0.1:{any_app.worker.port}",
        "--checks", "all", "--max-examples", str(EXAMPLES),
        "--workers", "1", "--no-color", "--generation-database", "none",
        "--report", "json", "--report-json-path", str(tmp_path / "report.json"),
    ]  # fmt: skip
    if role != "anonymous":
        signed_in = any_app.new_user("fuzzuser") if role == "user" else _fuzz_admin(any_app)
        protected.append(signed_in.id)
        argv += ["--header", f"Authorization: Bearer {signed_in.access}"]
    for operation in EXCLUDED.get(role, {}):
        argv += ["--exclude-name", operation]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py"),
        "FASTGEN_FUZZ_PROTECTED_IDS": ",".join(map(str, protected)),
    }
    # In tmp_path, where schemathesis also keeps its cache of crashes.
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, check=False)
    log = tmp_path / "schemathesis.txt"
    log.write_text(done.stdout + done.stderr)
    report_file = tmp_path / "report.json"
    assert report_file.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(report_file.read_text())

    record_property("cases", report["test_cases"]["generated"])
    failures = {f"{f['code']} {f['title']}": f["operations"] for f in report["failures"]}
    assert failures == {}, f"{json.dumps(failures, indent=1)}\nin full: {log}"
    assert report["errors"] == [], report["errors"]
    if role != "anonymous":
        refused = set(report["warnings"].get("missing_auth", []))
        assert "GET /api/v1/users/me" not in refused, "the run's token was refused"
    assert report["test_cases"]["generated"] > 0
