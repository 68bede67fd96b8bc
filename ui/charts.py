"""Drawing charts: every chart of the app goes through :func:`draw_chart` (or the wall's ``draw_charts``).

``st.altair_chart`` validates a chart's whole Vega-Lite spec against the schema on every draw, under a lock that
every session of the process shares: three quarters of its time on a domain page, which a leader's laptop draws
again whenever anything is entered (``ui/live.py``). The app's charts are a fixed few, built by its own code and
drawn by its tests, so they are drawn from their spec unvalidated. The charts drawn most often (the wall's, and
the beds grid it shares with the quarantine page) are written as Vega-Lite specs directly: altair's object
model cost more than the data in them (``ui.wall.chart_specs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import altair as alt
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

Chart = alt.Chart | alt.LayerChart | alt.FacetChart
"""A chart the app draws: one chart, or layered ones (which altair turns into a facet when they share one)."""
Spec = dict[str, Any]
"""A Vega-Lite spec, as JSON."""
THEME_VIEW_SIZE = ("continuousWidth", "continuousHeight")
"""What altair's default theme adds to a spec (a 300×300 view), which ``st.altair_chart`` leaves out: a chart takes
its column's width and the height it is given."""


def inline_data(rows: Sequence[Mapping[str, Any]], fields: Iterable[str]) -> Spec:
    """``rows``' ``fields`` as a spec's inline data: days and moments as ISO text, decimals (PostgreSQL's sums)
    as numbers."""
    return {"values": [{field: _json_value(row[field]) for field in fields} for row in rows]}


def _json_value(value: object) -> object:
    if isinstance(value, date):  # a datetime too
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def chart_spec(chart: Chart) -> Spec:
    """The chart's Vega-Lite spec, its data inline, not validated again and without the default theme's size."""
    spec = chart.to_dict(validate=False)
    view = spec.get("config", {}).get("view", {})
    for key in THEME_VIEW_SIZE:
        view.pop(key, None)
    return spec


def draw_chart(chart: Chart | Spec, where: DeltaGenerator | None = None, **options: Any) -> None:
    """Draw ``chart`` (an altair chart or a spec; in ``where``, a column or container, else the page) as
    ``st.altair_chart`` would, with its ``options`` (width, height)."""
    (where or st).vega_lite_chart(chart if isinstance(chart, dict) else chart_spec(chart), **options)
