"""flask-caching set-up: one backend shared by every gunicorn worker (a directory on the node
by default, or Redis), so a cached read filled by one worker serves them all."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask
from flask_caching import Cache

from settings import Settings

DEFAULT_TIMEOUT_S = 30
# Expired entries are swept from the cache directory this often, by one worker at a time.
SWEEP_INTERVAL_S = 60.0
SWEEP_CLAIM_KEY = "flux:sweep"

log = logging.getLogger("flux.cache")
_sweepers: dict[str, threading.Thread] = {}
_sweepers_lock = threading.Lock()


def cache_config(settings: Settings) -> dict[str, Any]:
    if settings.cache_type == "redis":
        if settings.cache_redis_url is None:
            raise ValueError("FLUX_CACHE_REDIS_URL is required when FLUX_CACHE_TYPE=redis")
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.cache_redis_url.get_secret_value(),
            "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT_S,
        }
    if settings.cache_type == "filesystem":
        settings.cache_directory.mkdir(parents=True, exist_ok=True)
        return {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": str(settings.cache_directory),
            "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT_S,
            # No threshold: with one, cachelib keeps the entry count in one file that every new
            # entry and every delete reads and rewrites (and every set reads again to decide on
            # pruning): the file cache was ~20 % of the workers' busy samples in the load test's
            # profile; a miss plus a hit costs 3.7x as much with it (bench/bench_cache.py).
            # Expired entries are swept in the background instead (sweep_expired_entries).
            "CACHE_THRESHOLD": 0,
        }
    return {"CACHE_TYPE": "NullCache", "CACHE_NO_NULL_WARNING": True}


def init_cache(server: Flask, settings: Settings) -> Any | None:
    """Initialise flask-caching on ``server``; returns the backend the repository uses
    (None when caching is off)."""
    cache = Cache()
    cache.init_app(server, config=cache_config(settings))
    server.extensions["flux_cache"] = cache
    if settings.cache_type == "null":
        return None
    backend = server.extensions["cache"][cache]
    if settings.cache_type == "filesystem":
        start_sweeper(backend, str(settings.cache_directory))
    return backend


def sweep_expired_entries(backend) -> bool:
    """Remove the cache directory's expired entries, if no other worker has this interval.
    Returns whether this call swept. (cachelib's own pass, which it runs only over a threshold;
    FileSystemCache._remove_expired is private, hence the pinned cachelib.)"""
    if not backend.add(SWEEP_CLAIM_KEY, 1, timeout=max(1, int(SWEEP_INTERVAL_S) - 1)):
        return False
    backend._remove_expired(time.time())
    return True


def start_sweeper(backend, directory: str) -> None:
    """One daemon thread per process and directory (the app factory may run more than once)."""

    def sweep_forever() -> None:
        while True:
            time.sleep(SWEEP_INTERVAL_S)
            try:
                sweep_expired_entries(backend)
            except Exception:  # a sweep that fails leaves files for the next one
                log.warning("cache sweep failed", exc_info=True)

    with _sweepers_lock:
        if directory in _sweepers:
            return
        _sweepers[directory] = thread = threading.Thread(target=sweep_forever, name="flux-cache-sweep", daemon=True)
    thread.start()
