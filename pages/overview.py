"""Overview (指挥大屏): today's figures of all four domains with the change since yesterday."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from data_layer import clock, db
from data_layer.i18n import format_day, format_moment, format_number
from ui.session import briefing_pair, engine, language, t


@dataclass(frozen=True)
class Tile:
    """One headline figure: where it is in the briefing JSON and whether a rise is bad news."""

    section: str
    path: tuple[str, ...]
    label: str
    rise_is_bad: bool | None = None
    digits: int = 0
    percent: bool = False


TILES = {
    "checkpoints": (
        Tile("checkpoints", ("persons",), "briefing.figure.checkpoints.persons"),
        Tile("checkpoints", ("vehicles",), "briefing.figure.checkpoints.vehicles"),
        Tile("checkpoints", ("fever",), "briefing.figure.checkpoints.fever", rise_is_bad=True),
        Tile("checkpoints", ("turned_back",), "briefing.figure.checkpoints.turned_back"),
    ),
    "quarantine": (
        Tile("quarantine", ("current", "total"), "briefing.figure.quarantine.current_total", rise_is_bad=True),
        Tile("quarantine", ("current", "centralized"), "briefing.figure.quarantine.current_centralized",
             rise_is_bad=True),
        Tile("quarantine", ("due_next_3_days",), "briefing.figure.quarantine.due_next_3_days"),
        Tile("quarantine", ("overdue",), "briefing.figure.quarantine.overdue", rise_is_bad=True),
    ),
    "enterprises": (
        Tile("enterprises", ("reopen_rate",), "briefing.figure.enterprises.reopen_rate", rise_is_bad=False,
             digits=1, percent=True),
        Tile("enterprises", ("reopened",), "briefing.figure.enterprises.reopened", rise_is_bad=False),
        Tile("enterprises", ("not_reopened",), "briefing.figure.enterprises.not_reopened", rise_is_bad=True),
        Tile("enterprises", ("rectifications_overdue",), "briefing.figure.enterprises.rectifications_overdue",
             rise_is_bad=True),
    ),
}


def _value(figures: dict, tile: Tile) -> float | int:
    value = figures[tile.section]
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
    st.metric(t(tile.label), format_number(now, language(), tile.digits) + suffix,
              delta=format_number(change, language(), tile.digits) + suffix if change else None,
              delta_color=_delta_colour(tile), border=True)


def supply_summary(today: dict, before: dict) -> None:
    """Supplies as two tiles: how many items are below safety stock, and the shortest days of cover."""
    below_now = sum(item["below_safety"] for item in today["supplies"])
    below_then = sum(item["below_safety"] for item in before["supplies"])
    st.metric(t("overview.items_below_safety"), below_now, delta=(below_now - below_then) or None,
              delta_color="inverse", border=True)
    covered = [item for item in today["supplies"] if item["days_of_cover"] is not None]
    if covered:
        shortest = min(covered, key=lambda item: item["days_of_cover"])
        st.metric(t("overview.shortest_cover", item=shortest["item"]),
                  t("overview.days", days=format_number(shortest["days_of_cover"], language(), 1)), border=True)
    for item in today["supplies"]:
        if item["below_safety"]:
            alert(t("overview.below_safety_item", item=item["item"],
                    on_hand=format_number(item["on_hand"], language()), unit=item["unit"]))


def alert(text: str) -> None:
    """An alert line; drawn as content, not as a Streamlit error box, which means the page itself failed."""
    st.markdown(f":red-background[⚠ {text}]")


def reporting_line(today: dict) -> None:
    checkpoints = today["checkpoints"]
    if checkpoints["not_reported"]:
        alert(t("briefing.some_not_reported", reported=checkpoints["reported_checkpoints"],
                active=checkpoints["active_checkpoints"], names="、".join(checkpoints["not_reported"])))
    else:
        st.markdown(f":green-background[✓ {t('briefing.all_reported', count=checkpoints['active_checkpoints'])}]")


report_day = clock.today()
today, before = briefing_pair(report_day)
last = db.last_change(engine())
st.title(t("overview.title"))
st.caption(t("overview.as_of", date=format_day(report_day, language()),
             changed=format_moment(last, language()) if last else "—"))

columns = st.columns(4)
sections = (("checkpoints", "briefing.section.checkpoints"), ("quarantine", "briefing.section.quarantine"),
            ("supplies", "briefing.section.supplies"), ("enterprises", "briefing.section.enterprises"))
for column, (section, heading) in zip(columns, sections, strict=True):
    with column:
        st.subheader(t(heading))
        if section == "supplies":
            supply_summary(today, before)
            continue
        for tile in TILES[section]:
            show_tile(tile, today, before)
        if section == "checkpoints":
            reporting_line(today)
