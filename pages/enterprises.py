"""Enterprise reopening (复工复产): how many have reopened, why the rest have not, who lags, what is overdue.

Admins and leaders pick any past report date; a clerk of the inspection team
sees today's figures. Leaders see every figure and record, with contact phone
numbers masked, and no form; writers change statuses (reopening only with a
complete checklist), record condition checks and inspections, close
rectification items, download a rectification notice and import the
community's registry ledger (design §4.4, §8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from data_layer import clock
from data_layer.db import Actor
from data_layer.enterprises import (
    CONDITIONS,
    DEFAULT_STATUS,
    DOMAIN,
    GROUPINGS,
    REGISTRY_LIMIT,
    STATUSES,
    checklist,
    enterprise_inspections,
    figures,
    inspection_items,
    open_rectifications,
    overdue_rectifications,
    registry,
    registry_count,
    reopen_rates_by_grouping,
    reopen_trend,
    status_history,
)
from data_layer.i18n import format_moment
from data_layer.markdown import plain
from data_layer.permissions import may_view, may_write
from data_layer.rectification_notice import NOTICE_LANGUAGE, notice_number, rectification_notice
from ui.charts import draw_chart, once_per_version
from ui.colours import ALARM_CELL, REOPEN_AHEAD_COLOUR, REOPEN_LAG_COLOUR, REOPEN_TREND_COLOUR
from ui.common import number, report_day
from ui.enterprises import (
    INSPECTION_CHOICE_KEY,
    close_item_form,
    code,
    code_labels,
    codes_text,
    conditions_form,
    day_text,
    field,
    import_section,
    inspection_form,
    register_form,
    status_change_form,
)
from ui.messages import content_alert, content_ok
from ui.navigation import guard
from ui.session import actor, language, read, t

guard("enterprises")

TREND_DAYS = 30
ALERT_LIMIT = 8
ITEM_LIMIT = 200
LAGGING_STATUSES = ("not_reopened", "suspended", "applied")
LAG_COLOUR = REOPEN_LAG_COLOUR
AHEAD_COLOUR = REOPEN_AHEAD_COLOUR
TREND_COLOUR = REOPEN_TREND_COLOUR
REASON_COLOUR = "#f87171"
BAR_INK = "#0f172a"
PAGE_INK = "#e2e8f0"
SHORT_BAR = 0.4
BAR_HEIGHT = 32
BAR_CHART_BASE = 120
TREND_HEIGHT = 280
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# The §4.4 figures in two rows of four, with how their change is coloured: "normal" when a rise is good news,
# "inverse" when it is bad news, "off" when it is neither.
HEADLINE = (
    (("total", "off"), ("reopened", "normal"), ("reopen_rate", "normal"), ("applied", "off")),
    (
        ("not_reopened", "inverse"),
        ("suspended", "inverse"),
        ("rectifications_open", "inverse"),
        ("rectifications_overdue", "inverse"),
    ),
)


def percent(rate: float) -> str:
    return number(rate * 100, 1) + "%"


def table(frame: pd.DataFrame) -> None:
    st.dataframe(frame, hide_index=True, width="stretch")


# Figures ------------------------------------------------------------------------------------------------------


def headline(today: Mapping[str, object], before: Mapping[str, object]) -> None:
    """The §4.4 figures of the report date with the change since the day before."""
    for row in HEADLINE:
        for column, (name, colour) in zip(st.columns(len(row)), row, strict=True):
            now, then = today[name], before[name]
            if name == "reopen_rate":
                change = round((now - then) * 100, 1)
                shown, delta = percent(now), (number(change, 1) + "%") if change else None
            else:
                shown, delta = number(now), number(now - then) if now != then else None
            column.metric(
                t(f"briefing.figure.enterprises.{name}"),
                shown,
                delta=delta,
                delta_color=colour,
                border=True,
                height="stretch",
            )
    st.caption(t("enterprises.page.change_note"))


def overdue_alerts(day: date, overdue_count: int) -> None:
    """The most overdue rectification items, in red, and how many more there are, so that none is overlooked."""
    for item in read(overdue_rectifications, day, ALERT_LIMIT):
        content_alert(
            t(
                "enterprises.page.overdue_alert",
                enterprise=plain(item["enterprise"]),
                grid=plain(item["grid"]),
                item=plain(item["item"]),
                deadline=day_text(item["deadline"]),
                days=item["days_overdue"],
            )
        )
    if overdue_count > ALERT_LIMIT:
        content_alert(t("enterprises.page.more_overdue", count=number(overdue_count - ALERT_LIMIT)))


# Overview charts ----------------------------------------------------------------------------------------------


def chart_height(bars: int) -> int:
    """A bar chart's height in pixels: room for every bar's label, and for the axis below."""
    return BAR_CHART_BASE + BAR_HEIGHT * bars


@once_per_version
def rate_spec(day: date, grouping: str, overall: float) -> alt.LayerChart:
    """Reopen rate per group of ``grouping`` as horizontal bars, the laggards on top; groups below the overall rate
    in amber.

    Each bar carries its rate and how many lag behind, written inside the bar's
    start (dark on a long bar, light where the bar is too short to hold it).
    """
    rows = read(reopen_rates_by_grouping, day)[grouping]
    label = code if grouping == "kind" else str
    title = field(grouping)
    frame = pd.DataFrame(
        {
            "group": [label(row["group"]) for row in rows],
            "rate": [row["reopen_rate"] * 100 for row in rows],
            "total": [row["total"] for row in rows],
            "reopened": [row["reopened"] for row in rows],
            "lagging": [row["lagging"] for row in rows],
            "colour": [LAG_COLOUR if row["reopen_rate"] < overall else AHEAD_COLOUR for row in rows],
            "ink": [BAR_INK if row["reopen_rate"] >= SHORT_BAR else PAGE_INK for row in rows],
            "label": [
                t("enterprises.page.bar_label", rate=percent(row["reopen_rate"]), lagging=row["lagging"])
                for row in rows
            ],
        }
    )
    base = alt.Chart(frame, title=title).encode(
        y=alt.Y("group:N", sort=list(frame["group"]), title=None, axis=alt.Axis(labelLimit=160)),
        tooltip=[
            alt.Tooltip("group:N", title=title),
            alt.Tooltip("rate:Q", title=t("briefing.figure.enterprises.reopen_rate"), format=".1f"),
            alt.Tooltip("reopened:Q", title=t("briefing.figure.enterprises.reopened")),
            alt.Tooltip("lagging:Q", title=t("enterprises.page.lagging")),
            alt.Tooltip("total:Q", title=t("briefing.figure.enterprises.total")),
        ],
    )
    bars = base.mark_bar().encode(
        x=alt.X("rate:Q", title=t("enterprises.page.rate_axis"), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("colour:N", scale=None),
    )
    labels = base.mark_text(align="left", dx=6, fontWeight="bold").encode(
        x=alt.value(0), text="label:N", color=alt.Color("ink:N", scale=None)
    )
    return bars + labels


def rates_section(day: date, overall: float) -> None:
    """Reopen rate by kind, by sector and by grid, each sorted so that the groups lagging most come first."""
    st.subheader(t("enterprises.page.rates_title"))
    st.caption(t("enterprises.page.rates_note", rate=percent(overall)))
    rates = read(reopen_rates_by_grouping, day)
    for column, grouping in zip(st.columns(len(GROUPINGS)), GROUPINGS, strict=True):
        height = chart_height(len(rates[grouping]))
        draw_chart(rate_spec(day, grouping, overall), column, width="stretch", height=height)


@once_per_version
def reasons_spec(reasons: tuple[tuple[str, int], ...]) -> alt.Chart:
    """The enterprises not reopened, counted by ``reasons`` (reason, count; most first), as bars."""
    frame = pd.DataFrame({"reason": [code(reason) for reason, _ in reasons], "count": [count for _, count in reasons]})
    return (
        alt.Chart(frame)
        .mark_bar(color=REASON_COLOUR)
        .encode(
            y=alt.Y("reason:N", sort=list(frame["reason"]), title=None, axis=alt.Axis(labelLimit=200)),
            x=alt.X("count:Q", title=t("enterprises.page.count_axis"), axis=alt.Axis(tickMinStep=1)),
            tooltip=[
                alt.Tooltip("reason:N", title=field("reason")),
                alt.Tooltip("count:Q", title=t("enterprises.page.count_axis")),
            ],
        )
    )


def reasons_section(day: date, today: Mapping[str, object], who: Actor) -> None:
    """Why the rest have not reopened: counts by reason, then the list of laggards with their reason."""
    st.subheader(t("enterprises.page.reasons_title"))
    reasons = tuple(sorted(today["by_reason"].items(), key=lambda pair: -pair[1]))
    chart_column, list_column = st.columns([2, 3])
    with chart_column:
        draw_chart(reasons_spec(reasons), width="stretch", height=chart_height(len(reasons)))
        st.caption(t("enterprises.page.reasons_note", statuses=codes_text(("not_reopened", "suspended"))))
    with list_column:
        lagging = read(registry, day, None, REGISTRY_LIMIT, LAGGING_STATUSES, who)
        st.markdown(f"**{t('enterprises.page.lagging_list', count=number(len(lagging)))}**")
        if lagging:
            table(
                pd.DataFrame(
                    {
                        field("name"): [row["name"] for row in lagging],
                        field("sector"): [row["sector"] for row in lagging],
                        field("grid"): [row["grid"] for row in lagging],
                        field("status"): [code(row["status"]) for row in lagging],
                        field("reason"): [code(row["reason"]) for row in lagging],
                        field("status_date"): [day_text(row["status_date"]) for row in lagging],
                    }
                )
            )


def trend_section(day: date) -> None:
    st.subheader(t("enterprises.page.trend_title", days=TREND_DAYS))
    draw_chart(trend_spec(day), width="stretch", height=TREND_HEIGHT)


@once_per_version
def trend_spec(day: date) -> alt.Chart:
    """The reopen rate over the last :data:`TREND_DAYS` days."""
    rows = read(reopen_trend, day, TREND_DAYS)
    frame = pd.DataFrame(
        {
            "day": [row["date"].isoformat() for row in rows],
            "rate": [row["reopen_rate"] * 100 for row in rows],
            "reopened": [row["reopened"] for row in rows],
            "total": [row["total"] for row in rows],
        }
    )
    return (
        alt.Chart(frame)
        .mark_line(point=True, color=TREND_COLOUR, strokeWidth=2.5)
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%m-%d", labelAngle=0)),
            y=alt.Y("rate:Q", title=t("enterprises.page.rate_axis"), scale=alt.Scale(domain=[0, 100])),
            tooltip=[
                alt.Tooltip("day:T", title=t("enterprises.page.day"), format="%Y-%m-%d"),
                alt.Tooltip("rate:Q", title=t("briefing.figure.enterprises.reopen_rate"), format=".1f"),
                alt.Tooltip("reopened:Q", title=t("briefing.figure.enterprises.reopened")),
                alt.Tooltip("total:Q", title=t("briefing.figure.enterprises.total")),
            ],
        )
    )


def overview_tab(day: date, today: Mapping[str, object], who: Actor) -> None:
    rates_section(day, today["reopen_rate"])
    reasons_section(day, today, who)
    trend_section(day)


# Registry and one enterprise ----------------------------------------------------------------------------------


def registry_frame(rows: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            field("name"): [row["name"] for row in rows],
            field("kind"): [code(row["kind"]) for row in rows],
            field("sector"): [row["sector"] for row in rows],
            field("grid"): [row["grid"] for row in rows],
            field("status"): [code(row["status"]) for row in rows],
            field("status_date"): [day_text(row["status_date"]) for row in rows],
            field("reason"): [code(row["reason"]) for row in rows],
            field("employees"): [row["employees"] for row in rows],
            field("address"): [row["address"] or "" for row in rows],
            field("contact"): [row["contact"] or "" for row in rows],
        }
    )


def history_frame(history: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    """Every status change, newest first: what, from when, why, who and when it was entered."""
    newest_first = list(reversed(history))
    return pd.DataFrame(
        {
            field("status"): [code(row["status"]) for row in newest_first],
            field("status_date"): [day_text(row["effective_date"]) for row in newest_first],
            field("reason"): [code(row["reason"]) for row in newest_first],
            field("note"): [row["note"] or "" for row in newest_first],
            t("enterprises.page.changed_by"): [row["changed_by"] for row in newest_first],
            t("enterprises.page.changed_at"): [format_moment(row["changed_at"], language()) for row in newest_first],
        }
    )


def record_and_form(writer: bool) -> tuple[DeltaGenerator, ...]:
    """Where the record and, for writers, its form go: side by side on a wide screen, one above the other on a
    phone (Streamlit stacks columns on a narrow screen)."""
    return tuple(st.columns([3, 2], gap="large")) if writer else (st.container(),)


def status_part(
    enterprise: Mapping[str, object], current: str, history: Sequence[Mapping[str, object]], writer: bool
) -> None:
    record, *form = record_and_form(writer)
    with record:
        st.markdown(t("enterprises.page.current_status", status=code(current)))
        table(history_frame(history))
    if writer:
        with form[0]:
            st.markdown(f"**{t('enterprises.page.change_status')}**")
            status_change_form(enterprise, current)


def checklist_frame(checks: Mapping[str, Mapping | None]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            field("condition"): [code(condition) for condition in checks],
            field("met"): [
                t(
                    "enterprises.page.met_yes"
                    if check and check["met"]
                    else "enterprises.page.met_no"
                    if check
                    else "enterprises.page.never_checked"
                )
                for check in checks.values()
            ],
            field("checked_on"): [day_text(check["checked_on"]) if check else "—" for check in checks.values()],
            field("checked_by"): [check["checked_by"] if check else "—" for check in checks.values()],
        }
    )


def conditions_part(enterprise: Mapping[str, object], writer: bool) -> None:
    """The checklist as it stands today and what is still missing for reopening."""
    checks = read(checklist, enterprise["id"], clock.today())
    missing = [condition for condition in CONDITIONS if not (checks[condition] and checks[condition]["met"])]
    record, *form = record_and_form(writer)
    with record:
        if missing:
            content_alert(t("enterprises.page.missing_conditions", missing=codes_text(missing)))
        else:
            content_ok(t("enterprises.page.conditions_complete"))
        table(checklist_frame(checks))
    if writer:
        with form[0]:
            st.markdown(f"**{t('enterprises.page.record_conditions')}**")
            conditions_form(enterprise, checks)


def notice_download(inspection: Mapping[str, object], enterprise: Mapping[str, object]) -> None:
    notice = read(rectification_notice, inspection["id"], NOTICE_LANGUAGE, actor())
    st.download_button(
        t("enterprises.page.download_notice"),
        notice,
        mime=DOCX_MIME,
        on_click="ignore",
        width="stretch",
        file_name=t("enterprises.page.notice_file", enterprise=enterprise["name"], number=notice_number(inspection)),
        key=f"enterprises:notice:{inspection['id']}",
    )


def inspection_record_view(enterprise: Mapping[str, object]) -> None:
    """The enterprise's inspections, the newest first; for the chosen one its items and its notice."""
    inspections = read(enterprise_inspections, enterprise["id"])
    if not inspections:
        st.caption(t("enterprises.page.no_inspections"))
        return
    by_id = {row["id"]: row for row in inspections}
    choices = {
        number: t(
            "enterprises.page.inspection_choice",
            date=day_text(row["date"]),
            inspector=row["inspector"],
            items=row["items"],
            open=row["open_items"],
        )
        for number, row in by_id.items()
    }
    chosen = st.selectbox(
        t("enterprises.page.inspection"),
        list(by_id),
        format_func=choices.get,
        key=INSPECTION_CHOICE_KEY.format(enterprise=enterprise["id"]),
    )
    items = read(inspection_items, chosen)
    if items:
        table(
            pd.DataFrame(
                {
                    field("item"): [item["item"] for item in items],
                    field("deadline"): [day_text(item["deadline"]) for item in items],
                    field("closed_on"): [day_text(item["closed_on"]) for item in items],
                    field("verified_by"): [item["verified_by"] or "—" for item in items],
                }
            )
        )
    else:
        st.caption(t("enterprises.page.no_findings"))
    notice_download(by_id[chosen], enterprise)


