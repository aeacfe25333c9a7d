"""Rule unit tests (`alerting test`): a test file's format, its compact series, the runner that
evaluates the real rules over them, and the diff of expected and actual findings."""
