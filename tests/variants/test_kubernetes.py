"""The Kubernetes manifests of generated projects, checked without a cluster.

Each database/Redis variant is rendered with `kubernetes=true`; `kubectl
kustomize` builds its base and its production overlay, every object is
validated against the Kubernetes API's schemas (kubernetes-validate, strict,
at KUBERNETES_VERSION), and the objects are read as data: what runs, how many,
locked down how, probed where, stopped how, configured from what, and whether
the README's deploy commands name what the manifests define. checkov, when it
is installed, must find no failed check and a reason for every skipped one.
"""

from __future__ import annotations

import ast
import json
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from .support import IN_CI, render
from .test_docker_ci_files import Rendered, parse_dockerfile, readme_commands, stages

# The schemas objects are validated against: a release clusters run today
# (kubernetes-validate carries one schema set per release).
KUBERNETES_VERSION = "1.35.0"
OVERLAY = "deploy/kubernetes/overlays/production"
BASE = "deploy/kubernetes/base"

# (database, redis, docker): every database/Redis combination; one without
# `docker`, whose Dockerfile the manifests still need.
K8S_VARIANTS = [
    ("sqlite", False, False),
    ("sqlite", True, True),
    ("postgresql", False, True),
    ("postgresql", True, True),
]
SECRET_SETTINGS = {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "METRICS_TOKEN"}


@dataclass
class Built:
    project: Rendered
    base: list[dict[str, Any]]
    production: list[dict[str, Any]]

    def one(self, kind: str) -> dict[str, Any]:
        (found,) = [o for o in self.production if o["kind"] == kind]
        return found

    @property
    def scales(self) -> bool:
        return self.project.answers["database"] == "postgresql" and self.project.answers["redis"]


