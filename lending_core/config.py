"""Configuration of the reference lending core.

`LendingRules` holds the business figures of docs/product_rules.md (the single source of truth); a test
compares them with that document. `Settings` is the one pydantic-settings class (env prefix
`LENDING_CORE_`, nested rules as `LENDING_CORE_RULES__<FIELD>`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, model_validator
from pydantic_settings import BaseSettings

from appsettings import Environment, refuse_development_secrets, settings_config

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
DEFAULT_SQLITE_PATH = REPO_ROOT / "var" / "lending_core.db"

DEV_API_KEY = "dev-lending-core-key"
DEV_OTP_SECRET = "dev-lending-core-otp-secret"
DEV_ENVIRONMENTS = frozenset({"development", "test"})


class LendingRules(BaseModel):
    """Business figures of the reference core (docs/product_rules.md)."""

    application_amount_min: Decimal = Decimal("10000")
    application_amount_max: Decimal = Decimal("10000000")
    online_amount_limit: Decimal = Decimal("3000000")
    loan_terms_months: tuple[int, ...] = (3, 6, 12, 24, 36)
    line_term_months: int = 36
    review_interval_months: int = 12
    review_reminder_days: int = 30
    drawdown_min: Decimal = Decimal("1000")
    drawdown_daily_max: Decimal = Decimal("5000000")
    rate_min: Decimal = Decimal("0.0345")
    rate_max: Decimal = Decimal("0.0600")
    default_annual_rate: Decimal = Decimal("0.0385")
    day_count_basis: int = 360
    penalty_rate_multiplier: Decimal = Decimal("1.5")
    renewal_window_days: int = 30
    renewal_clean_history_months: int = 12
    max_renewals: int = 1
    renewal_extension_months: int = 12
    renewal_manual_review_max_overdue_days: int = 3
    otp_length: int = 6
    otp_valid_minutes: int = 5
    otp_max_attempts: int = 5
    otp_max_per_minute: int = 1
    otp_max_per_hour: int = 5
    verified_session_minutes: int = 30


class Settings(BaseSettings):
    """Process settings, read from the environment (prefix `LENDING_CORE_`)."""

    model_config = settings_config(env_prefix="LENDING_CORE_", env_nested_delimiter="__", frozen=True)

    environment: Environment = "development"
    database_url: str = f"sqlite+aiosqlite:///{DEFAULT_SQLITE_PATH}"
    host: str = "127.0.0.1"
    port: int = 8100
    api_key: str = DEV_API_KEY
    otp_secret: str = DEV_OTP_SECRET
    # Business date override for demos ("today" becomes this date, time of day stays real).
    fixed_today: dt.date | None = None
    # Demo decision rule for applications.
    application_decision_delay_seconds: int = Field(default=0, ge=0)
    application_auto_approve_max: Decimal = Decimal("1000000")
    application_decline_credit_codes: tuple[str, ...] = ("91110108MA0000000A",)
    db_pool_size: int = 10
    db_max_overflow: int = 20
    rules: LendingRules = LendingRules()

    @model_validator(mode="after")
    def _refuse_development_secrets(self) -> Settings:
        refuse_development_secrets(
            self.environment,
            [
                ("LENDING_CORE_API_KEY", self.api_key, DEV_API_KEY),
                ("LENDING_CORE_OTP_SECRET", self.otp_secret, DEV_OTP_SECRET),
            ],
        )
        return self

    @property
    def is_dev(self) -> bool:
        return self.environment in DEV_ENVIRONMENTS


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once on first use (never at import time)."""
    return Settings()
