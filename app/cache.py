"""flask-caching set-up: one backend shared by every gunicorn worker (a directory on the node
by default, or Redis), so a cached read filled by one worker serves them all."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_caching import Cache

from app.settings import Settings

DEFAULT_TIMEOUT_S = 30


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
            "CACHE_THRESHOLD": 5000,
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
    return server.extensions["cache"][cache]
