"""Every component id of the dashboard, in one place, so layouts and callbacks cannot drift apart.

Ids carry their feature as a prefix. Other features (the chat) add their own section below.
"""

# -- Page, URL and refresh ----------------------------------------------------------------------
URL = "page-url"
URL_SYNC = "page-url-sync"  # dummy output of the clientside URL writer
REFRESH = "page-refresh"  # dcc.Interval driving every real-time panel
VIEW_TABS = "page-view-tabs"
ERROR_ALERTS = "page-error-alerts"  # where the app-wide on_error handler puts its alert


def view_pane(view: str) -> str:
    return f"page-pane-{view}"

# -- Status: banner, last updated, serving stores ------------------------------------------------
STATUS_BANNER_POSTGRES = "status-banner-postgres"
STATUS_BANNER_WAREHOUSE = "status-banner-warehouse"
STATUS_UPDATED = "status-last-updated"
STATUS_STORE_POSTGRES = "status-store-postgres"
STATUS_STORE_WAREHOUSE = "status-store-warehouse"

# -- KPI header ----------------------------------------------------------------------------------
KPI_ROW = "kpi-row"
KPI_NAMES = (
    "customers_out",
    "active_outages",
    "crews_active",
    "system_load",
    "ercot_price",
    "temperature",
    "saidi",
    "saifi",
    "caidi",
)


def kpi_value(name: str) -> str:
    return f"kpi-{name.replace('_', '-')}-value"


def kpi_meta(name: str) -> str:
    return f"kpi-{name.replace('_', '-')}-meta"


# -- Grid map ------------------------------------------------------------------------------------
MAP_DECK = "map-deck"
MAP_VIEW = "map-view"  # the map's current view, reported by assets/flux_map.js
MAP_TARGET = "map-target"  # where the map should fly: URL on load, a table row click
MAP_LAYER_TOGGLES = "map-layer-toggles"
MAP_LEGEND = "map-legend"
MAP_LOD = "map-lod"  # badge: which level of detail is drawn
MAP_TRACE = "map-trace"  # the selected feeder's network trace, drawn over the feeders

# -- Details panel -------------------------------------------------------------------------------
DETAILS_SELECTION = "details-selection"  # {"kind": substation|feeder|outage|work_order, "id": ...}
DETAILS_BODY = "details-body"
DETAILS_TITLE = "details-title"
DETAILS_CLOSE = "details-close"

# -- Outage and work-order tables ----------------------------------------------------------------
OUTAGE_GRID = "outage-grid"
OUTAGE_EXPORT = "outage-export"
OUTAGE_META = "outage-meta"
WORK_ORDER_GRID = "work-order-grid"
WORK_ORDER_EXPORT = "work-order-export"
WORK_ORDER_META = "work-order-meta"
TABLE_TABS = "table-tabs"

# -- Weather panel -------------------------------------------------------------------------------
WEATHER_BODY = "weather-body"  # filled by the weather callback
WEATHER_GRAPH = "weather-graph"
WEATHER_EVENTS = "weather-events"
WEATHER_META = "weather-meta"

# -- Analytics view ------------------------------------------------------------------------------
ANALYTICS_BODY = "analytics-body"  # filled by the analytics callback
ANALYTICS_AMI = "analytics-ami-monthly"
ANALYTICS_HEATMAP = "analytics-transformer-heatmap"
ANALYTICS_TOP = "analytics-top-overloaded"
ANALYTICS_ERCOT = "analytics-ercot-price-load"
ANALYTICS_ALERT = "analytics-alert"
ANALYTICS_META = "analytics-meta"

# -- Reliability view (IEEE 1366) ----------------------------------------------------------------
RELIABILITY_BODY = "reliability-body"  # filled by the reliability callback
RELIABILITY_YEAR = "reliability-year"  # the reporting period: a calendar year, or the trailing 12 months
RELIABILITY_SUMMARY = "reliability-summary"
RELIABILITY_THRESHOLD = "reliability-threshold"
RELIABILITY_MONTHLY = "reliability-monthly"
RELIABILITY_WORST = "reliability-worst-circuits"
RELIABILITY_CSV = "reliability-csv"
RELIABILITY_META = "reliability-meta"
RELIABILITY_ALERT = "reliability-alert"

# -- Storm playback (in the reliability view) --------------------------------------------------------
PLAYBACK_STORM = "playback-storm"
PLAYBACK_PLAY = "playback-play"
PLAYBACK_SPEED = "playback-speed"
PLAYBACK_SLIDER = "playback-slider"
PLAYBACK_TICK = "playback-tick"  # dcc.Interval stepping the slider while playing
PLAYBACK_TIMELINE = "playback-timeline"  # store: the storm's frames and curve
PLAYBACK_MAP = "playback-map"
PLAYBACK_CURVE = "playback-curve"
PLAYBACK_LABEL = "playback-label"
PLAYBACK_URL_SYNC = "playback-url-sync"  # dummy output of the clientside URL writer

# -- Chat (the chat feature owns its own ids; these place its panel) -----------------------------
CHAT_OPEN = "chat-open"
CHAT_OFFCANVAS = "chat-offcanvas"

# -- Chat panel (layouts/chat.py, callbacks/chat.py, assets/chat.js) -------------------------------
CHAT_PANEL = "chat-panel"
CHAT_TRANSCRIPT = "chat-transcript"  # finished turns, rendered by Dash from CHAT_HISTORY
CHAT_LIVE = "chat-live"  # the turn being streamed, written by assets/chat.js
CHAT_LIVE_GRID = "chat-live-grid"  # the streamed turn's result table (dash-ag-grid)
CHAT_LIVE_RESULT = "chat-live-result"  # store: the streamed turn's table, set by chat.js
CHAT_HISTORY = "chat-history"  # store: finished turns, set by chat.js
CHAT_INPUT = "chat-input"
CHAT_SEND = "chat-send"
CHAT_STOP = "chat-stop"
CHAT_NEW = "chat-new"
CHAT_THREADS = "chat-threads"  # the operator's recent threads, listed by assets/chat.js
CHAT_FEEDBACK_REPORT = "chat-feedback-report"  # the answer ratings, drawn by assets/chat.js when opened
CHAT_SUGGESTIONS = "chat-suggestions"

# -- Live console (layouts/live.py, callbacks/live.py) ---------------------------------------------
LIVE_TICK = "live-tick"  # dcc.Interval: the live status and the grid's change check
LIVE_INDICATOR = "live-indicator"  # header badge: Live | Delayed N s | Stalled
LIVE_SNAPSHOT = "live-snapshot"  # store: the outages and crews seen at the last tick
LIVE_CHANGE = "live-change"  # store: a counter bumped when outages or crew statuses changed
LIVE_MAP_CHANGE = "live-map-change"  # store: a counter bumped when anything on the map moved
LIVE_TOASTS = "live-toasts"  # where outage notifications appear
LIVE_TIMELINE = "live-timeline"  # the last grid events, newest first
LIVE_TIMELINE_EVENTS = "live-timeline-events"  # store: the events the timeline shows
LIVE_TIMELINE_ROW = "live-timeline-row"  # pattern-matching id type of one timeline row
