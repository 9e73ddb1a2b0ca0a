"""Indexes for the supervisors' analytics (handoff/analytics): every figure reads one date range of a table, and the
journey funnels and FAQ gaps read the assistant's replies of that range (bench/analytics.py measures them on
1,000,000 messages).

Revision ID: 0006_analytics_indexes
Revises: 0005_dialogue_state
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_analytics_indexes"
down_revision = "0005_dialogue_state"
branch_labels = None
depends_on = None

BOT = sa.text("sender = 'bot'")


def upgrade() -> None:
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])
    op.create_index("ix_messages_bot_created_at", "messages", ["created_at"], postgresql_where=BOT, sqlite_where=BOT)
    op.create_index("ix_handoffs_queued_at", "handoffs", ["queued_at"])
    op.create_index("ix_satisfaction_ratings_created_at", "satisfaction_ratings", ["created_at"])
    op.create_index("ix_service_requests_created_at", "service_requests", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_service_requests_created_at", "service_requests")
    op.drop_index("ix_satisfaction_ratings_created_at", "satisfaction_ratings")
    op.drop_index("ix_handoffs_queued_at", "handoffs")
    op.drop_index("ix_messages_bot_created_at", "messages")
    op.drop_index("ix_conversations_created_at", "conversations")
