"""gunicorn configuration for production (the Dockerfile's CMD) and for local runs.

gthread workers: each request runs on a thread, so a Cortex chat streaming over SSE for a minute
holds one thread, not a worker; the worker's main loop keeps heartbeating meanwhile. Values come
from `Settings` (FLUX_BIND, FLUX_WEB_WORKERS, FLUX_WEB_THREADS, ...).
"""

import os

from app.logging_setup import gunicorn_logconfig
from settings import Settings

_settings = Settings()

bind = _settings.bind
# gthread, answering its own errors in JSON, with read deadlines (app/web_worker.py)
worker_class = "app.web_worker.FluxWorker"
workers = _settings.web_workers
threads = _settings.web_threads
# Pools (Postgres, warehouse) must open after the fork: never share sockets across workers.
preload_app = False

# Heartbeat timeout. A gthread worker heartbeats from its main loop, so a long SSE stream on a
# thread does not count against it; only a wedged worker is killed.
timeout = _settings.web_timeout_s
# SIGTERM: stop accepting, let in-flight requests (and open chat streams) finish up to this long.
graceful_timeout = _settings.web_graceful_timeout_s
# Behind the SPCS ingress proxy, which reuses connections.
keepalive = _settings.web_keepalive_s

# The heartbeat file on tmpfs: a disk-backed /tmp can stall fchmod (gunicorn's docs).
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
# gunicorn >= 25 opens a control socket under $HOME by default; several servers on one machine
# (tests, local runs) would fight over it, and the container does not need it.
control_socket_disable = True

accesslog = None
errorlog = "-"
loglevel = _settings.log_level.lower()
logconfig_dict = gunicorn_logconfig(_settings)
proc_name = "flux-ops"
