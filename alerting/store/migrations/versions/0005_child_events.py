"""Child-level events: Annex A lists 1-10 and events CSVs, one row per child, kind, episode.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "child_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("child_id", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("episode", sa.String(10), nullable=False),
        sa.Column("start_date", sa.Date),
        sa.Column("end_date", sa.Date),
        sa.Column("team", sa.String(200)),
        sa.Column("locality", sa.String(200)),
        sa.Column("worker", sa.String(200)),
        sa.Column("dates", sa.Text),
        sa.Column("details", sa.Text),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("child_id", "kind", "episode", name="uq_child_event"),
    )
    op.create_index("ix_child_events_kind", "child_events", ["kind", "start_date"])


def downgrade() -> None:
    op.drop_index("ix_child_events_kind", "child_events")
    op.drop_table("child_events")