def inspections_part(enterprise: Mapping[str, object], writer: bool) -> None:
    record, *form = record_and_form(writer)
    with record:
        inspection_record_view(enterprise)
    if writer:
        with form[0]:
            st.markdown(f"**{t('enterprises.page.record_inspection')}**")
            inspection_form(enterprise)


def enterprise_detail(enterprise: Mapping[str, object], writer: bool) -> None:
    """One enterprise: its status and history, its checklist, its inspections, and the forms that change them."""
    history = read(status_history, enterprise["id"])
    current = history[-1]["status"] if history else DEFAULT_STATUS
    st.subheader(plain(enterprise["name"]))
    st.caption(
        t("enterprises.page.separator").join(
            plain(part)
            for part in (
                code(enterprise["kind"]),
                enterprise["sector"],
                enterprise["grid"],
                enterprise["address"],
                enterprise["contact"],
            )
            if part
        )
    )
    status_tab, conditions_tab, inspections_tab = st.tabs(
        [t("enterprises.page.tab_status"), t("enterprises.page.tab_conditions"), t("enterprises.page.tab_inspections")]
    )
    with status_tab:
        status_part(enterprise, current, history, writer)
    with conditions_tab:
        conditions_part(enterprise, writer)
    with inspections_tab:
        inspections_part(enterprise, writer)


