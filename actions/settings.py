"""The action server's settings, read when the first action needs them (start-up), never at import time."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings

from appsettings import Environment, refuse_development_secrets, settings_config
from businesshours import BANK_HOURS

DEV_LENDING_CORE_API_KEY = "dev-lending-core-key"
DEV_ACTION_SERVER_TOKEN = "dev-action-server-token"


class ActionSettings(BaseSettings):
    """Where the lending core is, how long to wait for it, and the account managers' hours. The FAQ index has its
    own KNOWLEDGE_ settings."""

    model_config = settings_config()

    environment: Environment = "development"
    lending_core_url: str = "http://127.0.0.1:8100"
    # The same variable the reference core reads as its own key, so both agree by default.
    lending_core_api_key: str = DEV_LENDING_CORE_API_KEY
    lending_core_timeout_seconds: float = 5.0
    lending_core_retries: int = 2
    # The action server listens here, and Rasa must send this token (X-Action-Token, see bot/endpoints.yml).
    action_server_host: str = "127.0.0.1"
    action_server_token: str = DEV_ACTION_SERVER_TOKEN
    # The contact windows a service request offers: the account managers' working hours (skill account_manager);
    # the same variable and file as the hub's (BUSINESS_HOURS_FILE, default businesshours/bank.yaml).
    business_hours_file: Path = BANK_HOURS

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> ActionSettings:
        refuse_development_secrets(
            self.environment,
            [
                ("LENDING_CORE_API_KEY", self.lending_core_api_key, DEV_LENDING_CORE_API_KEY),
                ("ACTION_SERVER_TOKEN", self.action_server_token, DEV_ACTION_SERVER_TOKEN),
            ],
        )
        return self


@lru_cache
def get_action_settings() -> ActionSettings:
    return ActionSettings()
