"""The one settings policy of the hub, the action server, the lending core and the FAQ index.

- Each process reads its environment variables, then the file ``.env`` in the directory it starts in (what
  ``make`` and ``.env.example`` use); the environment wins over the file, unknown names are ignored.
- ``ENVIRONMENT`` (the lending core: ``LENDING_CORE_ENVIRONMENT``) is one of ``ENVIRONMENTS``. Only
  ``development`` runs on the built-in development secrets: in ``test``, ``staging`` and ``production`` a process
  refuses to start while any secret is still its development default or shorter than ``MIN_SECRET_CHARS``, and
  says which ones (the test suite sets its own secrets, as a deployment does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic_settings import SettingsConfigDict

Environment = Literal["development", "test", "staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "test", "staging", "production")
MIN_SECRET_CHARS = 16


def settings_config(*, env_prefix: str = "", **extra: object) -> SettingsConfigDict:
    """The model_config of every Settings class: environment, then ``.env``; unknown names ignored."""
    config = SettingsConfigDict(env_prefix=env_prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore")
    config.update(extra)  # type: ignore[typeddict-item]  # the caller's model_config keys, checked by pydantic
    return config


def refuse_development_secrets(environment: str, secrets: Iterable[tuple[str, str, str]]) -> None:
    """Raise ValueError outside development when a secret is its development default or too short.

    ``secrets``: (environment variable, value, development default) for each secret the process holds."""
    if environment == "development":
        return
    weak = [name for name, value, default in secrets if value == default or len(value) < MIN_SECRET_CHARS]
    if weak:
        raise ValueError(
            f"{', '.join(weak)}: the development default or shorter than {MIN_SECRET_CHARS} characters; "
            f"ENVIRONMENT={environment} needs real secrets (only development runs on the built-in ones)"
        )
