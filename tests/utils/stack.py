"""The system's serving processes as the tests (and the soak run, bench/soak.py) start them: each a real
subprocess, started the way `make run` starts it, on a free port or a given one (to restart a process where its
clients expect it)."""

from __future__ import annotations

import sys

import httpx

from tests.utils.factories import TEST_CUSTOMER_TOKEN_SECRET
from tests.utils.lending import TEST_API_KEY
from tests.utils.services import REPO, Service, answers_200, free_port, start_service

ACTION_SERVER_TOKEN = "test-action-server-token"
MODEL = REPO / "bot" / "models" / "current.tar.gz"


def start_action_server(name: str, *, lending_url: str, port: int | None = None) -> Service:
    """The action server on the FAQ index of ``make index``, against the lending core at ``lending_url``."""
    port = port or free_port()
    return start_service(
        name,
        [sys.executable, "-m", "actions.server", "--port", str(port)],
        url=f"http://127.0.0.1:{port}",
        ready=answers_200("/readyz", f"http://127.0.0.1:{port}"),
        env={
            "ENVIRONMENT": "test",
            "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
            "LENDING_CORE_URL": lending_url,
            "LENDING_CORE_API_KEY": TEST_API_KEY,
            "LENDING_CORE_RETRIES": "0",
            "LENDING_CORE_TIMEOUT_SECONDS": "3",
        },
        timeout_seconds=120,
    )


def start_rasa(name: str, *, action_url: str, database_url: str, redis_url: str, port: int | None = None) -> Service:
    """A Rasa server as `make run` starts it (scripts/rasa_server.py): its dialogue state in ``database_url``
    (PostgreSQL: the schema ``rasa`` of the hub's database), its locks in ``redis_url``."""
    if not MODEL.exists():
        raise RuntimeError(f"{MODEL} is missing: run `make train` (make test does it first)")
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"

    def replies(client: httpx.Client) -> bool:
        probe = {"sender": f"readiness-probe-{port}", "message": "你好"}
        response = client.post(f"{base}/webhooks/rest/webhook", json=probe, timeout=60)
        return response.status_code == 200 and bool(response.json())

    return start_service(
        name,
        [
            sys.executable,
            "-m",
            "scripts.rasa_server",
            "--port",
            str(port),
            "--endpoints-file",
            str(REPO / "var" / "test-rasa" / f"{name}-endpoints.yml"),
        ],
        url=base,
        ready=replies,
        env={
            "ACTION_ENDPOINT_URL": f"{action_url}/webhook",
            "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "RASA_TRACKER_STORE_URL": "",
            "RASA_TELEMETRY_ENABLED": "false",
        },
        timeout_seconds=300,
    )


TEST_PLATFORM_SECRET = "whsec_dGVzdC1wbGF0Zm9ybS13ZWJob29rLXNlY3JldC0wMTIzNDU2Nzg5"


TEST_METRICS_TOKEN = "test-metrics-token-0123456789"
METRICS_AUTH = {"Authorization": f"Bearer {TEST_METRICS_TOKEN}"}


def hub_env(
    *, database_url: str, redis_url: str, rasa_url: str, action_url: str, lending_url: str, **extra: str
) -> dict[str, str]:
    """A hub's environment in the tests: agents' hours around the clock unless a test says otherwise; the
    service requests go to the hub's own platform (start_hub fills in its address)."""
    return {
        "ENVIRONMENT": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "RASA_URL": rasa_url,
        "ACTION_SERVER_URL": action_url,
        "CUSTOMER_TOKEN_SECRET": TEST_CUSTOMER_TOKEN_SECRET,
        "RASA_TIMEOUT_SECONDS": "5",
        "BUSINESS_HOURS_FILE": str(REPO / "businesshours" / "around_the_clock.yaml"),
        # Tests talk plain HTTP to 127.0.0.1; a Secure cookie would not be sent back.
        "COOKIE_SECURE": "false",
        # The queue's clock work, quicker than in production so a test waits seconds, not minutes; every hub
        # process of a test run has the same values, as replicas would.
        "OFFER_TIMEOUT_SECONDS": "5",
        "AGENT_STALE_SECONDS": "3",
        "HEARTBEAT_SECONDS": "1",
        "QUEUE_TICK_SECONDS": "0.2",
        "RECONCILE_SECONDS": "2",
        "LENDING_CORE_URL": lending_url,
        "LENDING_CORE_API_KEY": TEST_API_KEY,
        "PLATFORM_WEBHOOK_SECRET": TEST_PLATFORM_SECRET,
        "METRICS_TOKEN": TEST_METRICS_TOKEN,
        "OUTBOX_BACKOFF_SECONDS": "0.2",
        "OUTBOX_BACKOFF_MAX_SECONDS": "1",
        "OUTBOX_MAX_ATTEMPTS": "4",
        "RELAY_POLL_SECONDS": "0.2",
        **extra,
    }


def start_hub(name: str, env: dict[str, str], *, port: int | None = None) -> Service:
    """A hub process on a free port (or the given one, to restart a hub where its clients expect it)."""
    port = port or free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"PLATFORM_WEBHOOK_URL": f"{base}/api/platform/v1/webhook", **env}
    return start_service(
        name,
        [sys.executable, "-m", "handoff", "serve", "--port", str(port)],
        url=base,
        ready=answers_200("/healthz", base),
        env=env,
        timeout_seconds=60,
    )
