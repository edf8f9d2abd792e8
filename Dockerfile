# syntax=docker/dockerfile:1
# Flux Operations Center: the image that runs in Snowpark Container Services.
# Build for SPCS (linux/amd64):  docker build --platform linux/amd64 -t flux-ops .
# Run locally without the embedded stack (see README, "Configuration"):
#   docker run -p 8080:8080 -e FLUX_PG_DSN=... -e FLUX_PG_PASSWORD=... -e SNOWFLAKE_ACCOUNT=... flux-ops

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: resolve and install the pinned runtime requirements into a venv -----------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
COPY requirements.txt constraints.txt /tmp/req/
# requirements.txt is runtime-only; constraints.txt pins every transitive dependency.
RUN /opt/venv/bin/pip install --no-compile -r /tmp/req/requirements.txt -c /tmp/req/constraints.txt

# --- runtime: the venv, the code, a non-root user --------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    FLUX_EMBEDDED=false \
    FLUX_BIND=0.0.0.0:8080 \
    FLUX_STACK_DIR=/tmp/flux \
    FLUX_CACHE_TYPE=filesystem \
    FLUX_CACHE_DIR=/tmp/flux/cache
RUN groupadd --system --gid 10001 flux \
 && useradd --system --uid 10001 --gid flux --home-dir /srv/flux --shell /usr/sbin/nologin flux
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv/flux
COPY --chown=root:root settings.py settings.py
COPY --chown=root:root app/ app/
COPY --chown=root:root layouts/ layouts/
COPY --chown=root:root callbacks/ callbacks/
COPY --chown=root:root data/ data/
COPY --chown=root:root assets/ assets/
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# gunicorn drains in-flight requests on SIGTERM (graceful_timeout in app/gunicorn_conf.py).
STOPSIGNAL SIGTERM
# The production command. tests/test_spcs.py runs exactly this argv; scripts/run.sh uses it too.
CMD ["gunicorn", "--config", "app/gunicorn_conf.py", "app.wsgi:server"]
