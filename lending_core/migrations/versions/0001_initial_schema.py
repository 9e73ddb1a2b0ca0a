"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-29 06:39:12.544559
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("legal_representative", sa.String(length=100), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("branch", sa.String(length=100), nullable=False),
        sa.Column("account_manager_id", sa.String(length=32), nullable=False),
        sa.Column("account_manager_name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("credit_code", name=op.f("uq_customers_credit_code")),
        sa.UniqueConstraint("mobile", name=op.f("uq_customers_mobile")),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("endpoint", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_records")),
        sa.UniqueConstraint("caller", "endpoint", "key", name="uq_idempotency_caller_endpoint_key"),
    )
    op.create_table(
        "applications",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=True),
        sa.Column("company_name", sa.String(length=200), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("contact_name", sa.String(length=100), nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=500), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("decision_status", sa.String(length=16), nullable=False),
        sa.Column("decision_reasons", sa.JSON(), nullable=False),
        sa.Column("decision_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_applications_customer_id_customers")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_applications")),
    )
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applications_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "credit_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=False),
        sa.Column("limit_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("used_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("review_due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_credit_lines_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_lines")),
        sa.UniqueConstraint("customer_id", name=op.f("uq_credit_lines_customer_id")),
    )
    op.create_table(
        "overdue_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=False),
        sa.Column("loan_number", sa.String(length=12), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_overdue_events_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_overdue_events")),
    )
    with op.batch_alter_table("overdue_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_overdue_events_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "settlement_accounts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=False),
        sa.Column("account_number", sa.String(length=32), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_settlement_accounts_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_settlement_accounts")),
        sa.UniqueConstraint("account_number", name=op.f("uq_settlement_accounts_account_number")),
    )
    with op.batch_alter_table("settlement_accounts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_settlement_accounts_customer_id"), ["customer_id"], unique=False)

    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_sms_outbox_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_outbox")),
    )
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_sms_outbox_mobile_created", ["mobile", "created_at"], unique=False)

    op.create_table(
        "verifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_verifications_customer_id_customers")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifications")),
    )
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verifications_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index("ix_verifications_mobile_created", ["mobile", "created_at"], unique=False)

    op.create_table(
        "loans",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("customer_id", sa.String(length=16), nullable=False),
        sa.Column("credit_line_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("principal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("maturity_date", sa.Date(), nullable=False),
        sa.Column("outstanding_principal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("interest_accrued", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("interest_accrued_through", sa.Date(), nullable=False),
        sa.Column("renewal_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["settlement_accounts.id"], name=op.f("fk_loans_account_id_settlement_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["credit_line_id"], ["credit_lines.id"], name=op.f("fk_loans_credit_line_id_credit_lines")
        ),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], name=op.f("fk_loans_customer_id_customers")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_loans")),
    )
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loans_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_loans_start_date"), ["start_date"], unique=False)

    op.create_table(
        "renewals",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("loan_number", sa.String(length=12), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("old_maturity_date", sa.Date(), nullable=False),
        sa.Column("new_maturity_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["loan_number"], ["loans.number"], name=op.f("fk_renewals_loan_number_loans")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_renewals")),
    )
    with op.batch_alter_table("renewals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_renewals_loan_number"), ["loan_number"], unique=False)

    op.create_table(
        "repayments",
        sa.Column("number", sa.String(length=12), nullable=False),
        sa.Column("loan_number", sa.String(length=12), nullable=False),
        sa.Column("account_id", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("interest_paid", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("principal_paid", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("outstanding_after", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("value_date", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["settlement_accounts.id"],
            name=op.f("fk_repayments_account_id_settlement_accounts"),
        ),
        sa.ForeignKeyConstraint(["loan_number"], ["loans.number"], name=op.f("fk_repayments_loan_number_loans")),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_repayments")),
    )
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_repayments_loan_number"), ["loan_number"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("repayments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repayments_loan_number"))

    op.drop_table("repayments")
    with op.batch_alter_table("renewals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_renewals_loan_number"))

    op.drop_table("renewals")
    with op.batch_alter_table("loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loans_start_date"))
        batch_op.drop_index(batch_op.f("ix_loans_customer_id"))

    op.drop_table("loans")
    with op.batch_alter_table("verifications", schema=None) as batch_op:
        batch_op.drop_index("ix_verifications_mobile_created")
        batch_op.drop_index(batch_op.f("ix_verifications_customer_id"))

    op.drop_table("verifications")
    with op.batch_alter_table("sms_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_outbox_mobile_created")

    op.drop_table("sms_outbox")
    with op.batch_alter_table("settlement_accounts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_settlement_accounts_customer_id"))

    op.drop_table("settlement_accounts")
    with op.batch_alter_table("overdue_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_overdue_events_customer_id"))

    op.drop_table("overdue_events")
    op.drop_table("credit_lines")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applications_customer_id"))

    op.drop_table("applications")
    op.drop_table("idempotency_records")
    op.drop_table("customers")
