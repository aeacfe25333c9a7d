"""The rule authors' tools: validate's lint, explain, rule unit tests and backtests."""
