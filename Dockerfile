# syntax=docker/dockerfile:1
# One image for every role; the arguments pick it:
#   docker run IMAGE run              long polling (one per database; SQLite is single-process)
#   docker run IMAGE run --webhook    updates over HTTP on :8080, any number on PostgreSQL
#   docker run IMAGE worker           the scheduler and sender only
# Every role serves /healthz and /metrics on :9090, which the HEALTHCHECK asks.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/digestbot \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv==0.13.9
WORKDIR /src
# Dependencies first, from the lock file only, so source edits keep this layer cached.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
COPY delivery ./delivery
COPY ingest ./ingest
# The project itself as a regular package: the runtime stage has no /src.
RUN uv sync --locked --no-dev --no-editable

# The same base image, so the environment's interpreter links resolve.
FROM ${PYTHON_IMAGE}
RUN groupadd --gid 10001 digestbot \
    && useradd --create-home --no-log-init --uid 10001 --gid 10001 \
        --shell /usr/sbin/nologin digestbot \
    && mkdir /data \
    && chown 10001:10001 /data
COPY --from=build /opt/digestbot /opt/digestbot
ENV PATH=/opt/digestbot/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/bot.db \
    WEBHOOK_LISTEN=0.0.0.0:8080 \
    METRICS_LISTEN=0.0.0.0:9090 \
    LOG_JSON=true
WORKDIR /data
# Numeric, so runtimes that check for a non-root user can tell without /etc/passwd.
USER 10001:10001
EXPOSE 8080 9090
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["digestbot", "healthcheck"]
ENTRYPOINT ["digestbot"]
CMD ["run"]
