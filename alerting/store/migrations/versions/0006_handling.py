"""Who is handling an alert (acknowledge / assign), and the audit trail of people's actions.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handling",
        sa.Column("identity", sa.String(600), primary_key=True),
        # The alert episode it was set in: a resolved alert that fires again starts afresh.
        sa.Column("episode", sa.Integer, nullable=False),
        sa.Column("handled_by", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False, default=""),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(600), nullable=False),
        sa.Column("detail", sa.Text, nullable=False, default=""),
    )
    op.create_index("ix_audit_target", "audit_events", ["target"])


def downgrade() -> None:
    op.drop_index("ix_audit_target", "audit_events")
    op.drop_table("audit_events")
    op.drop_table("handling")
