"""python -m data.etl.live: run the live grid feed (see data/etl/live/__init__.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from data.etl.live.feed import Feed
from data.etl.live.sim import SimConfig
from data.logs import setup_json_logging
from settings import Settings


def main(argv: list[str] | None = None) -> int:
    settings = Settings()
    p = argparse.ArgumentParser(prog="python -m data.etl.live", description="Run the live grid feed.")
    p.add_argument("--scenario", choices=["calm", "storm"], default=settings.live_scenario)
    p.add_argument("--meters", type=int, default=settings.live_meters,
                   help="meters to simulate (default: the loaded network's; more adds synthetic meters)")
    p.add_argument("--speed", type=float, default=settings.live_speed, help="simulated seconds per wall second")
    p.add_argument("--seed", type=int, default=settings.data_seed)
    p.add_argument("--duration", type=float, default=None, help="stop after this many wall seconds")
    p.add_argument("--outage-rate", type=float, default=settings.live_outage_rate_per_hour,
                   help="outages per simulated hour across the territory in calm weather")
    p.add_argument("--summary", type=Path, default=None, help="write the source counts here as JSON at exit")
    args = p.parse_args(argv)
    if args.speed <= 0 or (args.meters is not None and args.meters < 1):
        p.error("--speed and --meters must be positive")
    setup_json_logging(settings.log_level)
    cfg = SimConfig(seed=args.seed, scenario=args.scenario, outage_rate_per_hour=args.outage_rate,
                    late_share=settings.live_late_share, duplicate_share=settings.live_duplicate_share)
    feed = Feed(settings, cfg, speed=args.speed, meters=args.meters, duration_s=args.duration,
                summary_path=args.summary)
    feed.install_signals()
    feed.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
