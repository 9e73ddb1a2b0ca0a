"""The FAQ gaps' rollup: a row per assistant reply marked ``custom.faq_gap {kind}`` that answers a customer message
(the reply, the customer message, the conversation, the kind, the reply's time), written with the reply
(crud.add_message), so the FAQ gaps read narrow rows by time instead of the JSON of every reply of the range; filled
here from the replies already stored. The customer's text is not copied: the row points at the message.

Revision ID: 0008_faq_gap_messages
Revises: 0007_journey_steps
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_faq_gap_messages"
down_revision = "0007_journey_steps"
branch_labels = None
depends_on = None

messages = sa.table(
    "messages",
    sa.column("id", sa.Integer),
    sa.column("conversation_id", sa.String),
    sa.column("seq", sa.Integer),
    sa.column("sender", sa.String),
    sa.column("custom", sa.JSON),
    sa.column("reply_to_seq", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)),
)
faq_gap_messages = sa.table(
    "faq_gap_messages",
    sa.column("reply_id", sa.Integer),
    sa.column("message_id", sa.Integer),
    sa.column("conversation_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("created_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    op.create_table(
        "faq_gap_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "reply_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("messages.id", ondelete="CASCADE"), nullable=False),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The replies already stored and the customer messages they answer, read the way the FAQ gaps read them before
    # this table.
    reply = messages.alias("reply")
    customer = messages.alias("customer")
    kind = reply.c.custom[("faq_gap", "kind")].as_string()
    marked = (
        sa.select(
            reply.c.id,
            customer.c.id,
            reply.c.conversation_id,
            sa.func.substr(kind, 1, 32),
            reply.c.created_at,
        )
        .select_from(reply)
        .join(
            customer,
            sa.and_(customer.c.conversation_id == reply.c.conversation_id, customer.c.seq == reply.c.reply_to_seq),
        )
        .where(
            reply.c.sender == "bot",
            reply.c.custom.is_not(None),
            kind.is_not(None),
            kind != "",
            customer.c.sender == "customer",
        )
    )
    op.execute(
        faq_gap_messages.insert().from_select(
            ["reply_id", "message_id", "conversation_id", "kind", "created_at"], marked
        )
    )
    op.create_index("ix_faq_gap_messages_created_at", "faq_gap_messages", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_faq_gap_messages_created_at", "faq_gap_messages")
    op.drop_table("faq_gap_messages")
