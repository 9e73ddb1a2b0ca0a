"""Alembic migrations of the hub's database. The URL comes from the hub's Settings (DATABASE_URL)."""

from pathlib import Path

ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
