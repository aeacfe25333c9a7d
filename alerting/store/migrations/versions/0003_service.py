"""The unattended service: run history, worker heartbeats, last good rule files, sources.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("job", sa.String(120), nullable=False),
        # The schedule slot this run is for; one run per (job, slot) across every worker.
        sa.Column("scheduled_for", sa.DateTime(timezone=True)),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("worker", sa.String(200), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("as_of", sa.Date),
        sa.Column("rows_loaded", sa.Integer, nullable=False, default=0),
        sa.Column("rows_rejected", sa.Integer, nullable=False, default=0),
        sa.Column("findings", sa.Integer, nullable=False, default=0),
        sa.Column("exceptions", sa.Integer, nullable=False, default=0),
        sa.Column("alerts_changed", sa.Integer, nullable=False, default=0),
        sa.Column("notices_queued", sa.Integer, nullable=False, default=0),
        sa.Column("notices_sent", sa.Integer, nullable=False, default=0),
        sa.Column("problems", sa.Text),
        sa.Column("error", sa.Text),
        sa.UniqueConstraint("job", "scheduled_for", name="uq_run_slot"),
    )
    op.create_index("ix_runs_started", "runs", ["started_at"])
    op.create_table(
        "workers",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_runs", sa.Text),
    )
    op.create_table(
        "rule_files",
        sa.Column("file", sa.String(500), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sources",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True)),
        sa.Column("changed_at", sa.DateTime(timezone=True)),
        sa.Column("rows_loaded", sa.Integer, nullable=False, default=0),
        sa.Column("rows_rejected", sa.Integer, nullable=False, default=0),
        sa.Column("error", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("sources")
    op.drop_table("rule_files")
    op.drop_table("workers")
    op.drop_table("runs")
