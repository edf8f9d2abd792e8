"""The live grid feed: a simulator over the network loaded in the warehouse, and its ingestion.

    python -m data.etl.live [--scenario calm|storm] [--meters N] [--speed K] [--seed N] [--duration S]

- ``network``: the meters, transformers, feeder segments, circuits and crews, read from the warehouse.
- ``model``: the pure physics: load shape, readings, weather, ERCOT prices, the storm track.
- ``outages``: the outage lifecycle and crew movement (a pure state machine).
- ``sim``: the simulator, which turns a span of simulated time into rows per table.
- ``delivery``: micro-batches, the bounded buffer and its on-disk spill queue.
- ``writers``: how a batch is written (staged Parquet PUT + COPY, or one bound JSON array).
- ``feed``: the process: clock, loader thread, heartbeat, SIGTERM.
"""
