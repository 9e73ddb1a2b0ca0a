"""One settings policy for the four processes: the development secrets run only in development; every process
reads ``.env``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from actions.settings import ActionSettings
from handoff.config import Settings as HubSettings
from knowledge.config import KnowledgeSettings
from lending_core.config import Settings as CoreSettings

# Per process: its class, how a keyword names each of its secrets (field -> environment variable), and real values.
SECRETS: dict[str, tuple[type[BaseSettings], dict[str, tuple[str, str]]]] = {
    "hub": (
        HubSettings,
        {
            "customer_token_secret": ("CUSTOMER_TOKEN_SECRET", "c" * 40),
            "platform_webhook_secret": (
                "PLATFORM_WEBHOOK_SECRET",
                "whsec_cmVhbC1wbGF0Zm9ybS1zZWNyZXQtb2YtdGhlLWJhbms=",
            ),
            "lending_core_api_key": ("LENDING_CORE_API_KEY", "k" * 40),
            "metrics_token": ("METRICS_TOKEN", "m" * 40),
        },
    ),
    "actions": (
        ActionSettings,
        {
            "lending_core_api_key": ("LENDING_CORE_API_KEY", "k" * 40),
            "action_server_token": ("ACTION_SERVER_TOKEN", "t" * 40),
        },
    ),
    "core": (
        CoreSettings,
        {"api_key": ("LENDING_CORE_API_KEY", "k" * 40), "otp_secret": ("LENDING_CORE_OTP_SECRET", "o" * 40)},
    ),
}


def build(cls: type[BaseSettings], **values: Any) -> BaseSettings:
    return cls(_env_file=None, **values)


@pytest.mark.parametrize("process", sorted(SECRETS))
def test_development_runs_on_the_built_in_secrets(process: str) -> None:
    cls, _ = SECRETS[process]
    assert build(cls, environment="development")


@pytest.mark.parametrize("environment", ["test", "staging", "production"])
@pytest.mark.parametrize(
    ("process", "left_default"), [(process, field) for process, (_, fields) in SECRETS.items() for field in fields]
)
def test_every_other_environment_refuses_each_development_secret(
    environment: str, process: str, left_default: str
) -> None:
    cls, fields = SECRETS[process]
    others = {field: value for field, (_, value) in fields.items() if field != left_default}
    with pytest.raises(ValidationError, match=fields[left_default][0]):
        build(cls, environment=environment, **others)


@pytest.mark.parametrize("process", sorted(SECRETS))
def test_a_short_secret_is_refused_and_real_ones_are_accepted(process: str) -> None:
    cls, fields = SECRETS[process]
    real = {field: value for field, (_, value) in fields.items()}
    assert build(cls, environment="production", **real)
    first = next(iter(fields))
    with pytest.raises(ValidationError, match="shorter than 16"):
        build(cls, environment="production", **{**real, first: "short-secret"})


READS: list[tuple[str, Callable[[], BaseSettings], str, Callable[[BaseSettings], object], object]] = [
    ("hub", HubSettings, "MAX_MESSAGE_CHARS=1234", lambda s: s.max_message_chars, 1234),  # type: ignore[attr-defined]
    ("actions", ActionSettings, "LENDING_CORE_RETRIES=7", lambda s: s.lending_core_retries, 7),  # type: ignore[attr-defined]
    ("core", CoreSettings, "LENDING_CORE_PORT=8123", lambda s: s.port, 8123),  # type: ignore[attr-defined]
    ("knowledge", KnowledgeSettings, "KNOWLEDGE_THREADS=3", lambda s: s.threads, 3),  # type: ignore[attr-defined]
]


@pytest.mark.parametrize(("process", "cls", "line", "read", "expected"), READS, ids=[r[0] for r in READS])
def test_every_process_reads_the_env_file_and_the_environment_wins(
    process: str,
    cls: Callable[[], BaseSettings],
    line: str,
    read: Callable[[BaseSettings], object],
    expected: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    name = line.split("=", 1)[0]
    for variable in (name, "ENVIRONMENT", "LENDING_CORE_ENVIRONMENT"):
        monkeypatch.delenv(variable, raising=False)  # development, whatever the suite's environment says
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"{line}\nSOMETHING_ELSE=ignored\n", encoding="utf-8")
    assert read(cls()) == expected

    monkeypatch.setenv(name, "2")
    assert read(cls()) == 2
