"""Checkpoints (卡口通行): a day's throughput, fever readings and silent checkpoints; shift entry and corrections.

Admins and leaders pick any past report date; a clerk sees today's figures
and the entry form for their own checkpoints (design §8). Leaders see every
figure and entry but no form; the master data is the administrator's.
"""

from __future__ import annotations

from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from data_layer.checkpoints import (
    COUNT_FIELDS,
    DOMAIN,
    checkpoint_table,
    daily_trend,
    figures,
    hourly_throughput,
    recent_entries,
)
from data_layer.db import Actor
from data_layer.i18n import format_day, format_moment
from data_layer.markdown import plain
from data_layer.permissions import is_admin, may_view, may_write
from ui.charts import draw_chart, once_per_version
from ui.checkpoints import (
    LAST_CHECKPOINT_KEY,
    checkpoint_map,
    checkpoints_for,
    correction_form,
    count_entry_form,
    master_data_tab,
    period_text,
)
from ui.colours import ALARM_CELL, CHECKPOINT_COLOURS
from ui.common import number, report_day
from ui.messages import content_alert
from ui.navigation import guard
from ui.session import actor, language, read, t

guard("checkpoints")

TREND_DAYS = 14
CHART_COLOURS = CHECKPOINT_COLOURS


def figure_name(name: str) -> str:
    return t(f"checkpoints.field.{name}")


# Figures --------------------------------------------------------------------------------------------------------


def headline(day: date) -> None:
    """The §4.1 figures of the day with the change since the day before, and the running totals."""
    today, before = read(figures, day), read(figures, day - timedelta(days=1))
    columns = st.columns(len(COUNT_FIELDS) + 1)
    for column, name in zip(columns, COUNT_FIELDS, strict=False):
        change = today[name] - before[name]
        column.metric(
            figure_name(name),
            number(today[name]),
            delta=number(change) if change else None,
            delta_color="inverse" if name == "fever" else "off",
            border=True,
        )
    columns[-1].metric(
        t("checkpoints.figure.reported_checkpoints"),
        f"{today['reported_checkpoints']} / {today['active_checkpoints']}",
        border=True,
    )
    cumulative = st.columns(len(COUNT_FIELDS) + 1)
    for column, name in zip(cumulative, COUNT_FIELDS, strict=False):
        column.metric(t(f"checkpoints.page.cumulative.{name}"), number(today["cumulative"][name]))
    st.caption(t("checkpoints.page.change_note"))
    if today["not_reported"]:
        content_alert(
            t(
                "checkpoints.page.not_reported",
                count=len(today["not_reported"]),
                names=t("checkpoints.page.separator").join(map(plain, today["not_reported"])),
            )
        )
    else:
        st.markdown(f":green-background[✓ {t('checkpoints.page.all_reported', count=today['active_checkpoints'])}]")


def fever_line(rows: list[dict]) -> None:
    """Every checkpoint with a fever reading on the day, in red, so none is overlooked."""
    feverish = [row for row in rows if row["fever"]]
    if feverish:
        places = t("checkpoints.page.separator").join(
            f"{plain(row['name'])} {number(row['fever'])}" for row in feverish
        )
        content_alert(
            t("checkpoints.page.fever_alert", count=number(sum(row["fever"] for row in feverish)), places=places)
        )


def checkpoint_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("checkpoints.field.name"): [row["name"] for row in rows],
            t("checkpoints.field.grid"): [row["grid"] for row in rows],
            t("checkpoints.field.kind"): [t(f"checkpoints.code.{row['kind']}") for row in rows],
            **{figure_name(name): [int(row[name]) for row in rows] for name in COUNT_FIELDS},
            t("checkpoints.field.reported"): [
                t("checkpoints.page.reported_yes" if row["reported"] else "checkpoints.page.reported_no")
                for row in rows
            ],
            t("checkpoints.field.last_entry_at"): [
                format_moment(row["last_entry_at"], language()) if row["last_entry_at"] else "—" for row in rows
            ],
        }
    )


def checkpoint_table_view(rows: list[dict]) -> None:
    """One row per active checkpoint; fever readings and silent checkpoints stand out in red."""
    frame = checkpoint_frame(rows)
    styled = frame.style.map(lambda value: ALARM_CELL if value else "", subset=[figure_name("fever")]).map(
        lambda value: ALARM_CELL if value == t("checkpoints.page.reported_no") else "",
        subset=[t("checkpoints.field.reported")],
    )
    st.dataframe(styled, hide_index=True, width="stretch")


def hourly_chart(day: date) -> None:
    """People and vehicles per hour of the day, each entry spread over its period."""
    draw_chart(hourly_spec(day), width="stretch")
    st.caption(t("checkpoints.page.hourly_note"))


@once_per_version
def hourly_spec(day: date) -> alt.Chart:
    """The chart of :func:`hourly_chart`."""
    rows = read(hourly_throughput, day)
    long = pd.DataFrame(
        [
            {"hour": row["hour"], "figure": figure_name(name), "value": row[name]}
            for row in rows
            for name in ("persons", "vehicles")
        ]
    )
    names = [figure_name("persons"), figure_name("vehicles")]
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("hour:O", title=t("checkpoints.field.hour"), axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("figure:N", sort=names),
            y=alt.Y("value:Q", title=t("checkpoints.page.count_axis")),
            color=alt.Color(
                "figure:N",
                title=None,
                sort=names,
                scale=alt.Scale(domain=names, range=[CHART_COLOURS["persons"], CHART_COLOURS["vehicles"]]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("hour:O", title=t("checkpoints.field.hour")),
                alt.Tooltip("figure:N", title=" "),
                alt.Tooltip("value:Q", title=t("checkpoints.page.count_axis"), format=",.1f"),
            ],
        )
        .properties(height=280)
    )


