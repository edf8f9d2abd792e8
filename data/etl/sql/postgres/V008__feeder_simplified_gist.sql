-- The mid-zoom feeder layer filters on the simplified paths (feeders_simplified.sql with a
-- viewport), which had no index: every such read scanned all 66K segments. A zoom-12 viewport at
-- seed scale: 56 -> 2.7 ms.
CREATE INDEX IF NOT EXISTS feeder_segments_simplified_gist ON flux.feeder_segments USING gist (geom_simplified);
