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

import time
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from data_layer import checkpoints, enterprises, quarantine, settings, supplies
from data_layer.i18n import format_moment
from data_layer.markdown import plain
from data_layer.situation import Alert, alert_text
from ui.checkpoints import checkpoint_deck
from ui.session import language, read, t

VIEWS = ("all", "checkpoints", "quarantine", "supplies", "enterprises")
CHART_HEIGHT = 150
DETAIL_HEIGHT = 390
MAP_HEIGHT = 400
SEVERITY_COLOURS = {"high": "red", "medium": "orange"}
WALL_CSS_TEMPLATE = """
<style>
  .block-container { padding: 3.4rem 1.5rem 0.5rem 1.5rem; max-width: 100%; }
  [data-testid="stMetric"] { padding: 0.5rem 0.8rem; min-height: 8.2rem; }
  [data-testid="stMetricValue"] { font-size: 2.3rem; line-height: 1.1; }
  [data-testid="stMetricValue"] > div { overflow: visible; text-overflow: clip; }
  [data-testid="stMetricLabel"] p { font-size: 1.1rem; white-space: normal; line-height: 1.25; }
  div:has(> [data-testid="stMetricLabel"]) { padding: 0 !important; }
  [data-testid="stMetricLabel"] > div { overflow: visible; }
  [data-testid="stMetricDelta"] { font-size: 1.1rem; }
  h1 { font-size: 2.4rem !important; }
  h3 { font-size: 1.5rem !important; }
  .wall-alert { font-size: 1.2rem; line-height: 1.35; padding: 0.4rem 0.7rem; margin-bottom: 0.4rem;
                border-radius: 0.4rem; }
  .wall-alert.high { background: #991b1b; color: #fff; }
  .wall-alert.medium { background: #92400e; color: #fff; }
  .wall-alert.calm { background: #14532d; color: #fff; }
  .wall-risk { display: inline-block; font-size: 1.6rem; font-weight: 700; padding: 0.15rem 0.9rem;
               border-radius: 0.4rem; color: #fff; }
  .wall-risk.low { background: #15803d; } .wall-risk.medium { background: #b45309; }
  .wall-risk.high { background: #b91c1c; }
  .wall-status { font-size: 1.15rem; margin-top: 0.35rem; }
  html { font-size: {base_font}px; }
</style>
"""
KIOSK_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"], [data-testid="stStatusWidget"],
  [data-testid="stMainMenu"] { display: none !important; }
  .block-container { padding-top: 0.6rem; }
  [data-testid="stMetricValue"] { font-size: 2.9rem; }
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
STALENESS_WATCH = """
<div id="wall-freshness" data-version="{version}" data-stale-after="{stale_after}"
     data-message="{message}" style="display:none"></div>
<script>
(() => {{
  if (window.wallFreshnessWatch) return;
  window.wallFreshnessWatch = true;
  let seenVersion = null, seenAt = Date.now();
  const banner = document.createElement('div');
  banner.id = 'wall-stale-banner';
  banner.style.cssText = 'position:fixed;top:0;left:0;right:0;z-index:999999;display:none;padding:0.6rem;' +
    'background:#b91c1c;color:#fff;font-size:1.6rem;font-weight:700;text-align:center;';
  document.body.appendChild(banner);
  setInterval(() => {{
    const marker = document.getElementById('wall-freshness');
    if (!marker) return;
    if (marker.dataset.version !== seenVersion) {{ seenVersion = marker.dataset.version; seenAt = Date.now(); }}
    const stale = Date.now() - seenAt > Number(marker.dataset.staleAfter) * 1000;
    banner.textContent = marker.dataset.message;
    banner.style.display = stale ? 'block' : 'none';
    if (stale) reloadOnceTheServerAnswers();
  }}, 1000);
  // A restarted server has forgotten this screen's session; reloading the page's own address (with its
  // device token and kiosk setting) signs the screen in again. At most one reload every 30 seconds.
  let probing = false;
  function reloadOnceTheServerAnswers() {{
    const last = Number(sessionStorage.getItem('wallReloadedAt') || 0);
    if (probing || Date.now() - last < 30000) return;
    probing = true;
    fetch(new URL('_stcore/health', window.location.href), {{cache: 'no-store'}})
      .then((answer) => {{
        if (answer.ok) {{ sessionStorage.setItem('wallReloadedAt', String(Date.now())); window.location.reload(); }}
      }})
      .catch(() => {{}})
      .finally(() => {{ probing = false; }});
  }}
}})();
</script>
"""


