"""The one typed settings object. Read from the environment (prefix FLUX_) and the SNOWFLAKE_*
names that Snowpark Container Services injects. Defaults point at the embedded local stack."""

from __future__ import annotations

import ipaddress
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent

PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        "changeme",
        "change-me",
        "change_me",
        "password",
        "passwd",
        "secret",
        "placeholder",
        "xxx",
        "xxxx",
        "todo",
        "your_password",
        "your-password",
        "<password>",
        "<secret>",
        "abc123",
        "admin",
        "postgres",
        "snowflake",
        "test",
    }
)

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]{0,254}$"

Authenticator = Literal["password", "oauth", "programmatic_access_token", "keypair"]


def _sf(name: str, default=None, **kw):
    """A warehouse field readable as FLUX_SNOWFLAKE_<NAME> or the SPCS-injected SNOWFLAKE_<NAME>."""
    return Field(
        default,
        validation_alias=AliasChoices(f"FLUX_SNOWFLAKE_{name}", f"SNOWFLAKE_{name}"),
        **kw,
    )


def is_loopback(host: str | None) -> bool:
    if not host:
        return True
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_placeholder(secret: SecretStr | str | None) -> bool:
    if secret is None:
        return True
    value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
    value = value.strip()
    return value.lower() in PLACEHOLDER_SECRETS or (value.startswith("<") and value.endswith(">"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FLUX_",
        env_file=".env",
        extra="ignore",
        populate_by_name=True,
        # Validation errors must not echo raw inputs: they include passwords and DSNs.
        hide_input_in_errors=True,
    )

    # --- Embedded local stack -------------------------------------------------------------
    # False in the container: then the Postgres DSN and the Snowflake account must be given.
    embedded: bool = True
    stack_dir: Path = ROOT / ".stack"
    local_pg_port: int = 15432
    local_warehouse_port: int = 18765

    # --- Postgres: the operational cache ---------------------------------------------------
    # The app connects with a read-only role; loaders and the sync use the admin DSN.
    pg_dsn: SecretStr | None = None
    pg_admin_dsn: SecretStr | None = None
    # Password injected separately (an SPCS snowflakeSecret), merged into the DSN.
    pg_password: SecretStr | None = None
    pg_database: str = "flux"
    pg_app_user: str = "flux_app"
    pg_pool_min: int = Field(1, ge=0)
    pg_pool_max: int = Field(20, ge=1)
    # How long a request waits for a pooled connection before falling back (seconds). A dead
    # Postgres is first noticed after this wait, so it bounds detection; the breaker then skips it.
    pg_pool_timeout_s: float = Field(0.5, gt=0, le=30)
    # libpq enforces a 2 s minimum on connect_timeout; the pool timeout above bounds requests.
    pg_connect_timeout_s: int = Field(2, ge=1, le=30)
    pg_statement_timeout_ms: int = Field(1500, ge=10)
    pg_sslmode: str | None = None

    # --- Snowflake: the analytics warehouse ------------------------------------------------
    snowflake_account: str = _sf("ACCOUNT", "fakesnow")
    snowflake_host: str | None = _sf("HOST", None)
    snowflake_port: int | None = _sf("PORT", None)
    snowflake_protocol: Literal["http", "https"] | None = _sf("PROTOCOL", None)
    snowflake_user: str = _sf("USER", "flux")
    snowflake_authenticator: Authenticator | None = _sf("AUTHENTICATOR", None)
    snowflake_password: SecretStr | None = _sf("PASSWORD", None)
    snowflake_token_file: Path = _sf("TOKEN_FILE", Path("/snowflake/session/token"))
    snowflake_pat: SecretStr | None = _sf("PAT", None)
    snowflake_private_key_file: Path | None = _sf("PRIVATE_KEY_FILE", None)
    snowflake_private_key_passphrase: SecretStr | None = _sf("PRIVATE_KEY_PASSPHRASE", None)
    snowflake_warehouse: str | None = _sf("WAREHOUSE", None)
    # Written into SQL text as identifiers (migrations, the agent): plain identifiers only.
    snowflake_database: str = _sf("DATABASE", "FLUX", pattern=IDENTIFIER)
    snowflake_schema: str = _sf("SCHEMA", "PRODUCTION", pattern=IDENTIFIER)
    snowflake_role: str | None = _sf("ROLE", None)
    warehouse_login_timeout_s: int = Field(5, ge=1)
    warehouse_network_timeout_s: int = Field(30, ge=1)
    warehouse_pool_size: int = Field(4, ge=1)

    # --- Data scale (generator, pipeline, benchmarks) --------------------------------------
    data_scale: Literal["small", "seed", "large"] = "seed"
    data_seed: int = 42
    ami_meters: int | None = None
    ami_days: int | None = None

    # --- Live feed (python -m data.etl.live) ------------------------------------------------
    # scripts/run.sh starts the feed after the first load when on.
    live_feed: bool = True
    live_feed_name: str = Field("live", pattern=r"^[a-z][a-z0-9_-]{0,31}$")
    live_scenario: Literal["calm", "storm"] = "calm"
    live_speed: float = Field(1.0, gt=0, le=10_000)
    live_meters: int | None = Field(None, ge=1)
    # territory-wide outages per simulated hour in calm weather; unset: scaled to the network
    live_outage_rate_per_hour: float | None = Field(None, ge=0)
    live_late_share: float = Field(0.01, ge=0, le=0.5)
    live_duplicate_share: float = Field(0.005, ge=0, le=0.5)
    # a micro-batch is cut at least this often (seconds)
    live_batch_s: float = Field(5.0, gt=0, le=5.0)
    live_tick_s: float = Field(0.25, gt=0, le=5.0)
    live_max_batch_rows: int = Field(200_000, ge=100)
    # a backlog is delivered this many batches per statement (a replay after an outage)
    live_group_batches: int = Field(64, ge=1)
    # readings: staged Parquet (PUT + COPY INTO) or one bound JSON array (bench/bench_live.py)
    live_writer: Literal["stage", "bound"] = "stage"
    # rows held in memory before new batches go to the on-disk spill queue
    live_buffer_rows: int = Field(500_000, ge=1_000)
    live_spill_dir: Path | None = None
    live_flush_timeout_s: float = Field(20.0, gt=0)
    # the loader's warehouse timeout, and how old the oldest queued batch may grow before the
    # queue goes to disk
    live_network_timeout_s: int = Field(15, ge=1)
    live_spill_after_s: float = Field(10.0, gt=0)
    live_heartbeat_s: float = Field(5.0, gt=0)
    live_connect_timeout_s: float = Field(120.0, gt=0)
    # --- Continuous pipeline, incremental sync, retention (data/etl/pipeline.py, sync_live.py) ---
    # The pipeline looks for new bronze this often; a cycle that finds some runs every step.
    pipeline_every_s: float = Field(5.0, gt=0)
    # Bronze is processed in windows of at most this many rows by INGESTION_TIME (a delivery is
    # never split), so a backlog never becomes one giant statement.
    pipeline_window_rows: int = Field(1_000_000, ge=1)
    # The steps after gold (monthly usage, transformer-hourly load) run this often in the loop.
    pipeline_aggregate_every_s: float = Field(60.0, gt=0)
    # The incremental sync of the operational tables runs this often; the full sync
    # (data/etl/sync.py) reconciles every table this often.
    sync_live_every_s: float = Field(2.0, gt=0)
    sync_reconcile_every_s: float = Field(600.0, gt=0)
    # Rows are re-read this far behind the watermark: a writer stamps UPDATED_AT before its
    # commit, so a row may become visible with a stamp older than rows already seen.
    sync_overlap_s: float = Field(10.0, ge=0)
    # Raw bronze readings older than this (by INGESTION_TIME) are deleted once silver has them;
    # silver, gold and the aggregates are kept.
    bronze_retention_days: float = Field(7.0, gt=0)
    retention_every_s: float = Field(3600.0, gt=0)
    # Cache lifetime of the operational reads that change with the grid (outages, work orders,
    # crews, circuit status): caps their TTL in data/read/repository.py.
    live_read_ttl_s: float = Field(2.0, ge=1)
    # Where the pipeline and the incremental sync write their heartbeats (default: stack_dir/run).
    heartbeat_dir: Path | None = None

    # --- Caching (flask-caching) ------------------------------------------------------------
    # A backend shared by every gunicorn worker: a directory on the node, or Redis.
    cache_type: Literal["filesystem", "redis", "null"] = "filesystem"
    cache_dir: Path | None = None
    cache_redis_url: SecretStr | None = None

    # --- Breaker -----------------------------------------------------------------------------
    # After a Postgres failure, reads skip it this long; then one read probes it.
    breaker_cooldown_s: float = Field(2.0, gt=0)

    # --- Dashboard ---------------------------------------------------------------------------
    refresh_interval_s: int = Field(15, ge=2)
    # The live console (callbacks/live.py): the browser asks for the live status and the grid's
    # change signature this often; the heavy panels (tables, map, KPIs) refresh only on a change.
    live_poll_s: float = Field(2.0, ge=1, le=60)
    # Live indicator thresholds (seconds): the feed's heartbeat age and the incremental sync's
    # last cycle age turn amber past FLUX_LIVE_AMBER_S and red past FLUX_LIVE_RED_S; the
    # pipeline's lag (oldest bronze row not yet in silver) has its own pair, its goal being 60 s.
    live_amber_s: float = Field(30.0, gt=0)
    live_red_s: float = Field(120.0, gt=0)
    live_pipeline_amber_s: float = Field(90.0, gt=0)
    live_pipeline_red_s: float = Field(300.0, gt=0)
    # Grid events the console's timeline keeps (newest first).
    live_timeline_rows: int = Field(30, ge=1, le=500)
    # A MapLibre/Mapbox style URL; unset offline, Carto Dark Matter where the tile host is reachable.
    basemap_style: str | None = None

    # --- Cortex Agent (chat) ------------------------------------------------------------------
    # auto: the Cortex Agent when a real Snowflake account is configured, else the local agent.
    agent_mode: Literal["auto", "object", "objectless", "local"] = "auto"
    agent_name: str = "FLUX_GRID_AGENT"
    agent_base_url: str | None = None
    agent_connect_timeout_s: float = 5.0
    agent_read_timeout_s: float = 120.0
    agent_semantic_view: str | None = None
    agent_row_cap: int = Field(500, ge=1, le=10_000)
    # Local agent: warehouse statement timeout, and the pause between streamed text chunks.
    agent_statement_timeout_s: int = Field(10, ge=1, le=600)
    agent_local_token_delay_ms: int = Field(30, ge=0, le=1000)
    agent_max_query_chars: int = Field(2000, ge=10)

    # --- Server ---------------------------------------------------------------------------
    log_level: str = "INFO"
    max_request_bytes: int = 64 * 1024
    # gunicorn (app/gunicorn_conf.py). gthread: an SSE chat holds one thread, never a worker.
    bind: str = "0.0.0.0:8080"
    web_workers: int = Field(2, ge=1, le=32)
    web_threads: int = Field(16, ge=1, le=256)
    web_timeout_s: int = Field(60, ge=0)
    web_graceful_timeout_s: int = Field(20, ge=1)
    # Longer than a client or proxy keeps an idle connection: when the server closes one first,
    # a request sent on it at that moment fails (5 s lost one request in the load test).
    web_keepalive_s: int = Field(75, ge=0)
    # Read deadlines (app/web_worker.py): the request line and headers from their first byte, and
    # the longest wait for a request's next bytes; then the whole body. A slow client is cut off
    # with 408 before its request runs; responses (SSE chat streams) are not bounded by these.
    web_read_timeout_s: float = Field(10, gt=0, le=300)
    web_body_timeout_s: float = Field(30, gt=0, le=600)

    # ------------------------------------------------------------------------------------------
    @property
    def live_spill_directory(self) -> Path:
        return self.live_spill_dir or (self.stack_dir / "live-spill")

    @cached_property
    def warehouse_is_local(self) -> bool:
        return self.embedded and is_loopback(self.snowflake_host) and self.snowflake_account == "fakesnow"

    @property
    def warehouse_host(self) -> str:
        if self.snowflake_host:
            return self.snowflake_host
        if self.embedded:
            return "127.0.0.1"
        return f"{self.snowflake_account}.snowflakecomputing.com"

    @property
    def warehouse_port(self) -> int:
        if self.snowflake_port:
            return self.snowflake_port
        return self.local_warehouse_port if self.warehouse_is_local else 443

    @property
    def warehouse_protocol(self) -> str:
        if self.snowflake_protocol:
            return self.snowflake_protocol
        return "http" if self.warehouse_is_local else "https"

    @property
    def warehouse_authenticator(self) -> Authenticator:
        if self.snowflake_authenticator:
            return self.snowflake_authenticator
        if not self.warehouse_is_local and self.snowflake_token_file.exists():
            return "oauth"  # inside SPCS
        return "password"

    @property
    def pgpass_file(self) -> Path:
        return self.stack_dir / "pgpass"

    @property
    def warehouse_password_file(self) -> Path:
        return self.stack_dir / "warehouse.pw"

    def _local_dsn(self, user: str, database: str | None = None) -> str:
        return (
            f"host=127.0.0.1 port={self.local_pg_port} dbname={database or self.pg_database} "
            f"user={user} passfile={self.pgpass_file}"
        )

    def postgres_dsn(self) -> str:
        """DSN for the app's read-only role."""
        if self.pg_dsn is not None:
            return self.pg_dsn.get_secret_value()
        return self._local_dsn(self.pg_app_user)

    def postgres_admin_dsn(self, database: str | None = None) -> str:
        """DSN for schema changes, loading and the sync."""
        if self.pg_admin_dsn is not None:
            return self.pg_admin_dsn.get_secret_value()
        return self._local_dsn("postgres", database)

    def postgres_connect_kwargs(self) -> dict:
        kw: dict = {"connect_timeout": self.pg_connect_timeout_s, "application_name": "flux-ops"}
        if self.pg_password is not None:
            kw["password"] = self.pg_password.get_secret_value()
        if self.pg_sslmode:
            kw["sslmode"] = self.pg_sslmode
        return kw

    @property
    def is_spcs(self) -> bool:
        return not self.warehouse_is_local and self.warehouse_authenticator == "oauth"

    @property
    def cortex_available(self) -> bool:
        """A real Cortex endpoint is only reachable with a real Snowflake account."""
        if self.agent_mode == "local":
            return False
        if self.agent_mode in ("object", "objectless"):
            return True
        return not self.warehouse_is_local

    @property
    def cache_directory(self) -> Path:
        return self.cache_dir or (self.stack_dir / "cache")

    @property
    def heartbeat_directory(self) -> Path:
        return self.heartbeat_dir or (self.stack_dir / "run")

    # ------------------------------------------------------------------------------------------
    @model_validator(mode="after")
    def _live_thresholds_ordered(self) -> "Settings":
        if self.live_red_s <= self.live_amber_s or self.live_pipeline_red_s <= self.live_pipeline_amber_s:
            raise ValueError("the live red thresholds must be above their amber thresholds")
        return self

    @model_validator(mode="after")
    def _reject_placeholder_secrets(self) -> "Settings":
        problems: list[str] = []
        if not self.embedded:
            if self.pg_dsn is None:
                problems.append("FLUX_PG_DSN is required when FLUX_EMBEDDED=false")
            if self.snowflake_account == "fakesnow":
                problems.append("SNOWFLAKE_ACCOUNT is required when FLUX_EMBEDDED=false")
        if self.pg_dsn is not None and not self._dsn_is_local(self.pg_dsn.get_secret_value()):
            if self.pg_password is not None:
                if is_placeholder(self.pg_password):
                    problems.append("FLUX_PG_PASSWORD is a placeholder")
            else:
                dsn_password = self._dsn_password(self.pg_dsn.get_secret_value())
                if dsn_password is None or is_placeholder(dsn_password):
                    problems.append("the remote Postgres DSN has no real password (set FLUX_PG_PASSWORD)")
        if not self.warehouse_is_local:
            auth = self.warehouse_authenticator
            if auth == "password" and is_placeholder(self.snowflake_password):
                problems.append("SNOWFLAKE_PASSWORD is missing or a placeholder")
            if auth == "programmatic_access_token" and is_placeholder(self.snowflake_pat):
                problems.append("SNOWFLAKE_PAT is missing or a placeholder")
            if auth == "keypair" and not (
                self.snowflake_private_key_file and self.snowflake_private_key_file.exists()
            ):
                problems.append("SNOWFLAKE_PRIVATE_KEY_FILE is missing")
        if problems:
            raise ValueError("invalid settings: " + "; ".join(problems))
        return self

    @staticmethod
    def _dsn_is_local(dsn: str) -> bool:
        from psycopg.conninfo import conninfo_to_dict

        try:
            host = conninfo_to_dict(dsn).get("host")
        except Exception:
            return False
        return is_loopback(str(host) if host else None)

    @staticmethod
    def _dsn_password(dsn: str) -> str | None:
        from psycopg.conninfo import conninfo_to_dict

        try:
            params = conninfo_to_dict(dsn)
        except Exception:
            return None
        if params.get("password"):
            return str(params["password"])
        return None


def get_settings(**overrides) -> Settings:
    return Settings(**overrides)
