"""The store: the only place that talks SQL. SQLite by default, PostgreSQL by URL."""

from alerting.store.merge import SaveCounts
from alerting.store.store import Store

__all__ = ["SaveCounts", "Store"]
