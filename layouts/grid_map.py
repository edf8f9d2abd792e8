"""The grid map panel: deck.gl canvas, layer toggles and legend."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import dash_deck
from dash import html

from layouts import ids
from layouts.map_deck import (
    CREW_COLOR,
    DEFAULT_LAYERS,
    HOME_VIEW,
    LAYER_LABELS,
    LAYERS,
    LOADING_BANDS,
    OUTAGE_COLOR,
    SUBSTATION_STATUS_COLORS,
    WORK_ORDER_COLOR,
    TOOLTIP,
    level_of_detail,
    uses_basemap,
)


def _swatch(color: tuple[int, int, int], shape: str = "line") -> html.Span:
    return html.Span(className=f"flux-swatch flux-swatch-{shape}", style={"backgroundColor": f"rgb{tuple(color)}"})


def create_legend() -> html.Div:
    feeder_rows = [html.Div([_swatch(c), label], className="flux-legend-row") for _t, label, c in LOADING_BANDS]
    point_rows = [
        html.Div([_swatch(SUBSTATION_STATUS_COLORS["good"], "dot"), "Substation (size: MVA)"], className="flux-legend-row"),
        html.Div([_swatch(SUBSTATION_STATUS_COLORS["warning"], "dot"), "… warning"], className="flux-legend-row"),
        html.Div([_swatch(SUBSTATION_STATUS_COLORS["critical"], "dot"), "… critical"], className="flux-legend-row"),
        html.Div([_swatch(OUTAGE_COLOR, "dot"), "Outage (size: customers out)"], className="flux-legend-row"),
        html.Div([_swatch(WORK_ORDER_COLOR, "dot"), "Work order"], className="flux-legend-row"),
        html.Div([_swatch(CREW_COLOR, "ring"), "Crew"], className="flux-legend-row"),
    ]
    return html.Div(
        [html.Div("Feeder loading", className="flux-legend-title"), *feeder_rows, html.Hr(className="my-1"), *point_rows],
        id=ids.MAP_LEGEND,
        className="flux-legend",
    )


def create_layer_toggles(visible: tuple[str, ...] | list[str] = DEFAULT_LAYERS) -> dbc.Checklist:
    return dbc.Checklist(
        id=ids.MAP_LAYER_TOGGLES,
        options=[{"label": LAYER_LABELS[k], "value": k} for k in LAYERS],
        value=list(visible),
        inline=True,
        switch=True,
        className="flux-toggles",
    )


def create_map_panel(deck: dict, *, basemap_style: str | None, visible=DEFAULT_LAYERS) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    create_layer_toggles(visible),
                    dbc.Badge(
                        f"{level_of_detail(HOME_VIEW['zoom'])} · zoom {HOME_VIEW['zoom']:.1f}",
                        id=ids.MAP_LOD,
                        color="secondary",
                        className="ms-2",
                    ),
                ],
                className="flux-map-toolbar d-flex align-items-center",
            ),
            html.Div(
                [
                    dash_deck.DeckGL(
                        deck,
                        id=ids.MAP_DECK,
                        tooltip=TOOLTIP,
                        enableEvents=["click"],
                        style={"position": "absolute", "inset": "0"},
                        **uses_basemap(basemap_style),
                    ),
                    create_legend(),
                ],
                className="flux-map",
            ),
        ],
        className="flux-map-panel",
    )
