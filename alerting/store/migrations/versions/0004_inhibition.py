"""Inhibition and quiet hours: the firing alert that mutes an alert, kept with the alert;
the time a notice held by its route's quiet hours may go.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("inhibited_by", sa.String(600)))
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("not_before", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("not_before")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("inhibited_by")