def kustomize(folder: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        if IN_CI:
            pytest.fail("kubectl is not installed")
        pytest.skip("kubectl is not installed")
    built = subprocess.run(
        [kubectl, "kustomize", str(folder)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


@pytest.fixture(scope="module")
def built(copie_session: Any) -> dict[tuple[str, bool, bool], Built]:
    out = {}
    for database, redis, docker in K8S_VARIANTS:
        answers = {
            "project_name": f"K8s {database} {'redis' if redis else 'plain'}",
            "database": database,
            "redis": redis,
            "docker": docker,
            "kubernetes": True,
            # Its token is one more secret of the server's: with Redis only,
            # so that both forms are checked.
            "metrics": redis,
        }
        project = Rendered(answers, render(copie_session, answers))
        out[(database, redis, docker)] = Built(
            project, kustomize(project.root / BASE), kustomize(project.root / OVERLAY)
        )
    return out


variant = pytest.mark.parametrize(
    "key", K8S_VARIANTS, ids=[f"{d}-{'redis' if r else 'noredis'}" for d, r, _ in K8S_VARIANTS]
)


def pod_specs(b: Built) -> dict[str, dict[str, Any]]:
    return {kind: b.one(kind)["spec"]["template"]["spec"] for kind in ("Deployment", "Job")}


def app_container(b: Built) -> dict[str, Any]:
    (container,) = pod_specs(b)["Deployment"]["containers"]
    return container


# ------------------------------------------------------------------ files


@variant
def test_manifest_files_have_no_template_leftovers(built: dict, key: tuple) -> None:
    files = sorted((built[key].project.root / "deploy").rglob("*.yaml"))
    assert files
    for path in files:
        text = path.read_text()
        assert "{{" not in text and "{%" not in text and "{#" not in text, path
        assert text.endswith("\n") and not text.endswith("\n\n"), path
        assert "\n\n\n" not in text and not text.startswith("\n"), path
        assert all(line == line.rstrip() for line in text.splitlines()), path


def test_kubernetes_off_leaves_no_manifests(copie_session: Any) -> None:
    root = render(copie_session, {"project_name": "No k8s", "docker": False})
    assert not (root / "deploy").exists()
    assert not (root / "Dockerfile").exists()


@variant
def test_the_image_the_manifests_run_is_built_by_the_project(built: dict, key: tuple) -> None:
    root = built[key].project.root
    assert (root / "Dockerfile").is_file() and (root / ".dockerignore").is_file()
    assert (root / "compose.yaml").exists() == built[key].project.answers["docker"]


# ------------------------------------------------------ schema and shapes


@variant
def test_every_object_is_valid_for_the_kubernetes_api(built: dict, key: tuple) -> None:
    b = built[key]
    for obj in [*b.base, *b.production]:
        # Strict: a misspelt or misplaced field is an error, not ignored.
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


@variant
def test_the_objects_are_those_of_the_variant(built: dict, key: tuple) -> None:
    b = built[key]
    kinds = sorted(o["kind"] for o in b.production)
    expected = ["ConfigMap", "Deployment", "Job", "NetworkPolicy", "PodDisruptionBudget", "Service"]
    if b.scales:
        expected.append("HorizontalPodAutoscaler")
    if b.project.answers["database"] == "sqlite":
        expected.append("PersistentVolumeClaim")
    assert kinds == sorted(expected)
    assert not [o for o in b.production if o["kind"] == "Secret"], "secrets are made by hand"
    namespaces = {o["metadata"].get("namespace") for o in b.production}
    assert len(namespaces) == 1 and None not in namespaces, "the overlay places every object"


@variant
def test_only_postgresql_with_redis_runs_several_replicas(built: dict, key: tuple) -> None:
    b = built[key]
    deployment = b.one("Deployment")
    pdb = b.one("PodDisruptionBudget")["spec"]
    text = (b.project.root / BASE / "deployment.yaml").read_text()
    if b.scales:
        assert deployment["spec"]["replicas"] >= 2
        hpa = b.one("HorizontalPodAutoscaler")["spec"]
        assert hpa["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
        assert hpa["minReplicas"] == deployment["spec"]["replicas"] < hpa["maxReplicas"]
        assert pdb == {"minAvailable": 1, "selector": pdb["selector"]}
    else:
        assert deployment["spec"]["replicas"] == 1
        assert "# One replica:" in text, "the manifest says why there is one"
        # minAvailable 1 of 1 would block every node drain.
        assert pdb == {"maxUnavailable": 1, "selector": pdb["selector"]}
    strategy = deployment["spec"]["strategy"]
    if b.project.answers["database"] == "sqlite":
        assert strategy == {"type": "Recreate"}, "two pods must never share the SQLite file"
    else:
        assert strategy["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (pdb["selector"]["matchLabels"], b.one("Service")["spec"]["selector"]):
        assert selector.items() <= labels.items()
        job_labels = b.one("Job")["spec"]["template"]["metadata"]["labels"]
        assert not selector.items() <= job_labels.items(), "the Job's pod takes no traffic"


# ------------------------------------------------------------ the pods


@variant
def test_pods_run_as_non_root_read_only_and_bounded(built: dict, key: tuple) -> None:
    for kind, spec in pod_specs(built[key]).items():
        pod = spec["securityContext"]
        assert pod["runAsNonRoot"] is True, kind
        # A number: the kubelet cannot check a user name against root.
        assert isinstance(pod["runAsUser"], int) and pod["runAsUser"] >= 10000, kind
        assert pod["seccompProfile"] == {"type": "RuntimeDefault"}, kind
        assert spec["automountServiceAccountToken"] is False, kind
        (container,) = spec["containers"]
        ctx = container["securityContext"]
        assert ctx["allowPrivilegeEscalation"] is False, kind
        assert ctx["readOnlyRootFilesystem"] is True, kind
        assert ctx["capabilities"] == {"drop": ["ALL"]}, kind
        for bound in ("requests", "limits"):
            assert set(container["resources"][bound]) == {"cpu", "memory"}, (kind, bound)
        volumes = {v["name"]: v for v in spec["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], "Python's temporary files need /tmp"


@pytest.mark.parametrize(
    "key", [v for v in K8S_VARIANTS if v[0] == "sqlite"], ids=["noredis", "redis"]
)
def test_sqlite_file_is_on_the_claimed_volume_the_image_points_at(built: dict, key: tuple) -> None:
    b = built[key]
    runtime = stages(parse_dockerfile(b.project.text("Dockerfile")))[-1]
    env = {
        word.split("=", 1)[0]: word.split("=", 1)[1]
        for ins in runtime
        if ins.keyword == "ENV"
        for word in shlex.split(ins.args)
    }
    folder = str(Path(env["DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")).parent)
    claim = b.one("PersistentVolumeClaim")["metadata"]["name"]
    for kind, spec in pod_specs(b).items():
        (container,) = spec["containers"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in spec["volumes"]}
        assert volumes[mounts[folder]]["persistentVolumeClaim"]["claimName"] == claim, kind
        assert spec["securityContext"]["fsGroup"] == spec["securityContext"]["runAsGroup"]


@variant
def test_probes_ask_the_health_routes_on_the_served_port(built: dict, key: tuple) -> None:
    b = built[key]
    container = app_container(b)
    (port,) = container["ports"]
    assert port == {"name": "http", "containerPort": 8000}
    assert container["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["startupProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert container["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
    health = ast.parse((b.project.root / "app" / "api" / "health.py").read_text())
    served = {
        (call.args[0].value, method.value)
        for call in ast.walk(health)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "add_api_route"
        for keyword in call.keywords
        if keyword.arg == "methods" and isinstance(keyword.value, ast.List)
        for method in keyword.value.elts
        if isinstance(call.args[0], ast.Constant) and isinstance(method, ast.Constant)
    }
    assert {("/health", "GET"), ("/health/ready", "GET")} <= served
    (service_port,) = b.one("Service")["spec"]["ports"]
    assert service_port["targetPort"] == "http"
    (rule,) = b.one("NetworkPolicy")["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]


def dockerfile_commands(project: Rendered) -> list[list[str]]:
    """The Dockerfile's CMD (`sh -c "a && exec b"`) as its commands' words."""
    (cmd,) = [i.args for i in parse_dockerfile(project.text("Dockerfile")) if i.keyword == "CMD"]
    argv = json.loads(cmd)
    assert argv[:2] == ["sh", "-c"]
    return [shlex.split(part.strip().removeprefix("exec ")) for part in argv[2].split("&&")]


def options(argv: list[str]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    words = iter(argv)
    for word in words:
        if word.startswith("--"):
            takes_value = word in {"--host", "--port", "--workers", "--timeout-graceful-shutdown"}
            out[word] = next(words) if takes_value else None
    return out


@variant
def test_the_server_runs_as_the_dockerfile_runs_it_and_stops_gracefully(
    built: dict, key: tuple
) -> None:
    b = built[key]
    migrate, serve = dockerfile_commands(b.project)
    container = app_container(b)
    command = container["command"]
    assert command[:2] == serve[:2] == ["uvicorn", "app.main:app"]
    ours, image = options(command[2:]), options(serve[2:])
    # The replicas are the workers; the rest is the image's own server.
    assert ours.pop("--workers") == "1"
    image.pop("--workers")
    grace = int(ours.pop("--timeout-graceful-shutdown") or 0)
    assert ours == image

    spec = pod_specs(b)["Deployment"]
    pause = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pause[0] == "sleep"
    # The kubelet kills at the end of the grace period, which counts the preStop.
    assert spec["terminationGracePeriodSeconds"] > int(pause[1]) + grace > int(pause[1])

    (job,) = pod_specs(b)["Job"]["containers"]
    assert job["command"] == migrate == ["alembic", "upgrade", "head"]
    assert job["image"] == container["image"]
    assert b.one("Job")["spec"]["template"]["spec"]["restartPolicy"] == "Never"


# ------------------------------------------------------ settings, secrets


def env_example_keys(project: Rendered) -> set[str]:
    return {
        line.split("=", 1)[0]
        for line in project.text(".env.example").splitlines()
        if "=" in line and not line.lstrip().startswith("#")
    }


@variant
def test_settings_come_from_the_configmap_and_secrets_only_by_reference(
    built: dict, key: tuple
) -> None:
    b = built[key]
    answers = b.project.answers
    settings = env_example_keys(b.project)
    config = b.one("ConfigMap")
    assert set(config["data"]) <= settings - SECRET_SETTINGS
    assert config["data"]["ENVIRONMENT"] == "production"

    wanted = {"SECRET_KEY"} | ({"DATABASE_URL"} if answers["database"] == "postgresql" else set())
    wanted |= {"REDIS_URL"} if answers["redis"] else set()
    wanted |= {"METRICS_TOKEN"} if answers["metrics"] else set()
    secret = f"{b.one('Deployment')['metadata']['name']}-secrets"
    for kind, spec in pod_specs(b).items():
        (container,) = spec["containers"]
        for env in container.get("env", []):
            assert "value" not in env, f"{kind}: {env['name']} is written in the manifest"
            assert env["valueFrom"]["secretKeyRef"] == {"name": secret, "key": env["name"]}
        refs = {e["name"] for e in container.get("env", [])}
        # The migrations need the database only; the server all the secrets.
        assert refs == (wanted if kind == "Deployment" else wanted & {"DATABASE_URL"}), kind
    (from_config,) = app_container(b)["envFrom"]
    assert from_config["configMapRef"]["name"] == config["metadata"]["name"]

    # The README's command creates that Secret with exactly those keys.
    (create,) = [c for c in readme_commands(b.project) if " create secret generic " in c]
    words = shlex.split(create)
    assert words[words.index("generic") + 1] == secret
    keys = {w.split("=", 1)[1].split("=", 1)[0] for w in words if w.startswith("--from-literal=")}
    assert keys == wanted


def selected(selector: str, labels: dict[str, str]) -> bool:
    """kubectl's `-l 'key in (a,b)'`."""
    match = re.fullmatch(r"(\S+) in \((.*)\)", selector)
    assert match, selector
    return labels.get(match[1]) in match[2].split(",")


@variant
def test_readme_deploys_the_migration_before_the_pods(built: dict, key: tuple) -> None:
    b = built[key]
    commands = [shlex.split(c) for c in readme_commands(b.project) if c.startswith("kubectl")]
    namespace = b.one("Deployment")["metadata"]["namespace"]
    job = b.one("Job")["metadata"]["name"]
    deployment = b.one("Deployment")["metadata"]["name"]
    assert all(w[1:3] == ["-n", namespace] for w in commands if "-n" in w)

    applies = [i for i, w in enumerate(commands) if w[1:3] == ["apply", "-k"]]
    assert [commands[i][3] for i in applies] == [OVERLAY, OVERLAY]
    first, rollout = applies
    (delete,) = [i for i, w in enumerate(commands) if "delete" in w]
    (wait,) = [i for i, w in enumerate(commands) if "wait" in w]
    # The old Job goes (its pod template cannot change), the new one alone runs
    # and completes, then the Deployment changes.
    assert delete < first < wait < rollout
    assert commands[delete][3:6] == ["delete", "job", job]
    assert f"job/{job}" in commands[wait] and "--for=condition=complete" in commands[wait]
    selector = commands[first][commands[first].index("-l") + 1]
    picked = {o["kind"] for o in b.production if selected(selector, o["metadata"]["labels"])}
    needed = {"Job"} | ({"PersistentVolumeClaim"} if "PersistentVolumeClaim" in picked else set())
    assert picked == needed, "the first apply changes nothing that serves"
    if b.project.answers["database"] == "sqlite":
        assert "PersistentVolumeClaim" in picked, "the Job writes the SQLite file on its volume"
    assert any(f"deployment/{deployment}" in w for w in commands[rollout:])


@variant
def test_checkov_finds_no_failed_check(built: dict, key: tuple, tmp_path: Path) -> None:
    checkov = shutil.which("checkov")
    if checkov is None:
        # Not in the test extra: it pins packaging<24, which pytest 9 refuses;
        # .ci/run installs it in a venv of its own and puts it on PATH.
        if IN_CI:
            pytest.fail("checkov is not on PATH (.ci/run installs it)")
        pytest.skip("checkov is not installed (it pins packaging<24, which pytest 9 refuses)")
    manifest = tmp_path / "production.yaml"
    manifest.write_text(yaml.safe_dump_all(built[key].production))
    run = subprocess.run(
        [checkov, "-f", str(manifest), "--framework", "kubernetes", "--output", "json",
         "--compact", "--skip-download"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = json.loads(run.stdout)
    results = report["results"]
    assert results["failed_checks"] == [], [c["check_id"] for c in results["failed_checks"]]
    for skipped in results["skipped_checks"]:
        assert skipped["check_result"].get("suppress_comment"), skipped["check_id"]
