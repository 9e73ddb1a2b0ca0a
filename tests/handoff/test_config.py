"""Settings: development defaults work as they are; default secrets are refused elsewhere."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handoff.config import Settings


def test_development_defaults_work_out_of_the_box() -> None:
    settings = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite+aiosqlite:///var/")
    assert settings.max_message_chars == 2000


@pytest.mark.parametrize("environment", ["production", "test"])
def test_default_secret_is_refused_outside_development(environment: str) -> None:
    with pytest.raises(ValidationError, match="CUSTOMER_TOKEN_SECRET"):
        Settings(_env_file=None, environment=environment)  # type: ignore[call-arg]


def test_a_real_secret_is_accepted_in_production() -> None:
    settings = Settings(_env_file=None, environment="production", customer_token_secret="s" * 40)  # type: ignore[call-arg]
    assert settings.environment == "production"
