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

# Observations are kept narrow, since a national file has millions of them: each row names
# its series (measure and area) and its load (source file and time) by integer key, and its
# id is made from its series and period end (`series.observation_id`), so the id is the
# (series, period end) key: one B-tree on SQLite (the id is the rowid), one index on
# PostgreSQL. The `observations` view (below) joins the texts back.
observation_series = sa.Table(
    "observation_series", metadata,
    sa.Column("series_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("measure_id", sa.String(200), nullable=False),
    sa.Column("area", sa.String(200), nullable=False),
    sa.UniqueConstraint("measure_id", "area", name="uq_observation_series"),
)

observation_loads = sa.Table(
    "observation_loads", metadata,
    sa.Column("load_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
)

observation_values = sa.Table(
    "observation_values", metadata,
    # series_id * 2**22 + the period end's day ordinal; INTEGER on SQLite, so it is the rowid
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True,
              autoincrement=False),
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
    sa.Column("revision", sa.Integer, nullable=False, default=1),
)

# The observations as one row each, with their measure, area, source and load time: a view
# (migration 0007 creates it), so SQL written against the wide table reads the same. Described
# here in a MetaData of its own, since it is read, never created or written, as a table.
views = sa.MetaData()
observations = sa.Table(
    "observations", views,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("measure_id", sa.String(200)),
    sa.Column("area", sa.String(200)),
    sa.Column("period_end", sa.Date),
    sa.Column("period_kind", sa.String(20)),
    sa.Column("value", sa.Float),
    sa.Column("raw_value", sa.String(200)),
    sa.Column("target", sa.Float),
    sa.Column("numerator", sa.Float),
    sa.Column("denominator", sa.Float),
    sa.Column("comparators", sa.Text),
    sa.Column("commentary", sa.Text),
    sa.Column("source", sa.Text),
    sa.Column("loaded_at", sa.DateTime(timezone=True)),
    sa.Column("revision", sa.Integer),
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

# Child-level events from Annex A lists or an events CSV (migration 0005). One row per
# (child, kind, episode): episode is the ISO start date, or '' for a kind with none
# (care leavers). `dates` and `details` are JSON objects with sorted keys.
child_events = sa.Table(
    "child_events", metadata,
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
    sa.Index("ix_child_events_kind", "kind", "start_date"),
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

# --- alert state, notification log and outbox (migration 0002) -----------------------------

alerts = sa.Table(
    "alerts", metadata,
    sa.Column("identity", sa.String(600), primary_key=True),
    sa.Column("rule", sa.String(120), nullable=False),
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("area", sa.String(200)),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("status", sa.String(40), nullable=False),
    sa.Column("severity", sa.String(20), nullable=False),
    sa.Column("episode", sa.Integer, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("silenced_by", sa.String(40)),
    sa.Column("finding", sa.Text, nullable=False),
    sa.Column("inhibited_by", sa.String(600)),  # the identity of the alert inhibiting it
    sa.Index("ix_alerts_state", "state"),
)

notification_log = sa.Table(
    "notification_log", metadata,
    sa.Column("receiver", sa.String(120), primary_key=True),
    sa.Column("identity", sa.String(600), primary_key=True),
    sa.Column("episode", sa.Integer, nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("severity_rank", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(20), nullable=False),
    sa.Column("notified_at", sa.DateTime(timezone=True), nullable=False),
)

notices = sa.Table(
    "notices", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("receiver", sa.String(120), nullable=False),
    sa.Column("channel", sa.String(40), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("alert_count", sa.Integer, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_by", sa.String(120)),
    sa.Column("claimed_at", sa.DateTime(timezone=True)),
    sa.Column("sent_at", sa.DateTime(timezone=True)),
    sa.Column("last_error", sa.Text),
    sa.Column("not_before", sa.DateTime(timezone=True)),  # held by quiet hours until then
    sa.Index("ix_notices_due", "status", "next_attempt_at"),
)

delivery_attempts = sa.Table(
    "delivery_attempts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("notice_id", sa.String(40), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),
    sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("duration_ms", sa.Integer),
    sa.Index("ix_attempts_notice", "notice_id"),
)

# --- the unattended service: runs, workers, last good rule files, sources (migration 0003) --

runs = sa.Table(
    "runs", metadata,
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
    sa.Index("ix_runs_started", "started_at"),
)

workers = sa.Table(
    "workers", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("host", sa.String(200), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("beat_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_runs", sa.Text),
)

rule_files = sa.Table(
    "rule_files", metadata,
    sa.Column("file", sa.String(500), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
)

sources = sa.Table(
    "sources", metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("loaded_at", sa.DateTime(timezone=True)),
    sa.Column("changed_at", sa.DateTime(timezone=True)),
    sa.Column("rows_loaded", sa.Integer, nullable=False, default=0),
    sa.Column("rows_rejected", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text),
)

# --- people acting on alerts: who is handling one, and the audit trail (migration 0006) ---

handling = sa.Table(
    "handling", metadata,
    sa.Column("identity", sa.String(600), primary_key=True),
    # The alert episode it was set in: a resolved alert that fires again starts afresh.
    sa.Column("episode", sa.Integer, nullable=False),
    sa.Column("handled_by", sa.String(200), nullable=False),
    sa.Column("note", sa.Text, nullable=False, default=""),
    sa.Column("set_by", sa.String(200), nullable=False),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
)

audit_events = sa.Table(
    "audit_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column("action", sa.String(60), nullable=False),
    sa.Column("target", sa.String(600), nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
    sa.Index("ix_audit_target", "target"),
)
