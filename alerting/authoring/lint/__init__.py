"""`alerting validate`'s warnings: rule files and routes."""
