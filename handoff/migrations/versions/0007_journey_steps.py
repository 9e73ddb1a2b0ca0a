"""The journey funnels' rollup: a row per assistant reply carrying a journey marker (``custom.journey {form,
step}``), written with the reply (crud.add_message), so the funnels read narrow rows by time instead of parsing the
JSON of every reply of the range; filled here from the replies already stored.

Revision ID: 0007_journey_steps
Revises: 0006_analytics_indexes
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_journey_steps"
down_revision = "0006_analytics_indexes"
branch_labels = None
depends_on = None

messages = sa.table(
    "messages",
    sa.column("id", sa.Integer),
    sa.column("conversation_id", sa.String),
    sa.column("sender", sa.String),
    sa.column("custom", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
journey_steps = sa.table(
    "journey_steps",
    sa.column("message_id", sa.Integer),
    sa.column("conversation_id", sa.String),
    sa.column("form", sa.String),
    sa.column("step", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "journey_steps",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "message_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("form", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The replies already stored, read the way the funnels read them before this table.
    form = messages.c.custom[("journey", "form")].as_string()
    step = messages.c.custom[("journey", "step")].as_string()
    marked = sa.select(
        messages.c.id,
        messages.c.conversation_id,
        sa.func.substr(form, 1, 64),
        sa.func.substr(step, 1, 64),
        messages.c.created_at,
    ).where(
        messages.c.sender == "bot",
        messages.c.custom.is_not(None),
        form.is_not(None),
        form != "",
        step.is_not(None),
        step != "",
    )
    op.execute(
        journey_steps.insert().from_select(["message_id", "conversation_id", "form", "step", "created_at"], marked)
    )
    op.create_index("ix_journey_steps_created_at", "journey_steps", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_journey_steps_created_at", "journey_steps")
    op.drop_table("journey_steps")