def refresh_seconds() -> int:
    """How often the wall screen reads the data again (``COMMAND_POST_REFRESH_SECONDS``, default 15)."""
    return settings.REFRESH_SECONDS.value()


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


def scaled(size: float) -> int:
    return round(size * screen_scale())


def apply_layout() -> None:
    css = WALL_CSS_TEMPLATE.replace("{base_font}", str(scaled(16)))
    st.html(css + (KIOSK_CSS if kiosk_mode() else "") + SCALE_DETECTION, unsafe_allow_javascript=True)


def staleness_watch(rendered_at: str) -> None:
    """A banner that appears when the screen has not been refreshed for three intervals.

    The marker changes on every refresh; a script in the browser notes when it
    last changed. If the server is down or the network drops, the marker stops
    changing and the banner says since when the figures are old, so nobody
    takes them for current ones. Once the server answers again the page
    reloads itself, since a restarted server no longer knows the screen.
    """
    message = t("wall.stale", time=rendered_at).replace('"', "&quot;")
    st.html(STALENESS_WATCH.format(version=f"{time.time():.3f}", stale_after=3 * refresh_seconds(),
                                   message=message), unsafe_allow_javascript=True)


def risk_badge(level: str) -> str:
    return (f'<span class="wall-risk {level}">{t(f"situation.risk.{level}")}</span> '
            f'<span style="font-size:1.2rem">{t(f"situation.risk.strategy.{level}")}</span>')


def alert_html(alert: Alert) -> str:
    """An alert as a coloured line of the wall screen, in the words of :func:`data_layer.situation.alert_text`."""
    return alert_line_html(alert.severity, alert_text(alert, language()))


def alert_line_html(severity: str, text: str) -> str:
    """A line of the alert column: ``text`` as typed (escaped here), coloured by ``severity``."""
    return f'<div class="wall-alert {severity}">{_escape(text)}</div>'


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def last_change_text(moment) -> str:
    return format_moment(moment, language()) if moment else "—"


def _line_chart(frame: pd.DataFrame, field: str, title: str, colour: str, fmt: str = ",.0f",
                height: int = CHART_HEIGHT) -> alt.Chart:
    whole_numbers = fmt.endswith("0f")
    return (alt.Chart(frame, title=_title(title))
            .mark_line(point=True, color=colour, strokeWidth=scaled(3))
            .encode(x=alt.X("day:T", title=None, axis=_axis(format="%m-%d", tickCount=7)),
                    y=alt.Y(f"{field}:Q", title=None, scale=alt.Scale(zero=whole_numbers),
                            axis=_axis(format=fmt, tickCount=4, tickMinStep=1 if whole_numbers else alt.Undefined)),
                    tooltip=[alt.Tooltip("day:T"), alt.Tooltip(f"{field}:Q", format=fmt)])
            .properties(height=scaled(height)))


def _title(text: str) -> alt.TitleParams:
    return alt.TitleParams(text, fontSize=scaled(18), anchor="start")


def _legend() -> alt.Legend:
    return alt.Legend(orient="top", labelFontSize=scaled(14))


def _axis(**options: object) -> alt.Axis:
    return alt.Axis(labelFontSize=scaled(13), labelLimit=scaled(260), **options)


def trend_charts(day: date, days: int = 14) -> list[alt.Chart]:
    """The 14-day trends of the headline figures: people checked, under quarantine, reopen rate, fever."""
    checked = pd.DataFrame(read(checkpoints.daily_trend, day, days))
    held = pd.DataFrame(read(quarantine.daily_current, day, days))
    reopening = pd.DataFrame(read(enterprises.reopen_trend, day, days)).rename(columns={"date": "day"})
    return [
        _line_chart(checked, "persons", t("briefing.figure.checkpoints.persons"), "#60a5fa"),
        _line_chart(held, "total", t("briefing.figure.quarantine.current_total"), "#f59e0b"),
        _line_chart(reopening, "reopen_rate", t("briefing.figure.enterprises.reopen_rate"), "#34d399", ".1%"),
        _line_chart(checked, "fever", t("briefing.figure.checkpoints.fever"), "#f87171"),
    ]


