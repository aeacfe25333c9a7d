"""Tables of the store (SQLAlchemy Core). Alembic migrations create them; keep both in step."""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

measures = sa.Table(
    "measures", metadata,
    sa.Column("measure_id", sa.String(200), primary_key=True),
    sa.Column("title", sa.Text, nullable=False, default=""),
    sa.Column("polarity", sa.String(40)),
    sa.Column("unit", sa.String(40)),
    sa.Column("frequency", sa.String(20)),
    sa.Column("basis", sa.String(60)),
    sa.Column("service_area", sa.String(200)),
    sa.Column("tags", sa.JSON),
    sa.Column("updated_at", sa.DateTime(timezone=True)),
)

observations = sa.Table(
    "observations", metadata,
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
    sa.Column("revision", sa.Integer, nullable=False, default=1),
    sa.UniqueConstraint("measure_id", "area", "period_end", name="uq_observation"),
)

observation_revisions = sa.Table(
    "observation_revisions", metadata,
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
    sa.Index("ix_revision_key", "measure_id", "area", "period_end"),
)

risk_scores = sa.Table(
    "risk_scores", metadata,
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

case_records = sa.Table(
    "case_records", metadata,
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

rejected_rows = sa.Table(
    "rejected_rows", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("line", sa.Integer),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("raw", sa.Text),
    sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=False),
)
