"""The store: the only place that talks SQL. SQLite by default, PostgreSQL by URL."""

from alerting.store.store import SaveCounts, Store

__all__ = ["SaveCounts", "Store"]