def registry_tab(day: date, who: Actor, writer: bool) -> None:
    """The searchable registry with each enterprise's status on the report date, then one enterprise in full."""
    search_column, status_column = st.columns([3, 2])
    search = search_column.text_input(
        t("enterprises.page.search"), key="enterprises:search", placeholder=t("enterprises.page.search_hint")
    )
    statuses = (
        tuple(
            status_column.multiselect(
                field("status"),
                STATUSES,
                format_func=code_labels(STATUSES).get,
                key="enterprises:statuses",
                placeholder=t("enterprises.page.all_statuses"),
            )
        )
        or None
    )
    rows = read(registry, day, search, REGISTRY_LIMIT, statuses, who)
    found = read(registry_count, day, search, statuses, who)
    st.caption(t("enterprises.page.registry_count", shown=number(len(rows)), found=number(found)))
    if not rows:
        return
    table(registry_frame(rows))
    by_id = {row["id"]: row for row in rows}
    choices = {
        number: t("enterprises.page.enterprise_choice", name=row["name"], grid=row["grid"], status=code(row["status"]))
        for number, row in by_id.items()
    }
    chosen = st.selectbox(
        t("enterprises.page.choose_enterprise"), list(by_id), format_func=choices.get, key="enterprises:chosen"
    )
    enterprise_detail(by_id[chosen], writer)


