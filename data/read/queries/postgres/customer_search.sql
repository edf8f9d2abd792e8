-- Customer search, for the REST API and the local agent's search tool (the Cortex Search
-- stand-in). Tiers, each run only when the ones before found nothing:
--   exact       the account or meter id (btree), or every word in the full text (GIN);
--   respelt     each word no customer uses is replaced by the known words it may be a slip for
--               (flux.customer_search_terms: two letters swapped, else the 8 nearest by trigram
--               distance), then the full text again; a few ms for a misspelt name or address;
--   renumbered  the same without the numbers, for a mistyped house number or zip;
--   trigram     similarity of name or address to the whole query (GIN trigram), among at most
--               500 customers a word of 3+ letters that no customer uses is like; the last resort.
-- One OR over every branch makes the planner scan the table and compute trigrams for every row.
WITH exact AS (
    SELECT customer_id FROM flux.customers WHERE customer_id = upper(%(q)s)
    UNION
    SELECT customer_id FROM flux.customers WHERE primary_meter_id = upper(%(q)s)
    UNION
    -- bounded here: "houston" matches half the customers
    (SELECT customer_id FROM flux.customers WHERE search_text @@ plainto_tsquery('simple', %(q)s) LIMIT 500)
),
words AS (
    SELECT lexeme, EXISTS (SELECT 1 FROM flux.customer_search_terms t WHERE t.term = lexeme) AS known
    FROM unnest(to_tsvector('simple', %(q)s))
    WHERE NOT EXISTS (SELECT 1 FROM exact)
),
swapped AS (
    SELECT w.lexeme, t.term
    FROM words w
    CROSS JOIN generate_series(1, length(w.lexeme) - 1) i
    JOIN flux.customer_search_terms t
      ON t.term = overlay(w.lexeme placing substr(w.lexeme, i + 1, 1) || substr(w.lexeme, i, 1) from i for 2)
    WHERE NOT w.known
),
nearest AS (
    SELECT w.lexeme, n.term
    FROM words w
    CROSS JOIN LATERAL (SELECT term FROM flux.customer_search_terms ORDER BY term <-> w.lexeme LIMIT 8) n
    WHERE NOT w.known AND w.lexeme !~ '^[0-9]+$'
      AND NOT EXISTS (SELECT 1 FROM swapped s WHERE s.lexeme = w.lexeme)
      AND similarity(n.term, w.lexeme) >= 0.15  -- below that the nearest words are noise
),
-- A number is not in the dictionary and stands for itself; an unknown word with no
-- replacement is dropped.
spellings AS (
    SELECT lexeme, lexeme AS term FROM words WHERE known OR lexeme ~ '^[0-9]+$'
    UNION SELECT lexeme, term FROM swapped
    UNION SELECT lexeme, term FROM nearest
),
-- (a | b) & (c) & ...; only plain words are quoted into the tsquery text.
fixed AS (
    SELECT to_tsquery('simple', string_agg(any_of, ' & ')) AS every_word,
           CASE WHEN bool_or(number) THEN to_tsquery('simple', string_agg(any_of, ' & ') FILTER (WHERE NOT number))
           END AS no_numbers
    FROM (SELECT lexeme ~ '^[0-9]+$' AS number, '(' || string_agg('''' || term || '''', ' | ') || ')' AS any_of
          FROM spellings WHERE term ~ '^[[:alnum:]]+$' GROUP BY lexeme) s
),
-- Kept to what the trigram tier would accept (similarity to name or address), so a replaced
-- word never brings in rows unlike the query; the inner LIMIT keeps that check off the trigram index.
respelt AS (
    SELECT customer_id FROM (
        SELECT customer_id, full_name, service_address FROM flux.customers
        WHERE search_text @@ (SELECT every_word FROM fixed) LIMIT 500
    ) c
    WHERE full_name %% %(q)s OR service_address %% %(q)s
),
renumbered AS (
    SELECT customer_id FROM (
        SELECT customer_id, full_name, service_address FROM flux.customers
        WHERE NOT EXISTS (SELECT 1 FROM respelt) AND search_text @@ (SELECT no_numbers FROM fixed) LIMIT 500
    ) c
    WHERE full_name %% %(q)s OR service_address %% %(q)s
),
-- The words to correct: of 3+ characters, with a letter, that no customer uses; the three
-- longest (the most selective). Shorter words' trigrams ("  a", " ab") begin half the names and
-- addresses, as do known words' ("  d", " dr").
unknown AS (
    SELECT lexeme FROM words WHERE NOT known AND length(lexeme) >= 3 AND lexeme ~ '[[:alpha:]]'
    ORDER BY length(lexeme) DESC, lexeme LIMIT 3
),
-- The trigram index is asked only for rows holding something like one of those words (word
-- similarity, selective); the whole query is then the filter and the ranking. Asking it for the
-- whole query instead rechecks every row that shares its common trigrams: 2-6 s at seed scale
-- for "-1", "Mr" or "Hustn Dr", to find nothing.
-- MATERIALIZED: left inline, the planner pushes the whole-query filter below into the scan.
like_unknown AS MATERIALIZED (
    SELECT DISTINCT c.customer_id, c.full_name, c.service_address
    FROM unknown u CROSS JOIN LATERAL flux.customers_like_word(u.lexeme, 500) c  -- V010: on the trigram indexes
    WHERE NOT EXISTS (SELECT 1 FROM respelt) AND NOT EXISTS (SELECT 1 FROM renumbered)
),
trigram AS (
    SELECT customer_id FROM like_unknown
    WHERE full_name %% %(q)s OR service_address %% %(q)s
    ORDER BY greatest(similarity(full_name, %(q)s), similarity(service_address, %(q)s)) DESC
    LIMIT 100
),
-- Bounded, so the planner joins back by primary key instead of scanning the whole table.
hits AS (
    SELECT customer_id FROM (SELECT customer_id FROM exact LIMIT 500) e
    UNION SELECT customer_id FROM respelt
    UNION SELECT customer_id FROM renumbered
    UNION SELECT customer_id FROM trigram
)
SELECT c.customer_id, c.full_name, c.segment, c.primary_meter_id, c.transformer_id, c.circuit_id,
       c.substation_id, c.service_address, c.city, c.zip_code, c.county, c.account_status, c.latitude, c.longitude,
       (SELECT max(synced_at) FROM flux.cache_freshness WHERE table_name = 'customers') AS _freshness
FROM hits JOIN flux.customers c USING (customer_id)
ORDER BY (c.customer_id = upper(%(q)s) OR c.primary_meter_id = upper(%(q)s)) DESC,
         greatest(similarity(c.full_name, %(q)s), similarity(c.service_address, %(q)s)) DESC,
         c.customer_id COLLATE "C"
LIMIT %(limit)s
