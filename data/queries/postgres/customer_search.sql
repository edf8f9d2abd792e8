-- Exact ids first, then full-text matches, then trigram similarity on name and address.
SELECT customer_id, full_name, segment, primary_meter_id, transformer_id, circuit_id,
       substation_id, service_address, city, zip_code, county, account_status, latitude, longitude,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'customers') AS _freshness
FROM flux.customers
WHERE customer_id = upper(%(q)s)
   OR primary_meter_id = upper(%(q)s)
   OR search_text @@ plainto_tsquery('simple', %(q)s)
   OR full_name %% %(q)s
   OR service_address %% %(q)s
ORDER BY (customer_id = upper(%(q)s) OR primary_meter_id = upper(%(q)s)) DESC,
         greatest(similarity(full_name, %(q)s), similarity(service_address, %(q)s)) DESC,
         customer_id COLLATE "C"
LIMIT %(limit)s
