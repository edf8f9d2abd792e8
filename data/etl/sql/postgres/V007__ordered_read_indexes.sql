-- Reads that return whole tables in id order (byte order, COLLATE "C", as the warehouse sorts)
-- walk these indexes instead of sorting. All 66K feeder segments (feeders_simplified.sql,
-- feeders_full.sql): the query went from ~94 to ~46 ms at seed scale, of a build budget of
-- 150 ms. All 1,456 circuits (circuit_metadata.sql, feeders_overview.sql): ~0.3 ms.
-- The primary keys use the database's collation, which the planner does not match to "C".
CREATE INDEX IF NOT EXISTS feeder_segments_id_c_idx ON flux.feeder_segments (segment_id COLLATE "C");
CREATE INDEX IF NOT EXISTS circuits_id_c_idx ON flux.circuits (circuit_id COLLATE "C");
