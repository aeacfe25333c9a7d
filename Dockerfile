# csc-alerting: the unattended worker (`alerting worker`) in a container.
# Build from the repository root:   docker build -t csc-alerting .
# Run with PostgreSQL and two workers: see examples/docker-compose.yml and docs/docker.md.
#
# The image needs no network at run time except to reach its database, the SMTP server and
# Teams. Everything it reads lives under /srv/csc-alerting (the working directory), because
# config/service.yaml names its files relative to the working directory.

FROM python:3.12-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Install the package (and the PostgreSQL driver) from the source only; the build folder
# is removed so the image holds the installed package, not two copies of it.
WORKDIR /tmp/csc-alerting-build
COPY pyproject.toml README.md ./
COPY alerting/ alerting/
COPY notifiers/ notifiers/
RUN pip install --no-cache-dir ".[postgres]" \
    && cd / && rm -rf /tmp/csc-alerting-build

# A fixed, unprivileged user: give uid 10001 write access to any folder you bind-mount
# on var/ (and on config/ if you use `alerting silence add`, which edits silences.yaml).
RUN groupadd --gid 10001 alerting \
    && useradd --uid 10001 --gid alerting --no-log-init --no-create-home \
       --home-dir /srv/csc-alerting --shell /usr/sbin/nologin alerting

WORKDIR /srv/csc-alerting
# The shipped config, rules and example data, so `docker run csc-alerting` works at once
# (notices are written as files into var/notices, nothing is sent). Mount your own over them.
COPY config/ config/
COPY rules/ rules/
COPY examples/ examples/
# data/ is where a council mounts its extracts. CSC_ALERTING_DATA is deliberately not set
# here: the shipped config then reads the bundled examples/. Set CSC_ALERTING_DATA to
# /srv/csc-alerting/data when you mount your data there (examples/docker-compose.yml does).
# var/ holds the SQLite file (when no PostgreSQL URL is given) and the notices folder.
# The worker's user may write var/ and the config/ folder itself (`alerting silence add`
# and `expire` rewrite config/silences.yaml by renaming a new file into place); the shipped
# files stay owned by root.
RUN mkdir -p data var \
    && chown alerting:alerting var config

VOLUME ["/srv/csc-alerting/config", "/srv/csc-alerting/rules", "/srv/csc-alerting/data", "/srv/csc-alerting/var"]

USER alerting

# SIGTERM asks the worker to stop after its current step; it records "stopped" and exits 0.
# Give it time: `docker stop -t 60` (compose: stop_grace_period: 60s).
STOPSIGNAL SIGTERM

# Unhealthy (exit 1) when the database cannot be read, this container's worker heartbeat is
# stale or stopped, or the latest run of a job failed. Warnings (a stale source, a broken
# rule file) stay healthy. The worker's name comes from CSC_ALERTING_WORKER_NAME, else the
# container's host name, in both the worker and this check.
HEALTHCHECK --interval=1m --timeout=20s --start-period=2m --retries=3 \
    CMD ["alerting", "status", "--quiet"]

ENTRYPOINT ["alerting"]
CMD ["worker"]
