SELECT 1 AS ok,
       (SELECT max(synced_at) FROM flux.cache_freshness) AS _freshness
