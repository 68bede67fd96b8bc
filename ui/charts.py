"""Drawing charts: every chart of the app goes through :func:`draw_chart` (or the wall's ``draw_charts``).

``st.altair_chart`` validates a chart's whole Vega-Lite spec against the schema on every draw, under a lock that
every session of the process shares: three quarters of its time on a domain page, which a leader's laptop draws
again whenever anything is entered (``ui/live.py``). The app's charts are a fixed few, built by its own code and
drawn by its tests, so they are drawn from their spec unvalidated. The charts drawn most often (the wall's, and
the beds grid it shares with the quarantine page) are written as Vega-Lite specs directly: altair's object
model cost more than the data in them (``ui.wall.chart_specs``). A domain page's charts are built with altair
once per data version for every session (:func:`once_per_version`): a quarter of a page's run went into building
them, and every leader on the page would build the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import altair as alt
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ui.session import data_version, language, noting_scopes, scope_version

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


def once_per_version(build: Callable[..., Chart | Spec]) -> Callable[..., Spec]:
    """``build``, a page's chart made from its reads (``build(*args)``), as a function that gives the chart's spec,
    built once per version of what it reads, and per language, for every session of the process.

    A page's charts show counts, places and enterprises, never a person, so one session's spec serves every
    other's; a leader's page, drawn again at every new entry, then builds none of them. ``build`` is told apart by
    its file and name (a page script's functions are defined anew at each run), and must read what it shows with
    :func:`ui.session.read` and word it with :func:`ui.session.t`. The scopes of its reads are noted as it builds
    (:func:`ui.session.noting_scopes`), and its spec is keyed on the newest of their versions: the counts of a
    shift change leave the enterprises page's charts built, where keyed on the store's version they were built
    again at every count, three fifths of that page's run. A chart not yet built in the process, or built from no
    read, is keyed on the run's own version."""
    where = f"{build.__code__.co_filename}:{build.__qualname__}"

    def spec(*args: object) -> Spec:
        scopes = _scopes_read_by().get(where)
        version = max(scope_version(scope) for scope in scopes) if scopes else data_version()
        return _built_spec(where, args, language(), version, build)

    return spec


@st.cache_resource(show_spinner=False)
def _scopes_read_by() -> dict[str, frozenset[str | None]]:
    """By chart (its file and name): the scopes of every read any of its builds made in this process."""
    return {}


@st.cache_data(max_entries=128, show_spinner=False)
def _built_spec(where: str, args: tuple, language: str, version: int, _build: Callable[..., Chart | Spec]) -> Spec:
    with noting_scopes() as scopes:
        chart = _build(*args)
    known = _scopes_read_by()
    known[where] = known.get(where, frozenset()) | scopes
    return chart if isinstance(chart, dict) else chart_spec(chart)


def draw_chart(chart: Chart | Spec, where: DeltaGenerator | None = None, **options: Any) -> None:
    """Draw ``chart`` (an altair chart or a spec; in ``where``, a column or container, else the page) as
    ``st.altair_chart`` would, with its ``options`` (width, height)."""
    (where or st).vega_lite_chart(chart if isinstance(chart, dict) else chart_spec(chart), **options)
