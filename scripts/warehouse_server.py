"""Run the local warehouse stand-in: fakesnow's Snowflake-compatible HTTP server, persistent.

fakesnow 0.12's CLI ignores ``-d`` in server mode (its server keeps one in-memory instance), so
this launcher gives that server instance a database directory and then serves it unchanged.
Clients reach it only through snowflake-connector-python with host/port/protocol settings.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, type=Path, help="database directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    # DuckDB caches buffers up to 80% of RAM by default; bound it so the warehouse stand-in
    # shares the machine with Postgres, the app and the browser.
    parser.add_argument("--memory-limit", default=os.environ.get("FLUX_WAREHOUSE_MEMORY_LIMIT", "6GB"))
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    import fakesnow.server
    import uvicorn
    from fakesnow.instance import FakeSnow

    instance = FakeSnow(db_path=args.dir)
    instance.duck_conn.execute("SET memory_limit = ?", [args.memory_limit])
    instance.duck_conn.execute("SET temp_directory = ?", [str(args.dir / ".spill")])
    fakesnow.server.shared_fs = instance
    logging.getLogger("fakesnow").setLevel(logging.WARNING)
    uvicorn.run(fakesnow.server.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
