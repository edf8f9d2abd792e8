-- Customer search: every word of the customers' names, addresses and cities, with how many
-- customers use it (about 500 words at seed scale). The search corrects a misspelt word against
-- these few words, then looks the corrected words up in the full-text index of flux.customers;
-- a trigram match over the customers themselves rechecks thousands of rows for a common name.
-- Numbers (house numbers, zips) are left out: a mistyped number is not corrected into another
-- house's. Idempotent.

CREATE TABLE IF NOT EXISTS flux.customer_search_terms (
    term                 text PRIMARY KEY,
    customers            integer NOT NULL
);
-- GiST, not GIN: the search takes the nearest few words by trigram distance (term <-> word).
CREATE INDEX IF NOT EXISTS customer_search_terms_trgm ON flux.customer_search_terms USING gist (term gist_trgm_ops);
GRANT SELECT ON flux.customer_search_terms TO flux_app;

-- The parser of flux.customers.search_text, so every term is a lexeme its full-text index
-- knows. Ids are left out too: the search finds them exactly, never by spelling.
CREATE OR REPLACE FUNCTION flux.customer_search_words(full_name text, service_address text, city text, zip_code text)
RETURNS SETOF text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lexeme FROM unnest(to_tsvector('simple', full_name || ' ' || service_address || ' ' || city || ' ' || zip_code))
    WHERE ltrim(lexeme, '0123456789') <> ''
$$;

-- Kept current by statement triggers, whoever writes flux.customers (the sync upserts and
-- deletes). A first load of 600,000 customers takes about 5 s longer; a routine sync touches
-- only the rows it changes.
CREATE OR REPLACE FUNCTION flux.customer_search_terms_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM flux.customer_search_terms;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO flux.customer_search_terms AS t (term, customers)
        SELECT w, count(*) FROM new_rows r, flux.customer_search_words(r.full_name, r.service_address, r.city, r.zip_code) w
        GROUP BY w
        ON CONFLICT (term) DO UPDATE SET customers = t.customers + EXCLUDED.customers;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only rows whose words changed: a sync that moves updated_at on every row stays cheap.
        WITH changed AS (
            (SELECT customer_id, full_name, service_address, city, zip_code, 1 AS n FROM new_rows
             EXCEPT ALL
             SELECT customer_id, full_name, service_address, city, zip_code, 1 FROM old_rows)
            UNION ALL
            (SELECT customer_id, full_name, service_address, city, zip_code, -1 FROM old_rows
             EXCEPT ALL
             SELECT customer_id, full_name, service_address, city, zip_code, -1 FROM new_rows)
        )
        INSERT INTO flux.customer_search_terms AS t (term, customers)
        SELECT w, sum(r.n)
        FROM changed r, flux.customer_search_words(r.full_name, r.service_address, r.city, r.zip_code) w
        GROUP BY w
        HAVING sum(r.n) <> 0
        ON CONFLICT (term) DO UPDATE SET customers = t.customers + EXCLUDED.customers;
        DELETE FROM flux.customer_search_terms WHERE customers <= 0;
    ELSE
        UPDATE flux.customer_search_terms t SET customers = t.customers - d.n
        FROM (SELECT w, count(*) AS n
              FROM old_rows r, flux.customer_search_words(r.full_name, r.service_address, r.city, r.zip_code) w
              GROUP BY w) d
        WHERE t.term = d.w;
        DELETE FROM flux.customer_search_terms WHERE customers <= 0;
    END IF;
    RETURN NULL;
END
$$;

-- Transition tables allow one event per trigger.
CREATE OR REPLACE TRIGGER customer_search_terms_insert AFTER INSERT ON flux.customers
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flux.customer_search_terms_track();
CREATE OR REPLACE TRIGGER customer_search_terms_update AFTER UPDATE ON flux.customers
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flux.customer_search_terms_track();
CREATE OR REPLACE TRIGGER customer_search_terms_delete AFTER DELETE ON flux.customers
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION flux.customer_search_terms_track();
CREATE OR REPLACE TRIGGER customer_search_terms_truncate AFTER TRUNCATE ON flux.customers
    FOR EACH STATEMENT EXECUTE FUNCTION flux.customer_search_terms_track();

-- Customers already synced. data.schema applies this file in one transaction, so the triggers
-- above hold off writers until it commits. Skipped when there are terms: a second run counts
-- nothing twice.
INSERT INTO flux.customer_search_terms (term, customers)
SELECT w, count(*)
FROM flux.customers c, flux.customer_search_words(c.full_name, c.service_address, c.city, c.zip_code) w
WHERE NOT EXISTS (SELECT 1 FROM flux.customer_search_terms)
GROUP BY w;
