"""Outage and work-order AG Grids: sortable, filterable, CSV export."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from layouts import ids

OUTAGE_COLUMNS = [
    {"field": "outage_id", "headerName": "Outage", "pinned": "left", "width": 150},
    {"field": "priority", "width": 100},
    {"field": "severity", "width": 100},
    {"field": "restoration_status", "headerName": "Status", "width": 120},
    {"field": "affected_customers_count", "headerName": "Customers out", "filter": "agNumberColumnFilter", "width": 130, "sort": "desc"},
    {"field": "cause", "width": 140},
    {"field": "circuit_id", "headerName": "Circuit", "width": 150},
    {"field": "substation_id", "headerName": "Substation", "width": 120},
    {"field": "assigned_crew_count", "headerName": "Crews", "filter": "agNumberColumnFilter", "width": 90},
    {"field": "start_time", "headerName": "Started", "width": 180},
    {"field": "estimated_restoration_time", "headerName": "ETR", "width": 180},
]

WORK_ORDER_COLUMNS = [
    {"field": "work_order_id", "headerName": "Work order", "pinned": "left", "width": 150},
    {"field": "priority", "width": 100},
    {"field": "status", "width": 120},
    {"field": "work_type", "headerName": "Type", "width": 150},
    {"field": "substation_id", "headerName": "Substation", "width": 120},
    {"field": "circuit_id", "headerName": "Circuit", "width": 150},
    {"field": "assigned_crew", "headerName": "Crew", "width": 110},
    {"field": "due_date", "headerName": "Due", "width": 180},
    {"field": "estimated_cost", "headerName": "Est. cost $", "filter": "agNumberColumnFilter", "width": 120},
    {"field": "description", "flex": 1, "minWidth": 200},
]

_DEFAULT_COL = {"sortable": True, "filter": True, "resizable": True, "floatingFilter": True}


def create_grid(grid_id: str, columns: list[dict], row_id_field: str, file_name: str) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        columnDefs=columns,
        # no rowData yet: AG Grid shows its loading overlay until the first refresh fills it
        defaultColDef=_DEFAULT_COL,
        getRowId=f"params.data.{row_id_field}",
        dashGridOptions={
            "rowSelection": {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True},
            "animateRows": False,
            "rowHeight": 30,
            "headerHeight": 32,
        },
        csvExportParams={"fileName": file_name},
        className="flux-grid",
        style={"height": "290px"},
    )


def _grid_card(grid_id, export_id, meta_id, columns, row_id_field, file_name) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.Span("", id=meta_id, className="flux-kpi-meta me-auto"),
                    dbc.Button("Export CSV", id=export_id, size="sm", color="secondary", outline=True),
                ],
                className="d-flex align-items-center mb-1",
            ),
            create_grid(grid_id, columns, row_id_field, file_name),
        ]
    )


def create_tables_panel() -> dbc.Tabs:
    return dbc.Tabs(
        [
            dbc.Tab(
                _grid_card(ids.OUTAGE_GRID, ids.OUTAGE_EXPORT, ids.OUTAGE_META, OUTAGE_COLUMNS, "outage_id", "active_outages.csv"),
                label="Active outages",
                tab_id="outages",
            ),
            dbc.Tab(
                _grid_card(
                    ids.WORK_ORDER_GRID,
                    ids.WORK_ORDER_EXPORT,
                    ids.WORK_ORDER_META,
                    WORK_ORDER_COLUMNS,
                    "work_order_id",
                    "active_work_orders.csv",
                ),
                label="Work orders",
                tab_id="work_orders",
            ),
        ],
        id=ids.TABLE_TABS,
        active_tab="outages",
        className="flux-table-tabs",
    )
