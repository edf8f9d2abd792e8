"""The shared read cache (data/read/read_cache.py) on cachelib's real FileSystemCache, the backend the
gunicorn workers share: one query per cold key however many readers, renewal before expiry, and
no answer served past its TTL."""

from __future__ import annotations

import threading
import time

import pytest
from cachelib import FileSystemCache

from data.read import read_cache
from data.read.models import Provenance, ReadResult
from data.read.read_cache import ReadCache


def answer(value) -> ReadResult:
    return ReadResult(value, Provenance("postgres", 1.0, None))


@pytest.fixture()
def cache(tmp_path):
    c = ReadCache(FileSystemCache(str(tmp_path)))
    yield c
    c.close()


def test_cache001_cold_key_is_read_once_for_many_readers(cache):
    calls = []

    def produce():
        calls.append(1)
        time.sleep(0.3)  # a slow warehouse read
        return answer(len(calls))

    barrier = threading.Barrier(12)
    results = []

    def reader():
        barrier.wait()
        results.append(cache.read("kpis", produce, lambda r: 15))

    threads = [threading.Thread(target=reader) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(calls) == 1
    assert [r.data for r in results] == [1] * 12
    assert sum(r.provenance.cached for r in results) == 11  # all but the one that read


def test_cache002_hit_near_expiry_refreshes_in_the_background_once(cache, monkeypatch):
    # cachelib keeps whole-second expiry times: renew early enough to stay clear of them
    monkeypatch.setattr(read_cache, "REFRESH_AHEAD_FRACTION", 0.25)
    produced = []

    def produce():
        produced.append(time.monotonic())
        return answer(len(produced))

    assert cache.read("crews", produce, lambda r: 4).data == 1
    time.sleep(4 * read_cache.REFRESH_AHEAD_FRACTION + 0.2)
    # past the refresh point of the TTL: answered at once from the entry, renewed behind it
    hits = [cache.read("crews", produce, lambda r: 4) for _ in range(5)]
    assert hits[0].data == 1 and all(h.provenance.cached for h in hits)
    deadline = time.monotonic() + 5
    while len(produced) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(produced) == 2  # one refresh, not one per hit
    assert cache.read("crews", produce, lambda r: 4).data == 2


def test_cache003_nothing_is_served_past_its_ttl(cache):
    values = iter(range(1, 10))
    assert cache.read("outages", lambda: answer(next(values)), lambda r: 1).data == 1
    time.sleep(1.3)  # no reader came by to renew it
    fresh = cache.read("outages", lambda: answer(next(values)), lambda r: 1)
    assert fresh.data == 2 and not fresh.provenance.cached


def test_cache004_a_failed_read_lets_the_followers_read_for_themselves(cache, monkeypatch):
    monkeypatch.setattr(read_cache, "FOLLOW_WAIT_S", 5.0)
    started = threading.Event()

    def failing():
        started.set()
        time.sleep(0.2)
        raise RuntimeError("warehouse gone")

    errors = []

    def leader():
        try:
            cache.read("weather", failing, lambda r: 300)
        except RuntimeError as exc:
            errors.append(exc)

    t = threading.Thread(target=leader)
    t.start()
    started.wait(5)
    t0 = time.monotonic()
    follower = cache.read("weather", lambda: answer("ok"), lambda r: 300)
    t.join(5)
    assert follower.data == "ok" and not follower.provenance.cached
    assert time.monotonic() - t0 < 2.0  # it stopped following when the claim went away
    assert len(errors) == 1
