"""The command line: thin shells that parse arguments, call the pipeline and print."""

from alerting.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
