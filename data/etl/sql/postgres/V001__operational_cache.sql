-- Operational cache (PostgreSQL 15 + PostGIS 3). SRID 4326 everywhere.
-- The warehouse is the source of truth; data.sync fills these tables. Idempotent.

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE SCHEMA IF NOT EXISTS flux;

-- Substations ------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS flux.substations (
    substation_id        text PRIMARY KEY,
    substation_name      text NOT NULL,
    latitude             double precision NOT NULL,
    longitude            double precision NOT NULL,
    geom                 geometry(Point, 4326) NOT NULL,
    capacity_mva         double precision NOT NULL,
    voltage_level        text NOT NULL,          -- e.g. '138/12.47 kV'
    high_side_kv         double precision NOT NULL,
    low_side_kv          double precision NOT NULL,
    commissioned_date    date,
    operational_status   text NOT NULL,          -- operational | maintenance | offline
    city                 text,
    county               text,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS substations_geom_gist ON flux.substations USING gist (geom);

-- Circuits (feeders leaving a substation) ---------------------------------------------------
CREATE TABLE IF NOT EXISTS flux.circuits (
    circuit_id           text PRIMARY KEY,
    circuit_name         text NOT NULL,
    substation_id        text NOT NULL,
    voltage_level_kv     double precision NOT NULL,
    rated_mva            double precision NOT NULL,
    segment_count        integer NOT NULL,
    transformer_count    integer NOT NULL,
    meter_count          integer NOT NULL,
    customer_count       integer NOT NULL,
    center_lat           double precision NOT NULL,
    center_lon           double precision NOT NULL,
    min_lat              double precision NOT NULL,
    min_lon              double precision NOT NULL,
    max_lat              double precision NOT NULL,
    max_lon              double precision NOT NULL,
    -- whole-circuit path, simplified: what the overview zoom draws (one path per circuit)
    geom_overview        geometry(LineString, 4326),
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS circuits_substation_idx ON flux.circuits (substation_id);
CREATE INDEX IF NOT EXISTS circuits_overview_gist ON flux.circuits USING gist (geom_overview);

-- Feeder topology: radial segments, each with its upstream parent --------------------------
CREATE TABLE IF NOT EXISTS flux.feeder_segments (
    segment_id           text PRIMARY KEY,
    circuit_id           text NOT NULL,
    substation_id        text NOT NULL,
    upstream_segment_id  text,                   -- NULL: the circuit's head, fed by the substation
    seq                  integer NOT NULL,       -- position along the circuit from the head
    from_node            text NOT NULL,
    to_node              text NOT NULL,
    voltage_kv           double precision NOT NULL,
    rated_amps           double precision NOT NULL,
    conductor            text NOT NULL,
    length_m             double precision NOT NULL,
    load_percent         double precision NOT NULL DEFAULT 0,
    geom                 geometry(LineString, 4326) NOT NULL,
    geom_simplified      geometry(LineString, 4326) NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS feeder_segments_geom_gist ON flux.feeder_segments USING gist (geom);
CREATE INDEX IF NOT EXISTS feeder_segments_circuit_idx ON flux.feeder_segments (circuit_id, seq);
CREATE INDEX IF NOT EXISTS feeder_segments_upstream_idx ON flux.feeder_segments (upstream_segment_id);
CREATE INDEX IF NOT EXISTS feeder_segments_substation_idx ON flux.feeder_segments (substation_id);

-- Grid assets (points): substations, transformers, poles ----------------------------------
CREATE TABLE IF NOT EXISTS flux.grid_assets (
    asset_id             text PRIMARY KEY,
    asset_name           text NOT NULL,
    asset_type           text NOT NULL,          -- substation | transformer | pole
    latitude             double precision NOT NULL,
    longitude            double precision NOT NULL,
    geom                 geometry(Point, 4326) NOT NULL,
    load_percent         double precision,
    health_score         double precision,
    status               text NOT NULL,
    voltage              double precision,       -- kV
    capacity             double precision,       -- kVA (transformers), MVA*1000 (substations)
    circuit_id           text,
    segment_id           text,
    substation_id        text,
    city                 text,
    zip_code             text,
    connected_customers  integer NOT NULL DEFAULT 0,
    install_year         integer,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS grid_assets_geom_gist ON flux.grid_assets USING gist (geom);
CREATE INDEX IF NOT EXISTS grid_assets_circuit_idx ON flux.grid_assets (circuit_id, asset_type);
CREATE INDEX IF NOT EXISTS grid_assets_segment_idx ON flux.grid_assets (segment_id);
CREATE INDEX IF NOT EXISTS grid_assets_type_idx ON flux.grid_assets (asset_type);

-- Circuit status (real time) ---------------------------------------------------------------
CREATE TABLE IF NOT EXISTS flux.circuit_status_realtime (
    circuit_id           text PRIMARY KEY,
    substation_id        text NOT NULL,
    load_percent         double precision NOT NULL,
    load_mw              double precision NOT NULL,
    health_score         double precision NOT NULL,
    customers_served     integer NOT NULL,
    customers_out        integer NOT NULL DEFAULT 0,
    status               text NOT NULL,          -- normal | warning | critical | outage
    last_updated         timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS circuit_status_substation_idx ON flux.circuit_status_realtime (substation_id);

-- Customers (for search, outage impact and network trace) ------------------------------------
CREATE TABLE IF NOT EXISTS flux.customers (
    customer_id          text PRIMARY KEY,
    full_name            text NOT NULL,
    segment              text NOT NULL,          -- residential | commercial | industrial
    primary_meter_id     text NOT NULL,
    transformer_id       text NOT NULL,
    circuit_id           text NOT NULL,
    substation_id        text NOT NULL,
    service_address      text NOT NULL,
    city                 text NOT NULL,
    zip_code             text NOT NULL,
    county               text NOT NULL,
    account_status       text NOT NULL,
    latitude             double precision NOT NULL,
    longitude            double precision NOT NULL,
    search_text          tsvector GENERATED ALWAYS AS (
        to_tsvector('simple',
            customer_id || ' ' || full_name || ' ' || primary_meter_id || ' ' || service_address || ' ' || city || ' ' || zip_code)
    ) STORED,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX IF NOT EXISTS customers_meter_idx ON flux.customers (primary_meter_id);
CREATE INDEX IF NOT EXISTS customers_transformer_idx ON flux.customers (transformer_id);
CREATE INDEX IF NOT EXISTS customers_circuit_idx ON flux.customers (circuit_id);
CREATE INDEX IF NOT EXISTS customers_search_gin ON flux.customers USING gin (search_text);
CREATE INDEX IF NOT EXISTS customers_name_trgm ON flux.customers USING gin (full_name gin_trgm_ops);
CREATE INDEX IF NOT EXISTS customers_address_trgm ON flux.customers USING gin (service_address gin_trgm_ops);

-- AMI hot window: the last 15-minute reading per meter ---------------------------------------
CREATE TABLE IF NOT EXISTS flux.ami_realtime (
    meter_id             text PRIMARY KEY,
    transformer_id       text NOT NULL,
    circuit_id           text NOT NULL,
    reading_time         timestamptz NOT NULL,
    usage_kwh            double precision NOT NULL,
    voltage              double precision NOT NULL,
    power_factor         double precision NOT NULL
);
CREATE INDEX IF NOT EXISTS ami_realtime_transformer_idx ON flux.ami_realtime (transformer_id);
CREATE INDEX IF NOT EXISTS ami_realtime_circuit_idx ON flux.ami_realtime (circuit_id);

-- Active outages ---------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS flux.outages_active (
    outage_id                   text PRIMARY KEY,
    start_time                  timestamptz NOT NULL,
    cause                       text NOT NULL,
    severity                    text NOT NULL,   -- low | medium | high | critical
    priority                    text NOT NULL,   -- low | medium | high | critical
    restoration_status          text NOT NULL,   -- reported | dispatched | en_route | on_site | restoring
    affected_customers_count    integer NOT NULL,
    latitude                    double precision NOT NULL,
    longitude                   double precision NOT NULL,
    geom                        geometry(Point, 4326) NOT NULL,
    transformer_id              text,
    affected_transformers       integer NOT NULL,
    estimated_restoration_time  timestamptz,
    assigned_crew_count         integer NOT NULL,
    circuit_id                  text NOT NULL,
    substation_id               text NOT NULL,
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outages_active_geom_gist ON flux.outages_active USING gist (geom);
CREATE INDEX IF NOT EXISTS outages_active_circuit_idx ON flux.outages_active (circuit_id);
CREATE INDEX IF NOT EXISTS outages_active_status_idx ON flux.outages_active (restoration_status, priority);

-- Crews ----------------------------------------------------------------------------------------
CREATE TABLE IF NOT EXISTS flux.crews (
    crew_id              text PRIMARY KEY,
    crew_name            text NOT NULL,
    crew_type            text NOT NULL,          -- line | vegetation | substation | troubleshooter
    status               text NOT NULL,          -- available | dispatched | on_site | off_shift
    latitude             double precision NOT NULL,
    longitude            double precision NOT NULL,
    geom                 geometry(Point, 4326) NOT NULL,
    work_order_id        text,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Active work orders (never completed or cancelled ones) -------------------------------------------
CREATE TABLE IF NOT EXISTS flux.work_orders_active (
    work_order_id        text PRIMARY KEY,
    asset_id             text,
    asset_type           text,
    substation_id        text NOT NULL,
    circuit_id           text,
    outage_id            text,
    work_type            text NOT NULL,          -- repair | inspection | maintenance | vegetation | replacement | outage_restoration
    priority             text NOT NULL,          -- critical | high | medium | low
    status               text NOT NULL,          -- open | assigned | in_progress | on_hold
    assigned_crew        text,
    created_date         timestamptz NOT NULL,
    scheduled_date       timestamptz,
    due_date             timestamptz,
    estimated_cost       double precision NOT NULL,
    labor_hours          double precision NOT NULL,
    latitude             double precision NOT NULL,
    longitude            double precision NOT NULL,
    geom                 geometry(Point, 4326) NOT NULL,
    description          text,
    updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS work_orders_active_filter_idx ON flux.work_orders_active (status, priority);
CREATE INDEX IF NOT EXISTS work_orders_active_substation_idx ON flux.work_orders_active (substation_id);
CREATE INDEX IF NOT EXISTS work_orders_active_crew_idx ON flux.work_orders_active (assigned_crew);
CREATE INDEX IF NOT EXISTS work_orders_active_geom_gist ON flux.work_orders_active USING gist (geom);

-- Freshness: one row per cache table, written by each sync in the same transaction -----------------
CREATE TABLE IF NOT EXISTS flux.cache_freshness (
    table_name           text PRIMARY KEY,
    row_count            bigint NOT NULL,
    checksum             text,
    source_max_updated   timestamptz,
    synced_at            timestamptz NOT NULL,
    duration_ms          double precision NOT NULL
);
