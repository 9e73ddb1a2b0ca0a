"""Alembic, configured programmatically from Settings (separate from any other Alembic in the repo)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from lending_core.config import PACKAGE_DIR, Settings


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("path_separator", "os")
    config.set_main_option("script_location", str(PACKAGE_DIR / "migrations"))
    config.set_main_option("version_locations", str(PACKAGE_DIR / "migrations" / "versions"))
    config.attributes["settings"] = settings
    return config


def upgrade(settings: Settings, revision: str = "head") -> None:
    """Migrate the configured database to `revision`."""
    command.upgrade(alembic_config(settings), revision)


def revision(settings: Settings, message: str) -> None:
    """Autogenerate a new migration against the configured database (development only)."""
    command.revision(alembic_config(settings), message=message, autogenerate=True)
