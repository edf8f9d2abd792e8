"""Fixtures for the real local stack: Postgres+PostGIS and the fakesnow warehouse.

Tests run against their own databases (``flux_test`` / ``FLUX_TEST``) on the same servers as
the local stack, loaded at the small scale, so a developer's seed-scale data is never touched.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest

TEST_PG_DATABASE = os.environ.get("FLUX_TEST_PG_DATABASE", "flux_test")
TEST_WAREHOUSE_DATABASE = os.environ.get("FLUX_TEST_WAREHOUSE_DATABASE", "FLUX_TEST")
TEST_SEED = 7
# A fixed "now" so every test run sees the same synthetic grid.
TEST_AS_OF = datetime(2026, 7, 15, 14, 0, 0)


def _test_env() -> dict[str, str]:
    return {
        "FLUX_PG_DATABASE": TEST_PG_DATABASE,
        "SNOWFLAKE_DATABASE": TEST_WAREHOUSE_DATABASE,
        "FLUX_DATA_SCALE": "small",
        "FLUX_CACHE_TYPE": "null",
    }


@pytest.fixture(scope="session")
def stack():
    """The local stack, started if it is not running."""
    from settings import Settings
    from scripts.localstack import LocalStack

    ls = LocalStack(Settings())
    ls.up()
    return ls


@pytest.fixture(scope="session")
def test_env(stack) -> dict[str, str]:
    """Point this process (and any server it spawns) at the test databases."""
    env = _test_env()
    os.environ.update(env)
    return env


@pytest.fixture(scope="session")
def test_settings(test_env):
    from settings import Settings

    return Settings()


def reset_stores(settings) -> None:
    """Empty test databases with the current schemas applied."""
    from data.etl.schema import recreate

    recreate(settings)


@pytest.fixture(scope="session")
def empty_stores(test_settings):
    """Both test databases, schemas applied, no rows."""
    reset_stores(test_settings)
    return test_settings


@pytest.fixture(scope="session")
def loaded_stores(empty_stores):
    """Both test databases loaded at the small scale: generated, piped bronze->gold, synced."""
    from data.etl import generate, pipeline, sync

    settings = empty_stores
    dataset = generate.generate(scale="small", seed=TEST_SEED, as_of=TEST_AS_OF)
    generate.load_warehouse(settings, dataset)
    pipeline.run_once(settings)
    sync.sync_all(settings)
    return settings
