"""Outside channels (WeChat Official Account, WeCom customer service): their customers and bindings, the inbound
messages stored before a callback is answered, the cursors of pulled message streams.

Revision ID: 0004_channels
Revises: 0003_service_requests
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_channels"
down_revision = "0003_service_requests"
branch_labels = None
depends_on = None

AWARE = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "channel_users",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("account_id", sa.String(64), nullable=False),
        sa.Column("external_id", sa.String(128), nullable=False),
        sa.Column(
            "conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("bound_at", AWARE),
        sa.Column("subscribed", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("last_inbound_at", AWARE),
        sa.Column("reply_window_until", AWARE),
        sa.Column("replies_left", sa.Integer, nullable=False),
        sa.Column("delivered_seq", sa.Integer, nullable=False),
        sa.Column("choices", sa.JSON),
        sa.Column("binding", sa.JSON),
        sa.Column("created_at", AWARE, nullable=False),
        sa.UniqueConstraint("channel", "account_id", "external_id", name="uq_channel_users_identity"),
    )
    op.create_index("ix_channel_users_conversation_id", "channel_users", ["conversation_id"])
    op.create_index("ix_channel_users_last_inbound_at", "channel_users", ["last_inbound_at"])
    op.create_table(
        "channel_inbound",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("channel_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(300)),
        sa.Column("received_at", AWARE, nullable=False),
        sa.Column("processed_at", AWARE),
        sa.UniqueConstraint("channel", "dedupe_key", name="uq_channel_inbound_dedupe"),
    )
    op.create_index("ix_channel_inbound_pending", "channel_inbound", ["status", "user_id"])
    op.create_table(
        "channel_cursors",
        sa.Column("channel", sa.String(16), primary_key=True),
        sa.Column("account_id", sa.String(64), primary_key=True),
        sa.Column("cursor", sa.String(256), nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("channel_cursors")
    op.drop_index("ix_channel_inbound_pending", table_name="channel_inbound")
    op.drop_table("channel_inbound")
    op.drop_index("ix_channel_users_last_inbound_at", table_name="channel_users")
    op.drop_index("ix_channel_users_conversation_id", table_name="channel_users")
    op.drop_table("channel_users")
