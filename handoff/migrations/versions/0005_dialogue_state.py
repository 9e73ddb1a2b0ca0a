"""The assistant's dialogue state (Rasa's SQL tracker store) in the hub's PostgreSQL database, schema ``rasa``.

Rasa keeps each conversation's events (the form in progress, its slots) in a table ``events``; made here, in its
own schema, so the Rasa processes need no right to create anything and one database (one backup) holds both the
transcript and the dialogue state. The columns are Rasa 3.6's ``SQLTrackerStore.SQLEvent``. SQLite deployments
keep the dialogue state in its own file instead (``var/rasa/tracker.db``, made by Rasa), so this does nothing there.

Revision ID: 0005_dialogue_state
Revises: 0004_channels
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_dialogue_state"
down_revision = "0004_channels"
branch_labels = None
depends_on = None

SCHEMA = "rasa"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(sa.schema.CreateSchema(SCHEMA, if_not_exists=True))
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sender_id", sa.String(255), nullable=False),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
        schema=SCHEMA,
    )
    op.create_index("ix_events_sender_id", "events", ["sender_id"], schema=SCHEMA)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("events", schema=SCHEMA)
    op.execute(sa.schema.DropSchema(SCHEMA, if_exists=True))
