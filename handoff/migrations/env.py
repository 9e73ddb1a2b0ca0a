"""Alembic environment: the URL is the hub's DATABASE_URL (with a synchronous driver)."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from sqlalchemy import create_engine

from handoff.config import get_settings
from handoff.db import sync_database_url
from handoff.models import Base

config = context.config
if config.config_file_name is not None and not config.attributes.get("skip_logging"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

url = config.attributes.get("database_url") or sync_database_url(get_settings().database_url)
version_table = config.get_main_option("version_table") or "alembic_version"

if context.is_offline_mode():
    context.configure(url=url, target_metadata=Base.metadata, version_table=version_table, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            version_table=version_table,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
