-- Customer search's trigram tier (data/queries/postgres/customer_search.sql) asks for the
-- customers whose name or address holds something like one misspelt word. Planned inline, the
-- word is a parameter the trigram index's cost estimate cannot see, and at small tables the
-- planner scans every row and computes word similarity on each instead (~10 us a row: seconds
-- at 600,000 customers). Here the scan is planned on its own, with the sequential scan off, and
-- stops at ``max_rows`` (a word like a common one, "meadows", matches tens of thousands).
CREATE OR REPLACE FUNCTION flux.customers_like_word(word text, max_rows integer)
RETURNS TABLE (customer_id text, full_name text, service_address text)
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_seqscan = off
SET search_path = pg_catalog, public
AS $$
    SELECT c.customer_id, c.full_name, c.service_address FROM flux.customers c
    WHERE word <% c.full_name OR word <% c.service_address
    LIMIT max_rows
$$;
GRANT EXECUTE ON FUNCTION flux.customers_like_word(text, integer) TO flux_app;
