"""The hub's settings: environment variables (see ``.env.example``), development defaults that work as they are."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_CUSTOMER_TOKEN_SECRET = "dev-only-customer-token-secret-change-me"


class Settings(BaseSettings):
    """Everything the hub reads from its environment."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///var/hub.db"
    # The embedded Redis of `make run` listens here; production points REDIS_URL at its own Redis.
    redis_url: str = "redis://127.0.0.1:6390/0"
    rasa_url: str = "http://127.0.0.1:5005"
    action_server_url: str = "http://127.0.0.1:5055"
    rasa_timeout_seconds: float = 15.0

    # HS256 secret shared with the bank's web page, which signs the customer token (JWT, claim `sub`).
    customer_token_secret: str = DEV_CUSTOMER_TOKEN_SECRET
    customer_token_audience: str = "sme-assistant"

    max_message_chars: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(default=16_384, ge=1024)
    messages_per_minute: int = Field(default=30, ge=1)
    conversation_lock_seconds: float = 30.0

    @model_validator(mode="after")
    def _refuse_default_secrets_outside_development(self) -> Settings:
        if self.environment != "development" and self.customer_token_secret == DEV_CUSTOMER_TOKEN_SECRET:
            raise ValueError("CUSTOMER_TOKEN_SECRET is the development default; set a real secret outside development")
        return self


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once at start-up."""
    return Settings()
