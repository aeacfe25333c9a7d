"""Initial store: measures, observations and revisions, risk scores, case records, quarantine.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "measures",
        sa.Column("measure_id", sa.String(200), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("polarity", sa.String(40)),
        sa.Column("unit", sa.String(40)),
        sa.Column("frequency", sa.String(20)),
        sa.Column("basis", sa.String(60)),
        sa.Column("service_area", sa.String(200)),
        sa.Column("tags", sa.JSON),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("measure_id", sa.String(200), nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("period_kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("raw_value", sa.String(200)),
        sa.Column("target", sa.Float),
        sa.Column("numerator", sa.Float),
        sa.Column("denominator", sa.Float),
        sa.Column("comparators", sa.Text),
        sa.Column("commentary", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.UniqueConstraint("measure_id", "area", "period_end", name="uq_observation"),
    )
    op.create_table(
        "observation_revisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("measure_id", sa.String(200), nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("target", sa.Float),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_revision_key", "observation_revisions",
                    ["measure_id", "area", "period_end"])
    op.create_table(
        "risk_scores",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("risk_id", sa.String(100), nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("period_kind", sa.String(20), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("likelihood", sa.Integer),
        sa.Column("impact", sa.Integer),
        sa.Column("level", sa.String(40)),
        sa.Column("inherent_score", sa.Float),
        sa.Column("owner", sa.Text),
        sa.Column("title", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("risk_id", "period_end", name="uq_risk_score"),
    )
    op.create_table(
        "case_records",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("child_id", sa.String(100), nullable=False),
        sa.Column("plan_type", sa.String(40), nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("locality", sa.String(200)),
        sa.Column("worker", sa.String(200)),
        sa.Column("category", sa.String(200)),
        sa.Column("previous_plans", sa.Integer),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("child_id", "plan_type", "start_date", name="uq_case_plan"),
    )
    op.create_table(
        "rejected_rows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text),
        sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    for table in ("rejected_rows", "case_records", "risk_scores", "observation_revisions",
                  "observations", "measures"):
        op.drop_table(table)
