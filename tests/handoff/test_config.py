"""Settings: development defaults work as they are; default secrets are refused elsewhere."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from handoff.config import Settings


def test_development_defaults_work_out_of_the_box() -> None:
    settings = Settings(_env_file=None, environment="development")  # type: ignore[call-arg]
    assert settings.database_url.startswith("sqlite+aiosqlite:///var/")
    assert settings.max_message_chars == 2000


REAL_SECRETS = {
    "customer_token_secret": "s" * 40,
    "platform_webhook_secret": "whsec_cmVhbC1wbGF0Zm9ybS1zZWNyZXQtb2YtdGhlLWJhbms=",
    "lending_core_api_key": "k" * 40,
    "metrics_token": "m" * 40,
}


@pytest.mark.parametrize("environment", ["production", "test"])
@pytest.mark.parametrize("left_default", sorted(REAL_SECRETS))
def test_each_default_secret_is_refused_outside_development(environment: str, left_default: str) -> None:
    others = {k: v for k, v in REAL_SECRETS.items() if k != left_default}
    with pytest.raises(ValidationError, match=left_default.upper()):
        Settings(_env_file=None, environment=environment, **others)  # type: ignore[call-arg,arg-type]


def test_real_secrets_are_accepted_in_production() -> None:
    settings = Settings(_env_file=None, environment="production", **REAL_SECRETS)  # type: ignore[call-arg,arg-type]
    assert settings.environment == "production"
