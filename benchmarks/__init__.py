"""Benchmarks: figures measured, printed and recorded in docs/ (not timed tests)."""
