"""Wall screen (指挥大屏): today's situation at a glance, refreshing itself.

Everything that changes lives in one fragment. A new entry draws the page again
within a second (the live check that ``guard`` starts, ui.live.follow_live_data);
when nothing is entered the fragment still reruns every refresh interval, for what
moves with the clock (the time the figures stand at, the rotation, the day's turn). Nothing on
this page names a person: tiles and alerts are counts, and the only names are
those of checkpoints, sites, items and enterprises. The page is read-only for
every role: the administrator sets the risk level on the administration page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import streamlit as st

from data_layer import briefing, clock, db, situation
from data_layer.i18n import format_short_number
from ui import wall
from ui.live import begin_self_refresh
from ui.navigation import guard
from ui.session import briefing_pair, engine, language, read, t

guard("overview")


@dataclass(frozen=True)
class Tile:
    """One figure of a domain: where it is in the briefing JSON, whether a rise is bad news, and whether it is
    one of the few headline figures a leader acts on (the wall's overview shows only those, large enough to
    read from across the room; each domain's view of the rotation shows all of its figures)."""

    path: tuple[str, ...]
    label: str
    rise_is_bad: bool | None = None
    digits: int = 0
    percent: bool = False
    headline: bool = False


TILES = {
    "checkpoints": (
        Tile(("checkpoints", "persons"), "briefing.figure.checkpoints.persons", headline=True),
        Tile(("checkpoints", "vehicles"), "briefing.figure.checkpoints.vehicles"),
        Tile(("checkpoints", "fever"), "briefing.figure.checkpoints.fever", rise_is_bad=True, headline=True),
        Tile(("checkpoints", "turned_back"), "briefing.figure.checkpoints.turned_back"),
    ),
    "quarantine": (
        Tile(
            ("quarantine", "current", "total"),
            "briefing.figure.quarantine.current_total",
            rise_is_bad=True,
            headline=True,
        ),
        Tile(
            ("quarantine", "current", "centralized"), "briefing.figure.quarantine.current_centralized", rise_is_bad=True
        ),
        Tile(("quarantine", "due_next_3_days"), "briefing.figure.quarantine.due_next_3_days"),
        Tile(("quarantine", "overdue"), "briefing.figure.quarantine.overdue", rise_is_bad=True, headline=True),
    ),
    "supplies": (
        Tile(("supply_summary", "below_safety"), "overview.items_below_safety", rise_is_bad=True),
        Tile(("supply_summary", "under_3_days"), "overview.items_under_3_days", rise_is_bad=True, headline=True),
        Tile(("supply_summary", "in_today"), "overview.supply_receipts"),
        Tile(("supply_summary", "out_today"), "overview.supply_issues"),
    ),
    "enterprises": (
        Tile(
            ("enterprises", "reopen_rate"),
            "briefing.figure.enterprises.reopen_rate",
            rise_is_bad=False,
            digits=1,
            percent=True,
            headline=True,
        ),
        Tile(("enterprises", "reopened"), "briefing.figure.enterprises.reopened", rise_is_bad=False, headline=True),
        Tile(("enterprises", "not_reopened"), "briefing.figure.enterprises.not_reopened", rise_is_bad=True),
        Tile(
            ("enterprises", "rectifications_overdue"),
            "briefing.figure.enterprises.rectifications_overdue",
            rise_is_bad=True,
        ),
    ),
}
HEADLINE = tuple(tile for tiles in TILES.values() for tile in tiles if tile.headline)
# The wall's body below the tiles, as shares of its width: the map, the charts, the alerts.
BODY_COLUMNS = (1.3, 2.3, 1.2)


def with_supply_summary(briefing: dict) -> dict:
    """The briefing plus counts over all supply items, which is what a tile can show."""
    items = briefing["supplies"]
    summary = {
        "below_safety": sum(item["below_safety"] for item in items),
        "under_3_days": sum(item["status"] in ("under_3_days", "out") for item in items),
        "in_today": sum(item["in_today"] for item in items),
        "out_today": sum(item["out_today"] for item in items),
    }
    return {**briefing, "supply_summary": summary}


def _value(figures: dict, tile: Tile) -> float | int:
    value = figures
    for key in tile.path:
        value = value[key]
    return value * 100 if tile.percent else value


def _delta_colour(tile: Tile) -> str:
    if tile.rise_is_bad is None:
        return "off"
    return "inverse" if tile.rise_is_bad else "normal"


def show_tile(tile: Tile, today: dict, before: dict) -> None:
    now, then = _value(today, tile), _value(before, tile)
    suffix = "%" if tile.percent else ""
    change = round(now - then, tile.digits)
    st.metric(
        t(tile.label),
        format_short_number(now, language(), tile.digits) + suffix,
        delta=format_short_number(change, language(), tile.digits) + suffix if change else None,
        delta_color=_delta_colour(tile),
        border=True,
    )


def tiles_of(view: str) -> tuple[Tile, ...]:
    """The headline figures on the overview; all of a domain's figures on its view of the rotation."""
    return HEADLINE if view == "all" else TILES[view]


def show_tiles(tiles: tuple[Tile, ...], today: dict, before: dict) -> None:
    per_row = wall.tiles_per_row()
    for row_start in range(0, len(tiles), per_row):
        for cell, tile in zip(st.columns(per_row), tiles[row_start : row_start + per_row], strict=False):
            with cell:
                show_tile(tile, today, before)


def show_header(report_day: date, as_of: datetime | None, rendered_at: str) -> None:
    """The title, the risk level and when the figures stand (截至 16:10 today, as the briefing says it)."""
    title, risk, status = st.columns([2.5, 1.3, 1.4], vertical_alignment="center")
    title.title(t("overview.title"))
    risk.html(wall.risk_badge(situation.risk_level(engine())))
    status.html(
        "<div class='wall-status'>"
        + t("overview.as_of", as_of=briefing.as_of_text(report_day, as_of, language()), changed=rendered_at)
        + "</div>"
    )


def show_alerts(report_day: date, as_of: datetime | None) -> None:
    """The day's alerts, read by the day and the moment alone: handed the day's figures, the cached read would
    hash them at every redraw of every wall, a fifth of a redraw, where the process reads them once a version."""
    st.subheader(t("wall.alerts"))
    found = read(situation.alerts, report_day, None, as_of)
    if found:
        st.html("".join(wall.alert_html(alert) for alert in found[: wall.MAX_ALERTS]))
    else:
        st.html(f'<div class="wall-alert calm">{t("wall.no_alerts")}</div>')
    if len(found) > wall.MAX_ALERTS:
        st.caption(t("wall.more_alerts", count=len(found) - wall.MAX_ALERTS))
    st.caption(t("wall.legend"))


@st.fragment(run_every=wall.refresh_seconds())
def wall_screen() -> None:
    begin_self_refresh()
    report_day = clock.today()
    as_of = clock.figures_moment(report_day)
    today, before = (with_supply_summary(figures) for figures in briefing_pair(report_day, as_of))
    rendered_at = wall.last_change_text(db.last_change(engine()))
    show_header(report_day, as_of, rendered_at)
    view = wall.current_view()
    show_tiles(tiles_of(view), today, before)
    map_share, charts_share, alerts_share = BODY_COLUMNS
    if view in ("all", "checkpoints"):
        map_column, chart_column, side = st.columns(BODY_COLUMNS, gap="medium")
        with map_column:
            wall.checkpoint_map(report_day, wall.body_width() * map_share / sum(BODY_COLUMNS))
    else:
        chart_column, side = st.columns([map_share + charts_share, alerts_share], gap="medium")
    with chart_column:
        if view == "all":
            wall.draw_charts(wall.chart_specs(wall.trend_charts, report_day, wall.TREND_DAYS, as_of), per_row=2)
        else:
            specs = wall.chart_specs(wall.detail_charts, view, report_day)
            wall.draw_charts(specs, per_row=len(specs), widths=wall.DETAIL_WIDTHS.get(view))
    with side:
        show_alerts(report_day, as_of)
    wall.staleness_watch(clock.now().strftime("%H:%M:%S"))


wall.apply_layout()
wall_screen()
