"""The web page, HTTP API and metrics for the people who act on alerts (`alerting web`).

Optional: it needs the `web` extra (`pip install "csc-alerting[web]"`). Like the CLI it is a
thin shell: it reads through the Store and calls the functions the CLI calls (silences,
outbox retry, explain); it decides only who may see and do what (`auth.py`).
"""