# Rectifications -----------------------------------------------------------------------------------------------


def items_frame(items: Sequence[Mapping[str, object]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            field("enterprise"): [item["enterprise"] for item in items],
            field("grid"): [item["grid"] for item in items],
            field("item"): [item["item"] for item in items],
            field("date"): [day_text(item["inspected_on"]) for item in items],
            field("inspector"): [item["inspector"] for item in items],
            field("deadline"): [day_text(item["deadline"]) for item in items],
            t("enterprises.page.days_overdue"): [item["days_overdue"] for item in items],
        }
    )


def shown_of(shown: int, total: int) -> None:
    """Say that a list holds only the first ``shown`` items of ``total``, when it does."""
    if total > shown:
        st.caption(t("pages_perf.first_items", shown=number(shown), total=number(total)))


def rectifications_tab(day: date, today: Mapping[str, object], writer: bool) -> None:
    """Overdue items first, then the items open at the end of the report date, each list the first
    :data:`ITEM_LIMIT` by deadline with the count of all from the figures; writers close an item."""
    overdue = read(overdue_rectifications, day, ITEM_LIMIT)
    st.subheader(t("enterprises.page.overdue_title", count=number(today["rectifications_overdue"])))
    if overdue:
        frame = items_frame(overdue)
        st.dataframe(
            frame.style.map(lambda _: ALARM_CELL, subset=[t("enterprises.page.days_overdue")]),
            hide_index=True,
            width="stretch",
        )
        shown_of(len(overdue), today["rectifications_overdue"])
    else:
        content_ok(t("enterprises.page.none_overdue"))
    open_items = read(open_rectifications, day, ITEM_LIMIT)
    st.subheader(t("enterprises.page.open_title", count=number(today["rectifications_open"])))
    if open_items:
        table(items_frame(open_items))
        shown_of(len(open_items), today["rectifications_open"])
    if writer:
        st.subheader(t("enterprises.page.close_title"))
        search = st.text_input(t("pages_perf.find_item"), key="enterprises:item_search")
        choices = read(open_rectifications, clock.today(), ITEM_LIMIT, search)
        close_item_form(choices)
        if len(choices) == ITEM_LIMIT:
            st.caption(t("pages_perf.more_items", shown=number(ITEM_LIMIT)))


