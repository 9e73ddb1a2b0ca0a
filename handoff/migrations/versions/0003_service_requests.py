"""Service requests for account managers: the requests and their events, the outbox of webhooks to the
account-manager platform, the built-in platform's receipts, the audit log of unmasked views; account managers'
lending-core id and branch on staff users.

Revision ID: 0003_service_requests
Revises: 0002_live_agents
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_service_requests"
down_revision = "0002_live_agents"
branch_labels = None
depends_on = None

AWARE = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("external_id", sa.String(32)))
        batch.add_column(sa.Column("branch", sa.String(100)))
    op.create_index("ix_staff_users_external_id", "staff_users", ["external_id"])
    op.create_table(
        "service_requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("number", sa.String(12), nullable=False, unique=True),
        sa.Column(
            "conversation_id", sa.String(32), sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("customer_id", sa.String(64)),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("contact_method", sa.String(8), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("contact_window_start", AWARE, nullable=False),
        sa.Column("contact_window_end", AWARE, nullable=False),
        sa.Column("contact_mobile", sa.String(20), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("journey_stage", sa.String(64)),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("branch", sa.String(100)),
        sa.Column("account_manager_id", sa.String(32), sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("passed_by", sa.JSON, nullable=False),
        sa.Column("accept_by", AWARE, nullable=False),
        sa.Column("delivered_at", AWARE),
        sa.Column("accepted_at", AWARE),
        sa.Column("scheduled_for", AWARE),
        sa.Column("done_at", AWARE),
        sa.Column("created_at", AWARE, nullable=False),
        sa.Column("updated_at", AWARE, nullable=False),
    )
    op.create_index("ix_service_requests_conversation_id", "service_requests", ["conversation_id"])
    op.create_index("ix_service_requests_customer_id", "service_requests", ["customer_id"])
    op.create_index("ix_service_requests_state", "service_requests", ["state"])
    op.create_table(
        "service_request_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("service_requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("staff_id", sa.String(32)),
        sa.Column("detail", sa.JSON),
        sa.Column("created_at", AWARE, nullable=False),
    )
    op.create_index("ix_service_request_events_request_id", "service_request_events", ["request_id"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("event_type", sa.String(48), nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("service_requests.id", ondelete="SET NULL")),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", AWARE, nullable=False),
        sa.Column("delivered_at", AWARE),
        sa.Column("dead_at", AWARE),
        sa.Column("last_error", sa.String(300)),
        sa.Column("created_at", AWARE, nullable=False),
    )
    op.create_index("ix_outbox_due", "outbox", ["delivered_at", "dead_at", "next_attempt_at"])
    op.create_table(
        "platform_receipts",
        sa.Column("webhook_id", sa.String(40), primary_key=True),
        sa.Column("event_type", sa.String(48), nullable=False),
        sa.Column("received_at", AWARE, nullable=False),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("staff_id", sa.String(32), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("detail", sa.JSON),
        sa.Column("created_at", AWARE, nullable=False),
    )
    op.create_index("ix_audit_log_staff_id", "audit_log", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_staff_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_table("platform_receipts")
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_table("outbox")
    op.drop_index("ix_service_request_events_request_id", table_name="service_request_events")
    op.drop_table("service_request_events")
    op.drop_index("ix_service_requests_state", table_name="service_requests")
    op.drop_index("ix_service_requests_customer_id", table_name="service_requests")
    op.drop_index("ix_service_requests_conversation_id", table_name="service_requests")
    op.drop_table("service_requests")
    op.drop_index("ix_staff_users_external_id", table_name="staff_users")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("branch")
        batch.drop_column("external_id")
