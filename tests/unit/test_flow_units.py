"""The pure parts of the continuous pipeline and the incremental sync (no service)."""

from __future__ import annotations

import json
import os
import time

from settings import Settings


def test_flowu001_live_reads_ttl_capped_others_untouched():
    from data.read.repository import LIVE_READS, TTL, ttl_table

    capped = ttl_table(2.0)
    for read, ttl in TTL.items():
        assert capped[read] == (min(ttl, 2.0) if read in LIVE_READS else ttl), read
    assert capped["active_outages"] == 2.0 and capped["weather"] == TTL["weather"]
    assert ttl_table(None) == TTL


def test_flowu002_heartbeat_describes_running_stalled_and_stopped(tmp_path):
    from data.etl import heartbeat

    settings = Settings(heartbeat_dir=tmp_path)
    assert "not started" in heartbeat.describe(settings, "pipeline")

    heartbeat.write(settings, "pipeline", lag_s=4.25, cycle_s=1.5)
    line = heartbeat.describe(settings, "pipeline")
    assert line.startswith("running") and "lag 4.2 s" in line

    beat = json.loads(heartbeat.path_for(settings, "pipeline").read_text())
    beat["at"] = time.time() - 300
    heartbeat.path_for(settings, "pipeline").write_text(json.dumps(beat))
    assert heartbeat.describe(settings, "pipeline").startswith("STALLED")

    beat["pid"] = 2**22 + 12345  # above pid_max: no such process
    heartbeat.path_for(settings, "pipeline").write_text(json.dumps(beat))
    assert heartbeat.describe(settings, "pipeline").startswith("stopped")
    # the write is atomic: no temporary file is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipeline.json"]
    assert os.getpid() != beat["pid"]


def test_flowu003_incremental_upsert_never_replaces_a_newer_version():
    from data.etl.sync_live import LIVE_TABLES, _delete_sql, _upsert_sql

    for live in LIVE_TABLES.values():
        text = _upsert_sql(live).as_string(None)
        assert f't."{live.guard}" <= EXCLUDED."{live.guard}"' in text
        assert "WHERE NOT s.gone" in text
        assert "s.gone" in _delete_sql(live.spec).as_string(None)


def test_flowu004_every_live_table_has_its_changes_and_mark_sql():
    from data.etl.sync_live import LIVE_TABLES, SQL_DIR

    for name, live in LIVE_TABLES.items():
        changes = (SQL_DIR / f"{name}.sql").read_text()
        assert "%(since)s" in changes and (SQL_DIR / f"{name}_mark.sql").exists()
        assert ("%(upto)s" in changes) == live.bounded_by_pipeline


def test_flowu005_the_two_sync_loops_cover_every_table_once():
    from data.etl.sync_live import LIVE_TABLES, METER_POWER, METERS, OPERATIONAL

    assert sorted(OPERATIONAL + METERS) == sorted([*LIVE_TABLES, METER_POWER])
    assert "outages_active" in OPERATIONAL and "ami_realtime" in METERS


def test_flowu006_unwritable_heartbeat_dir_costs_only_the_heartbeat(tmp_path):
    from data.etl import heartbeat

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    settings = Settings(heartbeat_dir=blocker / "run")
    heartbeat.write(settings, "pipeline", lag_s=1.0)  # no exception
    assert heartbeat.read(settings, "pipeline") is None
