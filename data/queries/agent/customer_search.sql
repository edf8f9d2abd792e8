-- Local agent customer search (the Cortex Search stand-in). Exact account or meter id and full
-- text first (btree and GIN indexes); trigram similarity on name and address (GIN trigram) only
-- when those find nothing, e.g. for a misspelt name. One OR over every branch makes the planner
-- scan the table and compute trigrams for every row.
WITH exact AS (
    SELECT customer_id FROM flux.customers WHERE customer_id = upper(%(q)s)
    UNION
    SELECT customer_id FROM flux.customers WHERE primary_meter_id = upper(%(q)s)
    UNION
    SELECT customer_id FROM flux.customers WHERE search_text @@ plainto_tsquery('simple', %(q)s)
),
fuzzy AS (
    SELECT customer_id FROM flux.customers
    WHERE NOT EXISTS (SELECT 1 FROM exact) AND (full_name %% %(q)s OR service_address %% %(q)s)
    LIMIT 500
),
-- Bounded, so the planner joins back by primary key instead of scanning the whole table.
hits AS (SELECT customer_id FROM (SELECT customer_id FROM exact LIMIT 500) e UNION SELECT customer_id FROM fuzzy)
SELECT c.customer_id, c.full_name, c.primary_meter_id, c.service_address, c.city, c.segment,
       c.transformer_id, c.circuit_id,
       round(greatest(similarity(c.full_name, %(q)s), similarity(c.service_address, %(q)s))::numeric, 3) AS score
FROM hits JOIN flux.customers c USING (customer_id)
ORDER BY (c.customer_id = upper(%(q)s) OR c.primary_meter_id = upper(%(q)s)) DESC,
         score DESC, c.customer_id
LIMIT %(limit)s
