"""The deployment a bank runs (deploy/): the Kubernetes manifests rendered by Kustomize and checked against the
Kubernetes API's schemas offline, the rules a bank's platform team would check by hand, and the Dockerfile linted
with hadolint. Images cannot be built here (no Docker engine); their commands are checked against the Procfile
that `make run` starts."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from handoff.config import Settings as HubSettings
from handoff.rasa import rasa_urls
from scripts.rasa_server import endpoints
from tests.utils.services import REPO

K8S = REPO / "deploy" / "k8s"
OVERLAYS = {"base": K8S / "base", "production": K8S / "overlays" / "production"}
# The oldest Kubernetes a bank is likely to run that has every API used here (autoscaling/v2, policy/v1, and
# matchLabelKeys in topology spread constraints).
KUBERNETES_VERSION = "1.30.0"
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|API_KEY|AES_KEY|DATABASE_URL|REDIS_URL")
SECRETS_READ_BY = {
    "hub": {
        "DATABASE_URL",
        "REDIS_URL",
        "CUSTOMER_TOKEN_SECRET",
        "PLATFORM_WEBHOOK_SECRET",
        "LENDING_CORE_API_KEY",
        "METRICS_TOKEN",
    },
    "rasa": {"DATABASE_URL", "REDIS_URL", "ACTION_SERVER_TOKEN"},
    "actions": {"ACTION_SERVER_TOKEN", "LENDING_CORE_API_KEY"},
}


def render(path: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.fail("kubectl is missing: `scripts/install.sh deploy` installs Debian's kubernetes-client")
    out = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, check=True).stdout
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module", params=sorted(OVERLAYS))
def rendered(request: pytest.FixtureRequest) -> list[dict[str, Any]]:
    return render(OVERLAYS[request.param])


@pytest.fixture(scope="module")
def production() -> list[dict[str, Any]]:
    return render(OVERLAYS["production"])


def of_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return dict(containers[0])


def test_every_resource_is_valid_against_the_kubernetes_schemas(rendered: list[dict[str, Any]]) -> None:
    for doc in rendered:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


def test_the_schema_check_bites_on_a_misspelt_field(production: list[dict[str, Any]]) -> None:
    hub = of_kind(production, "Deployment")["hub"]
    broken = {**hub, "spec": {**hub["spec"], "replica": 2}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_every_process_has_probes_resources_and_runs_locked_down(rendered: list[dict[str, Any]]) -> None:
    deployments = of_kind(rendered, "Deployment")
    assert set(deployments) == {"hub", "rasa", "actions"}
    for name, deployment in deployments.items():
        spec = deployment["spec"]["template"]["spec"]
        main = container(deployment)
        assert main["readinessProbe"] and main["livenessProbe"], name
        for kind in ("requests", "limits"):
            assert set(main["resources"][kind]) == {"cpu", "memory"}, name
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert main["securityContext"]["readOnlyRootFilesystem"] is True
        assert main["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert spec["automountServiceAccountToken"] is False
    assert container(deployments["hub"])["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container(deployments["hub"])["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container(deployments["actions"])["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container(deployments["actions"])["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_no_secret_is_written_in_the_manifests(rendered: list[dict[str, Any]]) -> None:
    assert not of_kind(rendered, "Secret")
    for config_map in of_kind(rendered, "ConfigMap").values():
        assert not [key for key in config_map["data"] if SECRET_NAME.search(key)]
    for name, deployment in {**of_kind(rendered, "Deployment"), **of_kind(rendered, "Job")}.items():
        env = container(deployment).get("env", [])
        literal = [var["name"] for var in env if "value" in var and SECRET_NAME.search(var["name"])]
        assert not literal, f"{name} has secrets written in: {literal}"
        from_secret = {var["name"] for var in env if "secretKeyRef" in var.get("valueFrom", {})}
        assert SECRETS_READ_BY.get(name, set()) <= from_secret, name


def test_autoscalers_and_disruption_budgets_point_at_real_deployments(rendered: list[dict[str, Any]]) -> None:
    deployments = of_kind(rendered, "Deployment")
    autoscalers = of_kind(rendered, "HorizontalPodAutoscaler")
    assert {hpa["spec"]["scaleTargetRef"]["name"] for hpa in autoscalers.values()} == {"hub", "rasa"}
    for hpa in autoscalers.values():
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments
        assert 2 <= hpa["spec"]["minReplicas"] < hpa["spec"]["maxReplicas"]
    budgets = of_kind(rendered, "PodDisruptionBudget")
    assert set(budgets) == set(deployments)
    for name, budget in budgets.items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    for name, service in of_kind(rendered, "Service").items():
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= pod_labels.items()
        port_names = {port["name"] for port in container(deployments[name])["ports"]}
        assert {port["targetPort"] for port in service["spec"]["ports"]} <= port_names


def test_rasa_and_the_action_server_are_reachable_only_from_inside(rendered: list[dict[str, Any]]) -> None:
    policies = of_kind(rendered, "NetworkPolicy")
    assert policies["default-deny-ingress"]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}

    def allowed_sources(app: str) -> set[str]:
        (policy,) = [
            p
            for p in policies.values()
            if p["spec"]["podSelector"].get("matchLabels", {}).get("app.kubernetes.io/name") == app
        ]
        sources = set()
        for rule in policy["spec"]["ingress"]:
            assert rule.get("from"), f"{app} is open to everyone"
            for peer in rule["from"]:
                assert set(peer) == {"podSelector"}, f"{app} is open beyond the namespace's pods"
                sources.add(peer["podSelector"]["matchLabels"]["app.kubernetes.io/name"])
        return sources

    assert allowed_sources("rasa") == {"hub"}
    assert allowed_sources("actions") == {"rasa", "hub"}


def procfile() -> dict[str, list[str]]:
    lines = (REPO / "Procfile").read_text().splitlines()
    return {
        name: shlex.split(command)
        for name, _, command in (line.partition(": ") for line in lines if line and not line.startswith("#"))
    }


def module_and_command(argv: list[str]) -> list[str]:
    """``python -m handoff serve --port 8000`` -> ["handoff", "serve"]: what runs, without where it listens."""
    start = argv.index("-m") + 1
    words = [argv[start]]
    if start + 1 < len(argv) and not argv[start + 1].startswith("-"):
        words.append(argv[start + 1])
    return words


def test_the_deployments_run_what_make_run_runs(production: list[dict[str, Any]]) -> None:
    local = procfile()
    deployments = of_kind(production, "Deployment")
    for name, process in (("hub", "hub"), ("actions", "actions"), ("rasa", "rasa")):
        assert module_and_command(container(deployments[name])["command"]) == module_and_command(local[process])
    migrate = container(of_kind(production, "Job")["migrate"])
    assert module_and_command(migrate["command"]) == ["handoff", "migrate"]


def test_production_runs_the_released_images(production: list[dict[str, Any]]) -> None:
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    images = {container(d)["image"] for d in of_kind(production, "Deployment").values()}
    assert images == {
        f"registry.bank.example/sme-assistant/app:{version}",
        f"registry.bank.example/sme-assistant/rasa:{version}",
    }


def test_the_configuration_is_one_the_processes_accept(production: list[dict[str, Any]]) -> None:
    (config_map,) = of_kind(production, "ConfigMap").values()
    config = dict(config_map["data"])
    secrets = {
        "DATABASE_URL": "postgresql+psycopg://hub:pw@db.bank.internal:5432/hub",
        "REDIS_URL": "redis://:pw@redis.bank.internal:6379/0",
        "CUSTOMER_TOKEN_SECRET": "a-real-secret-of-the-bank-0123456789",
        "PLATFORM_WEBHOOK_SECRET": "whsec_cmVhbC1zZWNyZXQtb2YtdGhlLWJhbmstMDEyMzQ1Njc4OQ==",
        "LENDING_CORE_API_KEY": "a-real-key-of-the-core-0123456789",
        "ACTION_SERVER_TOKEN": "a-real-token-of-the-actions-0123456789",
        "METRICS_TOKEN": "a-real-token-of-the-scraper-0123456789",
    }
    hub = HubSettings(_env_file=None, **{k.lower(): v for k, v in {**config, **secrets}.items()})  # type: ignore[call-arg]
    assert hub.environment == "production"
    assert rasa_urls(hub.rasa_url) == ["http://rasa:5005"]
    rasa_endpoints, rasa_env = endpoints({**config, **secrets})
    assert rasa_endpoints["tracker_store"]["url"].startswith("postgresql://")
    assert rasa_env["POSTGRESQL_SCHEMA"] == "rasa"
    assert rasa_endpoints["action_endpoint"]["url"] == "http://actions:5055/webhook"


def test_the_dockerfile_passes_hadolint_and_starts_what_the_procfile_starts() -> None:
    dockerfile = REPO / "deploy" / "Dockerfile"
    lint = subprocess.run(
        [str(Path(shutil.which("hadolint") or REPO / ".venv" / "bin" / "hadolint")), str(dockerfile)],
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    commands = [
        yaml.safe_load(line.removeprefix("CMD "))
        for line in dockerfile.read_text().splitlines()
        if line.startswith("CMD ")
    ]
    local = procfile()
    assert [module_and_command(command) for command in commands] == [
        module_and_command(local["hub"]),
        module_and_command(local["rasa"]),
    ]
