"""Drawing altair charts: every chart of the app goes through :func:`draw_chart`.

``st.altair_chart`` validates a chart's whole Vega-Lite spec against the schema on every draw, under a lock that
every session of the process shares: three quarters of its time on a domain page, which a leader's laptop draws
again whenever anything is entered (``ui/live.py``). The app's charts are a fixed few, built by its own code and
drawn by its tests, so they are drawn from their spec unvalidated.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

Chart = alt.Chart | alt.LayerChart | alt.FacetChart
"""A chart the app draws: one chart, or layered ones (which altair turns into a facet when they share one)."""
THEME_VIEW_SIZE = ("continuousWidth", "continuousHeight")
"""What altair's default theme adds to a spec (a 300×300 view), which ``st.altair_chart`` leaves out: a chart takes
its column's width and the height it is given."""


def chart_spec(chart: Chart) -> dict[str, Any]:
    """The chart's Vega-Lite spec, its data inline, not validated again and without the default theme's size."""
    spec = chart.to_dict(validate=False)
    view = spec.get("config", {}).get("view", {})
    for key in THEME_VIEW_SIZE:
        view.pop(key, None)
    return spec


def draw_chart(chart: Chart, where: DeltaGenerator | None = None, **options: Any) -> None:
    """Draw ``chart`` (in ``where``, a column or container, else the page) as ``st.altair_chart`` would, with
    its ``options`` (width, height), from :func:`chart_spec`."""
    (where or st).vega_lite_chart(chart_spec(chart), **options)
