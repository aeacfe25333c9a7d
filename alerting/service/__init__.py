"""The unattended service: one run, the worker, self-monitoring, status, logs, the last good
rule files and the data sources."""
