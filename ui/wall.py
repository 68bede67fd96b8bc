"""Pieces of the wall screen (指挥大屏): its layout rules, charts and staleness watch.

The wall screen is read from four metres away on a TV that nobody touches, so
everything here is sized for that: large type, high contrast, a fixed layout
that fits 1920×1080 without scrolling. A larger screen gets the same layout
scaled up: the URL says by how much (``?scale=2`` on 3840×2160; a screen that
opens the page without it gets it added once), and type and chart sizes are
multiplied by it on the server, since charts cannot be scaled by CSS. All of
the screen's state (language, kiosk mode, rotation, scale) lives in the URL, so
that a server restart, which starts a new session, brings the same screen back.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from string import Template
from typing import Any

import streamlit as st

from data_layer import checkpoints, enterprises, quarantine, settings, supplies
from data_layer.i18n import format_moment, format_number
from data_layer.markdown import plain
from data_layer.situation import Alert, alert_text
from ui.charts import Spec, inline_data
from ui.checkpoints import AREA_LABEL_SIZE, checkpoint_deck
from ui.colours import (
    CHECKPOINT_COLOURS,
    QUARANTINE_MODE_COLOURS,
    QUARANTINE_TOTAL_COLOUR,
    REOPEN_AHEAD_COLOUR,
    REOPEN_LAG_COLOUR,
    REOPEN_TREND_COLOUR,
)
from ui.quarantine import beds_outlook_grid
from ui.session import data_version, language, read, t
from ui.supplies import STATUS_COLOURS

VIEWS = ("all", "checkpoints", "quarantine", "supplies", "enterprises")
SEVERITY_COLOURS = {"high": "red", "medium": "orange"}
INK = "#f1f5f9"  # text on the dark wall: near white, full opacity


@dataclass(frozen=True)
class WallSizes:
    """The wall's sizes in pixels on a 1920×1080 kiosk; :func:`px` multiplies them by the screen's scale.

    The design target is a 65-inch 1080p screen read from 4 m, where ISO 9241-303's
    minimum character height of 16 arcmin is about 28 px of CJK text: nothing is
    smaller than ``text``, and what a leader reads (tile labels, alert lines, chart
    titles, axis and legend labels) is at least ``label``.
    """

    text: int = 24  # the smallest text: captions, the status line, a tile's change
    label: int = 28  # tile labels, alert lines, chart titles, axis, legend and map labels
    heading: int = 34  # the alerts' heading and the risk level
    title: int = 40  # the screen's title
    figure: int = 72  # the headline figures
    tile_height: int = 214  # a tile: a label of up to two lines, the figure, its change
    body_height: int = 712  # what is left below the header and the tiles on 1080 pixels
    map_legend: int = 150  # the map's legend below it: up to four lines of text
    gap: int = 16
    screen_width: int = 1920


SIZES = WallSizes()
DESK_FACTOR = 0.6  # the same page on a leader's own screen (not kiosk mode) is read at arm's length
MAX_ALERTS = 5
TREND_DAYS = 14  # the days the overview's trend charts run over, the report day the last
ALERT_LINES = 2  # an alert's count and first names; the names it runs on to are on the domain pages
DETAIL_WIDTHS = {"quarantine": (2.0, 3.0)}
"""The shares of a view's chart columns where they are not equal: the quarantine view's beds grid needs room for
seven columns of three-digit figures at the wall's size beside the sites' names."""
HEADER_BAR = 64  # Streamlit's top bar (menu and status) outside kiosk mode, which the page must clear
WALL_CSS_TEMPLATE = Template("""
<style>
  html { font-size: ${root}px; }
  .block-container { padding: ${padding_top}px ${padding_side}px ${padding_bottom}px ${padding_side}px;
                     max-width: 100%; }
  [data-testid="stMetric"] { padding: ${tile_padding}px; height: ${tile_height}px; }
  [data-testid="stMetricValue"] { font-size: ${figure}px; line-height: 1.1; }
  [data-testid="stMetricValue"] > div { overflow: visible; text-overflow: clip; }
  [data-testid="stMetricLabel"] p { font-size: ${label}px; line-height: 1.2; white-space: normal;
                                    word-break: normal; overflow-wrap: normal; hyphens: none; }
  div:has(> [data-testid="stMetricLabel"]) { padding: 0 !important; }
  [data-testid="stMetricLabel"] > div { overflow: visible; }
  [data-testid="stMetricDelta"], [data-testid="stMetricDelta"] p { font-size: ${text}px; }
  [data-testid="stMetricDelta"] svg { width: ${text}px; height: ${text}px; }
  [data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p { font-size: ${text}px; line-height: 1.3;
                                                                             color: ${ink}; }
  h1 { font-size: ${title}px !important; padding: 0 !important; line-height: 1.2 !important; }
  h3 { font-size: ${heading}px !important; padding: 0 0 ${gap_half}px 0 !important; }
  .wall-alert { font-size: ${label}px; line-height: 1.25; padding: 0 ${gap}px;
                margin-bottom: ${gap_half}px; border-radius: ${gap_half}px; overflow-wrap: normal;
                /* the space above and below is a transparent border, which the background fills and the
                   line clamp's overflow does not, so no part of a cut line shows */
                border-block: ${gap_half}px solid transparent;
                display: -webkit-box; -webkit-box-orient: vertical; -webkit-line-clamp: ${alert_lines};
                overflow: hidden; }
  .wall-alert.high { background: #991b1b; color: #fff; }
  .wall-alert.medium { background: #92400e; color: #fff; }
  .wall-alert.calm { background: #14532d; color: #fff; }
  .wall-risk { display: inline-block; font-size: ${heading}px; font-weight: 700; padding: 0 ${gap}px;
               border-radius: ${gap_half}px; color: #fff; }
  .wall-risk.low { background: #15803d; } .wall-risk.medium { background: #b45309; }
  .wall-risk.high { background: #b91c1c; }
  .wall-strategy { font-size: ${label}px; }
  .wall-status { font-size: ${text}px; line-height: 1.3; }
  .wall-stale-banner { position: fixed; top: 0; left: 0; right: 0; z-index: 999999; padding: ${gap}px;
                       background: #b91c1c; color: #fff; font-size: ${heading}px; font-weight: 700;
                       text-align: center; }
</style>
""")
KIOSK_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stMainMenu"] { display: none !important; }
  /* A TV that nobody can touch: when the server cannot be reached, the wall's own banner (in the screen's
     language, see STALENESS_WATCH) says so; Streamlit's connection dialog, in English and addressed to a
     developer, would cover the figures. tests/e2e/test_wall_screen.py fails if this stops hiding it. */
  [data-testid="stDialog"] { display: none !important; }
</style>
"""
SCALE_DETECTION = """
<script>
(() => {
  const url = new URL(window.location.href);
  const scale = window.innerWidth >= 3400 ? 2 : window.innerWidth >= 2500 ? 1.5 : 1;
  if (scale > 1 && !url.searchParams.has('scale')) {
    url.searchParams.set('scale', String(scale));
    window.location.replace(url.toString());
  }
})();
</script>
"""
RELOAD_ONCE_THE_SERVER_ANSWERS = """
  // Reload the page's own address (its device token, kiosk, scale and language with it) once the server answers:
  // a reload while it is down would leave the TV on the browser's error page, which reloads nothing, and a
  // restarted server has forgotten this screen's session, which the reload signs in again by its device token.
  // At most one reload every 30 seconds. Defined once for the scheduled reload and the staleness watch.
  window.reloadOnceTheServerAnswers = window.reloadOnceTheServerAnswers || (() => {
    let probing = false;
    return () => {
      const last = Number(sessionStorage.getItem('wallReloadedAt') || 0);
      if (probing || Date.now() - last < 30000) return;
      probing = true;
      fetch(new URL('_stcore/health', window.location.href), {cache: 'no-store'})
        .then((answer) => {
          if (answer.ok) { sessionStorage.setItem('wallReloadedAt', String(Date.now())); window.location.reload(); }
        })
        .catch(() => {})
        .finally(() => { probing = false; });
    };
  })();
"""
SCHEDULED_RELOAD = """
<div id="kiosk-reload" data-after-ms="{after_ms}" style="display:none"></div>
<script>
(() => {{
  if (window.kioskReloadScheduled) return;
  window.kioskReloadScheduled = true;
{reload}
  setTimeout(() => {{
    window.reloadOnceTheServerAnswers();
    setInterval(window.reloadOnceTheServerAnswers, 30000);
  }}, {after_ms});
}})();
</script>
"""
STALENESS_WATCH = """
<div id="wall-freshness" data-version="{version}" data-stale-after="{stale_after}"
     data-message="{message}" style="display:none"></div>
<script>
(() => {{
  if (window.wallFreshnessWatch) return;
  window.wallFreshnessWatch = true;
{reload}
  let seenVersion = null, seenAt = Date.now(), failedProbes = 0;
  const banner = document.createElement('div');
  banner.id = 'wall-stale-banner';
  banner.className = 'wall-stale-banner';
  banner.style.display = 'none';
  document.body.appendChild(banner);
  // The server's health, asked directly: a stopped server shows within seconds, not after three refreshes.
  setInterval(() => {{
    fetch(new URL('_stcore/health', window.location.href), {{cache: 'no-store'}})
      .then((answer) => {{ failedProbes = answer.ok ? 0 : failedProbes + 1; }})
      .catch(() => {{ failedProbes += 1; }});
  }}, {probe_ms});
  setInterval(() => {{
    const marker = document.getElementById('wall-freshness');
    if (!marker) return;
    if (marker.dataset.version !== seenVersion) {{ seenVersion = marker.dataset.version; seenAt = Date.now(); }}
    const stale = Date.now() - seenAt > Number(marker.dataset.staleAfter) * 1000 || failedProbes >= {failed_probes};
    banner.textContent = marker.dataset.message;
    banner.style.display = stale ? 'block' : 'none';
    if (stale) window.reloadOnceTheServerAnswers();
  }}, 1000);
}})();
</script>
"""


def refresh_seconds() -> int:
    """How often the wall screen is drawn again when nothing was entered (``COMMAND_POST_REFRESH_SECONDS``,
    default 60): for the time its figures stand at and the day's turn. A new entry does not wait for it: the
    wall follows the data live (:func:`ui.live.follow_live_data`)."""
    return settings.REFRESH_SECONDS.value()


def scheduled_reload() -> str:
    """On a kiosk, the script that reloads the whole page every ``COMMAND_POST_KIOSK_RELOAD_HOURS`` (default 6;
    0 never), drawn with the wall's layout (an element of its own would take a line of the screen).

    A TV runs the same browser tab for days, and a long-lived single-page app may keep growing (Grafana's wall
    tabs crashed after hours to days). A reload starts the tab afresh: the same address, so the same screen, signed
    in again by its device token. The timer is set once per page load, however often the wall is drawn again,
    and the reload waits until the server answers (see ``benchmarks/bench_kiosk_soak.py`` for what a tab grows).
    """
    hours = settings.KIOSK_RELOAD_HOURS.value()
    if kiosk_mode() and hours > 0:
        return SCHEDULED_RELOAD.format(after_ms=round(hours * 3600 * 1000), reload=RELOAD_ONCE_THE_SERVER_ANSWERS)
    return ""


def kiosk_mode() -> bool:
    return st.query_params.get("kiosk") == "1"


def rotation_seconds() -> int:
    """``?rotate=N`` turns through the domain views every N seconds; 0 (the default) keeps the overview."""
    value = st.query_params.get("rotate", "0")
    return int(value) if value.isdigit() else 0


def current_view() -> str:
    """The view to show now; derived from the clock, so every reload and restart lands on the same one."""
    period = rotation_seconds()
    return VIEWS[int(time.time() // period) % len(VIEWS)] if period else "all"


def screen_scale() -> float:
    """How much larger than on 1920×1080 everything is drawn (``?scale=``, 1 to 3)."""
    try:
        return min(3.0, max(1.0, float(st.query_params.get("scale", "1"))))
    except ValueError:
        return 1.0


def wall_scale() -> float:
    """How much larger than :data:`SIZES` everything is drawn: the screen's scale on a kiosk, and
    :data:`DESK_FACTOR` of it on a leader's own screen, where the sidebar takes a third of a laptop's width."""
    return screen_scale() * (1.0 if kiosk_mode() else DESK_FACTOR)


def px(size: float) -> int:
    """``size`` (one of :data:`SIZES`, in pixels on a 1920×1080 kiosk) on this screen."""
    return round(size * wall_scale())


def apply_layout() -> None:
    """The wall's type and spacing, every size from :data:`SIZES` times the screen's scale."""
    sizes = {
        name: px(getattr(SIZES, name)) for name in ("text", "label", "heading", "title", "figure", "gap", "tile_height")
    }
    css = WALL_CSS_TEMPLATE.substitute(
        sizes,
        root=round(16 * screen_scale()),
        ink=INK,
        gap_half=px(SIZES.gap / 2),
        tile_padding=px(SIZES.gap * 0.6),
        padding_side=px(SIZES.gap * 1.5),
        padding_bottom=px(SIZES.gap / 2),
        padding_top=px(SIZES.gap) if kiosk_mode() else round(HEADER_BAR * screen_scale()),
        alert_lines=ALERT_LINES,
    )
    st.html(css + SCALE_DETECTION + scheduled_reload(), unsafe_allow_javascript=True)


def hide_chrome_on_kiosk() -> None:
    """On a kiosk, hide Streamlit's header, toolbar, ⋮ menu and connection dialog on every screen the app draws
    (the wall, and the revoked or invalid link's message): a TV that nobody can touch shows only the app's words."""
    if kiosk_mode():
        st.html(KIOSK_CSS)


OUTAGE_PROBE_SECONDS = 5
OUTAGE_FAILED_PROBES = 2
"""The wall asks the server's health every :data:`OUTAGE_PROBE_SECONDS`; after this many failed answers in a row
(about ten seconds) it says its figures are stale, however long its refresh interval."""


def staleness_watch(rendered_at: str) -> None:
    """A banner that appears when the screen has not been refreshed for three intervals, or the server has not
    answered its health probe twice in a row.

    The marker changes on every refresh; a script in the browser notes when it
    last changed. If the server is down or the network drops, the probes fail
    (or the marker stops changing) and the banner says since when the figures
    are old, so nobody takes them for current ones. Once the server answers
    again the page reloads itself, since a restarted server no longer knows the
    screen.
    """
    message = t("wall.stale", time=rendered_at).replace('"', "&quot;")
    st.html(
        STALENESS_WATCH.format(
            version=f"{time.time():.3f}",
            stale_after=3 * refresh_seconds(),
            message=message,
            probe_ms=OUTAGE_PROBE_SECONDS * 1000,
            failed_probes=OUTAGE_FAILED_PROBES,
            reload=RELOAD_ONCE_THE_SERVER_ANSWERS,
        ),
        unsafe_allow_javascript=True,
    )


def risk_badge(level: str) -> str:
    return (
        f'<span class="wall-risk {level}">{t(f"situation.risk.{level}")}</span> '
        f'<span class="wall-strategy">{t(f"situation.risk.strategy.{level}")}</span>'
    )


def alert_html(alert: Alert) -> str:
    """An alert as a coloured line of the wall screen, in the words of :func:`data_layer.situation.alert_text`."""
    return alert_line_html(alert.severity, alert_text(alert, language()))


def alert_line_html(severity: str, text: str) -> str:
    """A line of the alert column: ``text`` as typed (escaped here), coloured by ``severity``, cut after
    :data:`ALERT_LINES` lines with an ellipsis, so that five alerts fit the column in either language."""
    return f'<div class="wall-alert {severity}">{_escape(text)}</div>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def last_change_text(moment: datetime | None) -> str:
    return format_moment(moment, language()) if moment else "—"


def body_width() -> float:
    """The width of the wall's content in pixels at :data:`SIZES` (the screen less its margins)."""
    return SIZES.screen_width - 3 * SIZES.gap


def tiles_per_row() -> int:
    """The seven headline figures side by side on the wall; four to a row beside a laptop's sidebar."""
    return 7 if kiosk_mode() else 4


def chart_height(rows: int) -> int:
    """The height of a chart (title and axes included) in a column of ``rows`` charts filling the wall's body."""
    return px((SIZES.body_height - (rows - 1) * SIZES.gap) / rows)


def style_config() -> dict[str, Any]:
    """Every chart's type sizes and ink, from :data:`SIZES` in one place (the browser cannot scale a chart): the
    Vega-Lite ``config`` of the wall's charts. A dict set on the spec once, where altair's ``configure_*`` would
    copy the whole chart five times (two fifths of building a wall's charts)."""
    return {
        "view": {"strokeWidth": 0},
        "axis": {
            "labelFontSize": px(SIZES.label),
            "labelColor": INK,
            "labelOpacity": 1,
            "titleFontSize": px(SIZES.label),
            "titleColor": INK,
            "labelLimit": px(320),
            "labelPadding": px(6),
            "tickSize": px(6),
            "gridOpacity": 0.35,
        },
        "title": {"fontSize": px(SIZES.label), "color": INK, "anchor": "start", "offset": px(10)},
        "legend": {
            "labelFontSize": px(SIZES.label),
            "labelColor": INK,
            "labelOpacity": 1,
            "symbolSize": px(SIZES.label) ** 2 / 2,
            "labelLimit": px(320),
            "padding": 0,
        },
        "text": {"fontSize": px(SIZES.label), "color": INK},
    }


def styled_spec(spec: Spec) -> Spec:
    """A chart's Vega-Lite spec with the wall's :func:`style_config`."""
    return {**spec, "config": style_config()}


def _count_axis() -> Spec:
    """An axis of counts: whole numbers only, few ticks."""
    return {"format": ",.0f", "tickMinStep": 1, "tickCount": 3}


def _day_axis() -> Spec:
    return {"format": "%m-%d", "tickCount": 4, "labelAngle": 0, "labelOverlap": True}


def _line_chart(
    rows: Sequence[Mapping[str, Any]],
    field: str,
    title: str,
    colour: str,
    height: int,
    share: bool = False,
    partial: str | None = None,
) -> Spec:
    """A daily trend of ``rows`` (each with its ``day``); a count on whole-number ticks from zero, a share
    (``share``) in percent. When the last day is not over, ``partial`` is its label ("截至 16:10"): that point
    is drawn hollow at the end of a dashed segment and labelled, so that a day's first hours are not read as a
    fall."""
    y_axis = {"format": ".0%", "tickCount": 3} if share else _count_axis()
    encoding = {
        "x": {"field": "day", "type": "temporal", "title": None, "axis": _day_axis()},
        "y": {"field": field, "type": "quantitative", "title": None, "scale": {"zero": not share}, "axis": y_axis},
        "tooltip": [
            {"field": "day", "type": "temporal"},
            {"field": field, "type": "quantitative", "format": ".1%" if share else ","},
        ],
    }
    fields = ("day", field)
    line_mark = {"type": "line", "color": colour, "strokeWidth": px(4)}
    line = {
        "data": inline_data(rows[:-1] if partial else rows, fields),
        "mark": {**line_mark, "point": {"size": px(60), "color": colour}},
        "encoding": encoding,
    }
    if not partial:
        return {**line, "title": title, "height": height}
    last = inline_data(rows[-1:], fields)
    dashed = {
        "data": inline_data(rows[-2:], fields),
        "mark": {**line_mark, "strokeDash": [px(8), px(6)]},
        "encoding": encoding,
    }
    hollow = {
        "data": last,
        "mark": {"type": "point", "filled": False, "size": px(220), "strokeWidth": px(4), "color": colour},
        "encoding": encoding,
    }
    label = {
        "data": last,
        "mark": {"type": "text", "align": "right", "baseline": "bottom", "dx": -px(10), "dy": -px(10)},
        "encoding": {"x": encoding["x"], "y": encoding["y"], "text": {"value": partial}},
    }
    return {"layer": [line, dashed, hollow, label], "title": title, "height": height}


def partial_label(as_of: datetime | None) -> str | None:
    """The label of a trend's last point while its day is not over (``as_of``), else ``None``."""
    return None if as_of is None else t("wall.partial_point", time=as_of.strftime("%H:%M"))


def trend_charts(day: date, days: int = TREND_DAYS, as_of: datetime | None = None) -> list[Spec]:
    """The 14-day trends of the headline figures: people checked, under quarantine, reopen rate, fever; the
    last point is marked partial while ``day`` is not over (``as_of``, :func:`data_layer.clock.figures_moment`)."""
    checked = read(checkpoints.daily_trend, day, days)
    held = read(quarantine.daily_current, day, days)
    reopening = [{**row, "day": row["date"]} for row in read(enterprises.reopen_trend, day, days)]
    height, partial = chart_height(2), partial_label(as_of)
    return [
        _line_chart(
            checked,
            "persons",
            t("briefing.figure.checkpoints.persons"),
            CHECKPOINT_COLOURS["persons"],
            height,
            partial=partial,
        ),
        _line_chart(
            held,
            "total",
            t("briefing.figure.quarantine.current_total"),
            QUARANTINE_TOTAL_COLOUR,
            height,
            partial=partial,
        ),
        _line_chart(
            reopening,
            "reopen_rate",
            t("briefing.figure.enterprises.reopen_rate"),
            REOPEN_TREND_COLOUR,
            height,
            share=True,
            partial=partial,
        ),
        _line_chart(
            checked,
            "fever",
            t("briefing.figure.checkpoints.fever"),
            CHECKPOINT_COLOURS["fever"],
            height,
            partial=partial,
        ),
    ]


def _colour(colour: Spec | str) -> tuple[Spec, tuple[str, ...]]:
    """A chart's colour (one colour, or an encoding by a field) as its encoding, and the field it reads."""
    if isinstance(colour, dict):
        return colour, (colour["field"],)
    return {"value": colour}, ()


def _bar_chart(
    rows: Sequence[Mapping[str, Any]],
    category: str,
    value: str,
    title: str,
    colour: Spec | str,
    height: int,
    digits: int = 0,
) -> Spec:
    """Bars of a count or an amount per category (largest first) on whole-number ticks; ``colour`` one colour
    or a colour encoding."""
    colour_encoding, colour_fields = _colour(colour)
    return {
        "data": inline_data(rows, (category, value, *colour_fields)),
        "title": title,
        "height": height,
        "mark": {"type": "bar"},
        "encoding": {
            "y": {"field": category, "type": "nominal", "sort": "-x", "title": None},
            "x": {"field": value, "type": "quantitative", "title": None, "axis": _count_axis()},
            "color": colour_encoding,
            "tooltip": [
                {"field": category, "type": "nominal"},
                {"field": value, "type": "quantitative", "format": f",.{digits}f"},
            ],
        },
    }


def _share_chart(
    rows: Sequence[Mapping[str, Any]],
    category: str,
    part: str,
    whole: str,
    title: str,
    colour: Spec | str,
    height: int,
) -> Spec:
    """Bars of ``part`` out of ``whole`` per category, drawn against 0–100 % of the whole, each with its
    numbers written beside it (1 / 120): one bed of 120 is a sliver, not a full bar."""
    colour_encoding, colour_fields = _colour(colour)
    shares = [
        {
            **row,
            "share": row[part] / row[whole] if row[whole] > 0 else None,
            "numbers": f"{format_number(row[part], language())} / {format_number(row[whole], language())}",
        }
        for row in rows
    ]
    encoding = {
        "y": {"field": category, "type": "nominal", "sort": "-x", "title": None},
        "x": {
            "field": "share",
            "type": "quantitative",
            "title": None,
            "scale": {"domain": [0, 1], "clamp": True},
            "axis": {"format": ".0%", "values": [0, 0.5, 1]},
        },
    }
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            **encoding,
            "color": colour_encoding,
            "tooltip": [
                {"field": category, "type": "nominal"},
                {"field": "numbers", "type": "nominal"},
                {"field": "share", "type": "quantitative", "format": ".1%"},
            ],
        },
    }
    numbers = {
        "mark": {"type": "text", "align": "left", "dx": px(8)},
        "encoding": {**encoding, "text": {"field": "numbers", "type": "nominal"}},
    }
    return {
        "data": inline_data(shares, (category, "share", "numbers", *colour_fields)),
        "layer": [bars, numbers],
        "title": title,
        "height": height,
    }


def detail_charts(view: str, day: date) -> list[Spec]:
    """The charts of one domain view of the rotation (no personal data in any of them)."""
    if view == "checkpoints":
        return [
            _bar_chart(
                read(checkpoints.checkpoint_table, day),
                "name",
                "persons",
                t("wall.detail.persons_by_checkpoint"),
                CHECKPOINT_COLOURS["persons"],
                chart_height(1),
            )
        ]
    if view == "quarantine":
        return [
            _share_chart(
                read(quarantine.site_occupancy, day),
                "name",
                "occupied",
                "capacity",
                t("wall.detail.site_occupancy"),
                QUARANTINE_MODE_COLOURS["centralized"],
                chart_height(1),
            ),
            beds_outlook_grid(
                read(quarantine.beds_outlook, day),
                t("wall.detail.beds_outlook", days=quarantine.BEDS_OUTLOOK_DAYS),
                chart_height(1) - px(SIZES.label * 3),
            ),
        ]
    if view == "supplies":
        stock = [
            {
                **row,
                "cover": min(60.0, 99.0 if row["days_of_cover"] is None else row["days_of_cover"]),
                "status_label": t(f"wall.supply_status.{row['status']}"),
            }
            for row in read(supplies.figures, day)
        ]
        colour = {
            "field": "status_label",
            "type": "nominal",
            "title": None,
            "legend": {"orient": "top"},
            "scale": {
                "domain": [t(f"wall.supply_status.{status}") for status in supplies.STATUSES],
                "range": [STATUS_COLOURS[status] for status in supplies.STATUSES],
            },
        }
        return [
            _bar_chart(
                stock,
                "item",
                "cover",
                t("wall.detail.days_of_cover"),
                colour,
                chart_height(1) - px(SIZES.label * 2),
                digits=1,
            )
        ]
    sectors = read(enterprises.reopen_rates, day, "sector")
    overall = sum(row["reopened"] for row in sectors) / max(sum(row["total"] for row in sectors), 1)
    paced = [
        {**row, "pace": REOPEN_LAG_COLOUR if row["reopen_rate"] < overall else REOPEN_AHEAD_COLOUR} for row in sectors
    ]
    trend = [{**row, "day": row["date"]} for row in read(enterprises.reopen_trend, day, 30)]
    return [
        _share_chart(
            paced,
            "group",
            "reopened",
            "total",
            t("wall.detail.reopen_by_sector"),
            {"field": "pace", "type": "nominal", "scale": None},
            chart_height(1),
        ),
        _line_chart(
            trend,
            "reopen_rate",
            t("briefing.figure.enterprises.reopen_rate"),
            REOPEN_TREND_COLOUR,
            chart_height(1),
            share=True,
        ),
    ]


def checkpoint_map(day: date, width: float) -> None:
    """The checkpoint map of the wall screen, ``width`` pixels (at :data:`SIZES`) wide and as high as the body;
    its names as large as the wall's smallest text, and only those of checkpoints and grids, since a compound's
    name at that size would cover its neighbours'; checkpoints without a position are named under it."""
    rows = read(checkpoints.checkpoint_table, day)
    height = px(SIZES.body_height - SIZES.map_legend)
    label_scale = px(SIZES.text) / AREA_LABEL_SIZE
    deck, unplaced, _notes = checkpoint_deck(
        rows, height, px(width), scale=wall_scale(), label_scale=label_scale, compound_names=False
    )
    st.pydeck_chart(deck, height=height, alt=t("checkpoints.page.map_alt"))
    st.caption(
        t("checkpoints.page.map_legend")
        + ("　" + t("wall.unplaced", names="、".join(map(plain, unplaced))) if unplaced else "")
    )


def chart_specs(build: Callable[..., list[Spec]], *args: object) -> list[Spec]:
    """The Vega-Lite specs of the charts ``build(*args)`` makes, styled for this screen, built once for every wall
    showing the same data in the same language at the same scale.

    Every open wall is redrawn when an entry arrives: built by each, the charts made the last of twenty walls
    wait seconds. The charts show counts only, never a person, so one wall's specs serve every other's. They
    are written as Vega-Lite specs, not built with altair, whose object model spent some tenths of a second of
    CPU on each set (two fifths of the server's time at shift change, ``benchmarks/bench_sessions.py``)."""
    return _chart_specs(build.__module__, build.__name__, args, language(), wall_scale(), data_version())


@st.cache_data(max_entries=64, show_spinner=False)
def _chart_specs(module: str, name: str, args: tuple, language: str, scale: float, version: int) -> list[Spec]:
    build = getattr(importlib.import_module(module), name)
    return [styled_spec(spec) for spec in build(*args)]


def draw_charts(specs: list[Spec], per_row: int, widths: tuple[float, ...] | None = None) -> None:
    """Draw charts (:func:`chart_specs`) in rows of ``per_row``, in columns of equal width unless ``widths`` gives
    their shares."""
    for row_start in range(0, len(specs), per_row):
        for column, spec in zip(
            st.columns(widths or per_row, gap="medium"), specs[row_start : row_start + per_row], strict=False
        ):
            column.vega_lite_chart(spec, width="stretch")