def _bar_chart(frame: pd.DataFrame, category: str, value: str, title: str, fmt: str = ",.0f",
               colour: alt.Color | str = "#60a5fa") -> alt.Chart:
    colour_encoding = colour if isinstance(colour, alt.Color) else alt.value(colour)
    return (alt.Chart(frame, title=_title(title))
            .mark_bar()
            .encode(y=alt.Y(f"{category}:N", sort="x" if fmt.endswith("%") else "-x", title=None, axis=_axis()),
                    x=alt.X(f"{value}:Q", title=None, axis=_axis(format=fmt)),
                    color=colour_encoding,
                    tooltip=[alt.Tooltip(f"{category}:N"), alt.Tooltip(f"{value}:Q", format=fmt)])
            .properties(height=scaled(DETAIL_HEIGHT)))


def detail_charts(view: str, day: date) -> list[alt.Chart]:
    """The charts of one domain view of the rotation (no personal data in any of them)."""
    if view == "checkpoints":
        table = pd.DataFrame(read(checkpoints.checkpoint_table, day))
        return [_bar_chart(table, "name", "persons", t("wall.detail.persons_by_checkpoint"))]
    if view == "quarantine":
        sites = pd.DataFrame(read(quarantine.site_occupancy, day))
        held = pd.DataFrame(read(quarantine.daily_current, day, 30))
        modes = held.melt(id_vars="day", value_vars=list(quarantine.MODES), var_name="mode", value_name="count")
        modes["mode"] = modes["mode"].map(lambda code: t(f"quarantine.code.{code}"))
        return [_bar_chart(sites, "name", "rate", t("wall.detail.site_occupancy"), ".0%", "#f59e0b"),
                (alt.Chart(modes, title=_title(t("wall.detail.quarantine_by_mode")))
                 .mark_area().encode(x=alt.X("day:T", title=None, axis=_axis(format="%m-%d")),
                                     y=alt.Y("count:Q", stack=True, title=None, axis=_axis()),
                                     color=alt.Color("mode:N", title=None, legend=_legend()))
                 .properties(height=scaled(DETAIL_HEIGHT)))]
    if view == "supplies":
        stock = pd.DataFrame(read(supplies.figures, day))
        stock["cover"] = stock["days_of_cover"].fillna(99).clip(upper=60)
        stock["status_label"] = stock["status"].map(lambda status: t(f"wall.supply_status.{status}"))
        colour = alt.Color("status_label:N", title=None, legend=_legend(),
                           scale=alt.Scale(domain=[t(f"wall.supply_status.{status}") for status in supplies.STATUSES],
                                           range=["#34d399", "#f59e0b", "#f97316", "#ef4444"]))
        return [_bar_chart(stock, "item", "cover", t("wall.detail.days_of_cover"), ",.1f", colour)]
    sectors = pd.DataFrame(read(enterprises.reopen_rates, day, "sector"))
    trend = pd.DataFrame(read(enterprises.reopen_trend, day, 30)).rename(columns={"date": "day"})
    return [_bar_chart(sectors, "group", "reopen_rate", t("wall.detail.reopen_by_sector"), ".0%", "#34d399"),
            _line_chart(trend, "reopen_rate", t("briefing.figure.enterprises.reopen_rate"), "#34d399", ".1%",
                        DETAIL_HEIGHT)]


def checkpoint_map(day: date) -> None:
    """The checkpoint map of the wall screen; checkpoints without a position are named under it."""
    deck, unplaced, _notes = checkpoint_deck(read(checkpoints.checkpoint_table, day), scaled(MAP_HEIGHT))
    st.pydeck_chart(deck, height=scaled(MAP_HEIGHT), alt=t("checkpoints.page.map_alt"))
    st.caption(t("checkpoints.page.map_legend") + (
        "　" + t("wall.unplaced", names="、".join(map(plain, unplaced))) if unplaced else ""))


def draw_charts(charts: list[alt.Chart], per_row: int) -> None:
    """Draw charts in rows of ``per_row``."""
    for row_start in range(0, len(charts), per_row):
        for column, chart in zip(st.columns(per_row), charts[row_start:row_start + per_row], strict=False):
            column.altair_chart(chart.configure_view(strokeWidth=0), width="stretch")
