-- 05: egress for the Postgres host and the Carto basemap tiles. Run as FLUX_DEPLOYER, after 04
-- (the Postgres integration names the secrets). Rendered by spcs/render.py (the Postgres host).
USE ROLE FLUX_DEPLOYER;
USE SCHEMA FLUX.APP;

-- IF NOT EXISTS + ALTER (not OR REPLACE): a replaced rule or integration would drop its grants
-- and detach it from the running service.
CREATE NETWORK RULE IF NOT EXISTS FLUX.APP.FLUX_PG_EGRESS
    TYPE = HOST_PORT
    MODE = EGRESS
    VALUE_LIST = ('<% pg_host %>:<% pg_port %>')
    COMMENT = 'Flux Postgres operational cache';
ALTER NETWORK RULE FLUX.APP.FLUX_PG_EGRESS SET VALUE_LIST = ('<% pg_host %>:<% pg_port %>');

-- Carto basemap style and tiles. Browsers load tiles straight from Carto; this rule lets the
-- service itself reach them (style prefetch, or a tile proxy when browsers cannot).
CREATE NETWORK RULE IF NOT EXISTS FLUX.APP.FLUX_TILES_EGRESS
    TYPE = HOST_PORT
    MODE = EGRESS
    VALUE_LIST = (
        'basemaps.cartocdn.com:443',
        'tiles.basemaps.cartocdn.com:443',
        'a.basemaps.cartocdn.com:443',
        'b.basemaps.cartocdn.com:443',
        'c.basemaps.cartocdn.com:443',
        'd.basemaps.cartocdn.com:443'
    )
    COMMENT = 'Carto basemap tiles';

CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS FLUX_PG_EAI
    ALLOWED_NETWORK_RULES = (FLUX.APP.FLUX_PG_EGRESS)
    ALLOWED_AUTHENTICATION_SECRETS = (FLUX.APP.FLUX_PG_APP_SECRET, FLUX.APP.FLUX_PG_SYNC_SECRET)
    ENABLED = TRUE
    COMMENT = 'Flux: Postgres operational cache';
ALTER EXTERNAL ACCESS INTEGRATION FLUX_PG_EAI SET
    ALLOWED_NETWORK_RULES = (FLUX.APP.FLUX_PG_EGRESS)
    ALLOWED_AUTHENTICATION_SECRETS = (FLUX.APP.FLUX_PG_APP_SECRET, FLUX.APP.FLUX_PG_SYNC_SECRET)
    ENABLED = TRUE;

CREATE EXTERNAL ACCESS INTEGRATION IF NOT EXISTS FLUX_TILES_EAI
    ALLOWED_NETWORK_RULES = (FLUX.APP.FLUX_TILES_EGRESS)
    ENABLED = TRUE
    COMMENT = 'Flux: Carto basemap tiles';

GRANT USAGE ON INTEGRATION FLUX_PG_EAI TO ROLE FLUX_SERVICE;
GRANT USAGE ON INTEGRATION FLUX_TILES_EAI TO ROLE FLUX_SERVICE;
GRANT USAGE ON INTEGRATION FLUX_PG_EAI TO ROLE FLUX_SYNC;