# The page -----------------------------------------------------------------------------------------------------


who = actor()
st.title(t("enterprises.page.title"))
if not may_view(who, DOMAIN):
    st.info(t("enterprises.page.sign_in"))
    st.stop()
day = report_day(who, "enterprises.page.report_date", "enterprises:report_date")
st.caption(t("enterprises.page.as_of", date=day_text(day)))
today = read(figures, day)
headline(today, read(figures, day - timedelta(days=1)))
overdue_alerts(day, today["rectifications_overdue"])
writer = may_write(who, DOMAIN)
registrar = may_write(who, DOMAIN, whole_domain=True)  # a clerk of some enterprises works on those, registers none
tab_names = [
    t("enterprises.page.tab_overview"),
    t("enterprises.page.tab_registry"),
    t("enterprises.page.tab_rectifications"),
]
if registrar:
    tab_names.append(t("enterprises.page.tab_import"))
tabs = st.tabs(tab_names)
with tabs[0]:
    overview_tab(day, today, who)
with tabs[1]:
    registry_tab(day, who, writer)
with tabs[2]:
    rectifications_tab(day, today, writer)
if registrar:
    with tabs[3]:
        st.subheader(t("enterprises.page.import_title"))
        import_section()
        st.subheader(t("enterprises.page.register_title"))
        register_form()