def trend_charts(day: date) -> None:
    """One small chart per figure for the last 14 days; fever in red."""
    columns = st.columns(2)
    for position, name in enumerate(COUNT_FIELDS):
        draw_chart(trend_spec(day, name), columns[position % 2], width="stretch")


@once_per_version
def trend_spec(day: date, name: str) -> alt.Chart:
    """The chart of ``name`` in :func:`trend_charts`."""
    rows = read(daily_trend, day, TREND_DAYS)
    frame = pd.DataFrame({"day": [row["day"].isoformat() for row in rows], "value": [row[name] for row in rows]})
    return (
        alt.Chart(frame, title=figure_name(name))
        .mark_line(point=True, color=CHART_COLOURS[name], strokeWidth=2.5)
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%m-%d", labelAngle=0)),
            y=alt.Y("value:Q", title=None, axis=alt.Axis(format=",.0f", tickMinStep=1)),
            tooltip=[
                alt.Tooltip("day:T", title=t("checkpoints.field.day"), format="%Y-%m-%d"),
                alt.Tooltip("value:Q", title=figure_name(name), format=","),
            ],
        )
        .properties(height=200)
    )


def overview_tab(day: date) -> None:
    rows = read(checkpoint_table, day)
    fever_line(rows)
    st.subheader(t("checkpoints.page.map_title"))
    checkpoint_map(rows)
    st.subheader(t("checkpoints.page.table_title"))
    checkpoint_table_view(rows)
    st.subheader(t("checkpoints.page.hourly_title"))
    hourly_chart(day)
    st.subheader(t("checkpoints.page.trend_title", days=TREND_DAYS))
    trend_charts(day)


# Entries --------------------------------------------------------------------------------------------------------


def entries_frame(entries: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("checkpoints.field.entry"): [f"#{entry['id']}" for entry in entries],
            t("checkpoints.page.period"): [
                period_text(entry["period_start"], entry["period_end"]) for entry in entries
            ],
            t("checkpoints.field.effective"): [entry["effective"] for entry in entries],
            t("checkpoints.field.superseded_by"): [
                f"#{entry['superseded_by']}" if entry["superseded_by"] else "" for entry in entries
            ],
            **{figure_name(name): [int(entry[name]) for entry in entries] for name in COUNT_FIELDS},
            t("checkpoints.field.reason"): [entry["reason"] or "" for entry in entries],
            t("checkpoints.field.note"): [entry["note"] or "" for entry in entries],
            t("checkpoints.field.entered_by"): [entry["entered_by"] for entry in entries],
            t("checkpoints.field.entered_at"): [format_moment(entry["entered_at"], language()) for entry in entries],
        }
    )


def recent_entries_view(who: Actor, may_enter: bool) -> None:
    """A checkpoint's newest entries, corrected ones too, and (for those who enter) the correction form."""
    options = checkpoints_for(who, include_inactive=True)
    if not options:
        st.caption(t("checkpoints.page.no_checkpoint_to_enter"))
        return
    names = {row["id"]: row["name"] for row in options}
    ids = list(names)
    remembered = st.session_state.get(LAST_CHECKPOINT_KEY)
    # Unkeyed on purpose: after a save the default moves to the checkpoint just entered, and so does the list.
    chosen = st.selectbox(
        t("checkpoints.field.checkpoint"),
        ids,
        format_func=names.get,
        index=ids.index(remembered) if remembered in ids else 0,
    )
    entries = read(recent_entries, chosen)
    if entries:
        st.dataframe(entries_frame(entries), hide_index=True, width="stretch")
    else:
        st.caption(t("checkpoints.page.no_entries"))
    if may_enter:
        st.markdown(f"**{t('checkpoints.page.correct_title')}**")
        correction_form(entries)


def entries_tab(who: Actor, may_enter: bool) -> None:
    if not may_enter:
        st.subheader(t("checkpoints.page.recent_title"))
        recent_entries_view(who, may_enter)
        return
    form_column, entries_column = st.columns([2, 3], gap="large")
    with form_column:
        st.subheader(t("checkpoints.page.entry_title"))
        count_entry_form("checkpoint-entry")
    with entries_column:
        st.subheader(t("checkpoints.page.recent_title"))
        recent_entries_view(who, may_enter)


# The page -------------------------------------------------------------------------------------------------------


who = actor()
st.title(t("checkpoints.page.title"))
if not may_view(who, DOMAIN):
    st.info(t("checkpoints.page.not_assigned"))
    st.stop()
day = report_day(who, "checkpoints.page.report_date", "checkpoints:report_date")
st.caption(t("checkpoints.page.as_of", date=format_day(day, language())))
headline(day)
may_enter = may_write(who, DOMAIN)
tab_names = [
    t("checkpoints.page.tab_overview"),
    t("checkpoints.page.tab_entries" if may_enter else "checkpoints.page.tab_entries_read"),
]
if is_admin(who):
    tab_names.append(t("checkpoints.page.tab_master"))
tabs = st.tabs(tab_names)
with tabs[0]:
    overview_tab(day)
with tabs[1]:
    entries_tab(who, may_enter)
if is_admin(who):
    with tabs[2]:
        master_data_tab()
