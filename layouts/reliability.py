"""The reliability view: IEEE 1366 indices with and without major event days, the threshold,
the monthly trend and the worst-performing circuits. Built by its callback when the view opens
(the warehouse is not asked until then)."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from layouts import ids
from layouts.playback import create_playback_panel

TRAILING = "trailing"  # the dropdown's value for the 365 days ending on the history's last day
INDEX_ROWS = (  # (key, label, format)
    ("saifi", "SAIFI (interruptions / customer)", "{:.3f}"),
    ("saidi", "SAIDI (minutes / customer)", "{:,.1f}"),
    ("caidi", "CAIDI (minutes / interruption)", "{:,.1f}"),
    ("maifi", "MAIFI (momentary / customer)", "{:.3f}"),
    ("cemi_n", "CEMI-{n} (share of customers)", "{:.2%}"),
    ("celid_t", "CELID-{t}h (share of customers)", "{:.2%}"),
)
WORST_COLUMNS = [
    {"field": "rank", "width": 80},
    {"field": "circuit_id", "headerName": "Circuit", "width": 150},
    {"field": "substation_id", "headerName": "Substation", "width": 120},
    {"field": "customers_served", "headerName": "Customers", "width": 120},
    {"field": "saidi", "headerName": "SAIDI day to day", "width": 150},
    {"field": "saifi", "headerName": "SAIFI day to day", "width": 150},
    {"field": "caidi", "headerName": "CAIDI day to day", "width": 150},
    {"field": "saidi_all", "headerName": "SAIDI all days", "width": 140},
]


def create_reliability_panel() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span("Reporting period", className="flux-kpi-label me-2"),
                    dcc.Dropdown(id=ids.RELIABILITY_YEAR, options=[{"label": "Last 12 months", "value": TRAILING}],
                                 value=TRAILING, clearable=False, style={"width": "220px", "color": "#111"}),
                ],
                className="d-flex align-items-center mb-2",
            ),
            dcc.Loading(
                html.Div(html.Div("Loading reliability…", className="text-muted small p-2"), id=ids.RELIABILITY_BODY),
                type="dot",
            ),
            create_playback_panel(),
        ],
        className="p-2",
    )


def year_options(history_start: str, history_end: str) -> list[dict]:
    years = range(int(history_end[:4]), int(history_start[:4]) - 1, -1)
    return [{"label": "Last 12 months", "value": TRAILING}] + [{"label": str(y), "value": str(y)} for y in years]


def csv_href(year: str | None) -> str:
    query = urlencode({"year": year}) if year and year != TRAILING else ""
    return "/api/reliability/report.csv" + (f"?{query}" if query else "")


def _fmt(fmt: str, value) -> str:
    return "—" if value is None else fmt.format(value)


def create_summary_table(report: dict) -> dbc.Table:
    n, t = report["parameters"]["cemi_n"], report["parameters"]["celid_t_hours"]
    system = report["system"]
    head = html.Thead(html.Tr([html.Th("System index"), html.Th("Day to day (MEDs left out)"), html.Th("All days")]))
    rows = [
        html.Tr([html.Td(label.format(n=n, t=t)), html.Td(_fmt(fmt, system["excluding_med"][key])),
                 html.Td(_fmt(fmt, system["all"][key]))], id=f"{ids.RELIABILITY_SUMMARY}-{key.replace('_', '-')}")
        for key, label, fmt in INDEX_ROWS
    ]
    return dbc.Table([head, html.Tbody(rows)], id=ids.RELIABILITY_SUMMARY, size="sm", bordered=False,
                     color="dark", className="mb-2")


def threshold_text(report: dict) -> str:
    th, meds = report["threshold"], report["major_event_days"]
    if th["t_med"] is None:
        return "No major event day threshold: the history before this period is too short."
    years = (th["days"] or 0) / 365.25
    days = ", ".join(m["date"] for m in meds) or "none"
    return (f"T_MED = {th['t_med']:.2f} min (2.5 beta over {years:.1f} years of daily SAIDI before the period, "
            f"{th['days_used']} days with interruptions). Major event days: {len(meds)} ({days}).")


def worst_rows(report: dict) -> list[dict]:
    def r(v, digits):
        return None if v is None else round(v, digits)

    return [{"rank": w["rank"], "circuit_id": w["circuit_id"], "substation_id": w["substation_id"],
             "customers_served": w["customers_served"], "saidi": r(w["excluding_med"]["saidi"], 1),
             "saifi": r(w["excluding_med"]["saifi"], 3), "caidi": r(w["excluding_med"]["caidi"], 1),
             "saidi_all": r(w["all"]["saidi"], 1)} for w in report["worst_circuits"]]


def create_reliability_body(report: dict | None, monthly_figure, *, year: str | None, alert: list, meta: str) -> html.Div:
    if report is None:
        return html.Div([html.Div(alert, id=ids.RELIABILITY_ALERT),
                         html.Div(meta or "No interruption history for this period", id=ids.RELIABILITY_META,
                                  className="flux-kpi-meta")])
    period = report["period"]
    return html.Div(
        [
            html.Div(alert, id=ids.RELIABILITY_ALERT),
            html.Div(
                [
                    html.Span(f"{report['standard']} · {period['start']} to {period['end']} · {meta}",
                              id=ids.RELIABILITY_META, className="flux-kpi-meta me-auto"),
                    html.A("Export CSV", id=ids.RELIABILITY_CSV, href=csv_href(year), className="btn btn-sm btn-outline-secondary"),
                ],
                className="d-flex align-items-center mb-1",
            ),
            dbc.Row(
                [
                    dbc.Col([create_summary_table(report),
                             html.Div(threshold_text(report), id=ids.RELIABILITY_THRESHOLD, className="small text-muted")], md=5),
                    dbc.Col(dcc.Graph(id=ids.RELIABILITY_MONTHLY, figure=monthly_figure, config={"displaylogo": False}), md=7),
                ],
                className="g-2",
            ),
            html.Div("Worst-performing circuits (day-to-day SAIDI)", className="flux-kpi-label mt-2"),
            dag.AgGrid(
                id=ids.RELIABILITY_WORST, columnDefs=WORST_COLUMNS, rowData=worst_rows(report),
                defaultColDef={"sortable": True, "resizable": True}, getRowId="params.data.circuit_id",
                className="flux-grid", style={"height": "330px"},
                dashGridOptions={"animateRows": False, "rowHeight": 28, "headerHeight": 32},
            ),
        ]
    )
