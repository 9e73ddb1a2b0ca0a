"""Live agents: staff users and sessions, handoffs and their events, satisfaction ratings, canned replies;
agent authorship on messages; the current handoff on conversations.

Revision ID: 0002_live_agents
Revises: 0001_transcript
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_live_agents"
down_revision = "0001_transcript"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(24), nullable=False),
        sa.Column("skills", sa.JSON, nullable=False),
        sa.Column("max_chats", sa.SmallInteger, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(32), sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"])
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("requested_skill", sa.String(24), nullable=False),
        sa.Column("skill", sa.String(24), nullable=False),
        sa.Column("priority", sa.String(8), nullable=False),
        sa.Column("journey_stage", sa.String(64)),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("packet", sa.JSON, nullable=False),
        sa.Column("packet_seq", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16)),
        sa.Column("agent_id", sa.String(32), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_assigned_at", sa.DateTime(timezone=True)),
        sa.Column("assigned_at", sa.DateTime(timezone=True)),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("agents_back_at", sa.DateTime(timezone=True)),
        sa.Column("wrapup_code", sa.String(32)),
        sa.Column("wrapup_note", sa.Text),
    )
    op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])
    op.create_index("ix_handoffs_status", "handoffs", ["status"])
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("agent_id", sa.String(32)),
        sa.Column("detail", sa.JSON),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handoff_events_handoff_id", "handoff_events", ["handoff_id"])
    op.create_table(
        "satisfaction_ratings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "handoff_id", sa.Integer, sa.ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("conversation_id", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(32)),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_satisfaction_ratings_conversation_id", "satisfaction_ratings", ["conversation_id"])
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.String(80), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("skill", sa.String(24)),
        sa.Column("updated_by", sa.String(32)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("author_id", sa.String(32)))
        batch.add_column(sa.Column("sender_name", sa.String(64)))
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("current_handoff_id", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("current_handoff_id")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("sender_name")
        batch.drop_column("author_id")
    op.drop_table("canned_replies")
    op.drop_index("ix_satisfaction_ratings_conversation_id", table_name="satisfaction_ratings")
    op.drop_table("satisfaction_ratings")
    op.drop_index("ix_handoff_events_handoff_id", table_name="handoff_events")
    op.drop_table("handoff_events")
    op.drop_index("ix_handoffs_status", table_name="handoffs")
    op.drop_index("ix_handoffs_conversation_id", table_name="handoffs")
    op.drop_table("handoffs")
    op.drop_index("ix_staff_sessions_user_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
