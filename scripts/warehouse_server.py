"""Run the local warehouse stand-in: fakesnow's Snowflake-compatible HTTP server, persistent.

fakesnow 0.12's CLI ignores ``-d`` in server mode (its server keeps one in-memory instance), so
this launcher gives that server instance a database directory and then serves it unchanged.
Clients reach it only through snowflake-connector-python with host/port/protocol settings.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", required=True, type=Path, help="database directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    import fakesnow.server
    import uvicorn
    from fakesnow.instance import FakeSnow

    fakesnow.server.shared_fs = FakeSnow(db_path=args.dir)
    logging.getLogger("fakesnow").setLevel(logging.WARNING)
    uvicorn.run(fakesnow.server.app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
