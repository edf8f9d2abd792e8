-- Per-circuit metadata, each row as the API sends it (api_json, V005).
SELECT api_json,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'circuits') AS _freshness
FROM flux.circuits
WHERE (%(substation_id)s::text IS NULL OR substation_id = %(substation_id)s::text)
  AND (%(circuit_id)s::text IS NULL OR circuit_id = %(circuit_id)s::text)
ORDER BY circuit_id COLLATE "C"
