"""`alerting backtest`: replay the rules over the stored history, and its reports."""
