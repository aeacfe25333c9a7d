"""Observations kept narrow: series and loads by integer key, a view for the wide rows.

A national file holds millions of observations. Each one repeated its measure id, area,
source path and load time as text, and the unique index was on three texts; loading wrote
about 200 bytes a row, twice (WAL, then checkpoint). Now a row names its series (measure
and area) and its load (source and time) by integer, and its id is its key: series id *
2**22 + the period end's day ordinal (as Python's date.toordinal), the table's only index
(on SQLite, the rowid). The `observations` view joins the texts back, so SQL that read the
table reads the view the same. Every existing row is moved, with its revision and load;
its id changes to the new form (ids are not kept anywhere else).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

VIEW = """
CREATE VIEW observations AS
SELECT v.id, s.measure_id, s.area, v.period_end, v.period_kind, v.value, v.raw_value,
       v.target, v.numerator, v.denominator, v.comparators, v.commentary,
       l.source, l.loaded_at, v.revision
FROM observation_values v
JOIN observation_series s ON s.series_id = v.series_id
JOIN observation_loads l ON l.load_id = v.load_id
"""

SERIES_SPAN = 2 ** 22  # day ordinals run to 3,652,059 (31 December 9999)
_VALUES = ("period_end, period_kind, value, raw_value, target, numerator, denominator, "
           "comparators, commentary")


def upgrade() -> None:
    op.create_table(
        "observation_series",
        sa.Column("series_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("measure_id", sa.String(200), nullable=False),
        sa.Column("area", sa.String(200), nullable=False),
        sa.UniqueConstraint("measure_id", "area", name="uq_observation_series"),
    )
    op.create_table(
        "observation_loads",
        sa.Column("load_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "observation_values",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  primary_key=True, autoincrement=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("period_end", sa.Date, nullable=False),
        sa.Column("period_kind", sa.String(20), nullable=False),
        sa.Column("value", sa.Float),
        sa.Column("raw_value", sa.String(200)),
        sa.Column("target", sa.Float),
        sa.Column("numerator", sa.Float),
        sa.Column("denominator", sa.Float),
        sa.Column("comparators", sa.Text),
        sa.Column("commentary", sa.Text),
        sa.Column("load_id", sa.Integer, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
    )
    op.execute("INSERT INTO observation_series (measure_id, area) "
               "SELECT DISTINCT measure_id, area FROM observations ORDER BY measure_id, area")
    op.execute("INSERT INTO observation_loads (source, loaded_at) "
               "SELECT DISTINCT source, loaded_at FROM observations ORDER BY loaded_at, source")
    postgres = op.get_bind().dialect.name == "postgresql"
    ordinal = ("(o.period_end - DATE '0001-01-01' + 1)" if postgres
               else "CAST(julianday(o.period_end) - 1721424.5 AS INTEGER)")
    values = ", ".join("o." + c.strip() for c in _VALUES.split(","))
    op.execute(
        f"INSERT INTO observation_values (id, series_id, {_VALUES}, load_id, revision) "
        f"SELECT CAST(s.series_id AS BIGINT) * {SERIES_SPAN} + {ordinal}, s.series_id, "
        f"{values}, l.load_id, o.revision FROM observations o "
        "JOIN observation_series s ON s.measure_id = o.measure_id AND s.area = o.area "
        "JOIN observation_loads l ON l.source = o.source AND l.loaded_at = o.loaded_at")
    op.drop_table("observations")
    op.execute(VIEW)


def downgrade() -> None:
    op.execute("DROP VIEW observations")
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
    op.execute(
        f"INSERT INTO observations (measure_id, area, {_VALUES}, source, loaded_at, "
        f"revision) SELECT s.measure_id, s.area, "
        f"{', '.join('v.' + c.strip() for c in _VALUES.split(','))}, l.source, l.loaded_at, "
        "v.revision FROM observation_values v "
        "JOIN observation_series s ON s.series_id = v.series_id "
        "JOIN observation_loads l ON l.load_id = v.load_id ORDER BY v.id")
    op.drop_table("observation_values")
    op.drop_table("observation_loads")
    op.drop_table("observation_series")
