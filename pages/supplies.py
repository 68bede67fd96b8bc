"""Supplies (物资保障): stock, days of cover and what to request; the in/out ledger, its entry and export.

Leaders and administrators pick a report date; a clerk sees today and the
items of their store, with the entry forms first. Alerts (out of stock, under
three days of cover, below safety stock) are content, drawn above the tabs.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from data_layer import clock
from data_layer.db import Actor
from data_layer.i18n import format_day, format_moment, format_number
from data_layer.markdown import plain
from data_layer.permissions import is_admin, may_view, may_write, works_on_today
from data_layer.supplies import (
    DOMAIN,
    consumption_by_recipient,
    cover_days,
    export_ledger,
    figures,
    last_entry_at,
    ledger,
    list_items,
    stock_history,
    stock_on,
)
from ui.charts import draw_chart, once_per_version
from ui.common import number, report_day
from ui.messages import content_alert
from ui.navigation import guard
from ui.session import actor, engine, language, read, t
from ui.supplies import (
    assigned_items,
    code_label,
    import_form,
    in_form,
    items_view,
    out_form,
    quantity_text,
    reversal_form,
    status_colour,
    stock_count_form,
)

guard("supplies")

HISTORY_DAYS = 30
LEDGER_DAYS = 30
CONSUMPTION_PERIODS = (7, 14, 30)
URGENCY = {"out": 0, "under_3_days": 1, "below_safety": 2, "ok": 3}
SAFETY_COLOUR = "#f87171"
STOCK_COLOUR = "#2dd4bf"


def store_freshness(day: date) -> None:
    """When the store last entered anything in its ledger, by the time the day's figures stand at (now while the
    day is not over): a store silent too long is a wall alert (design §4.5)."""
    until = clock.figures_moment(day) or clock.day_bounds(day)[1]
    entered = read(last_entry_at, until)
    moment = format_moment(entered, language()) if entered else "—"
    st.caption(t("supplies.page.last_entry", moment=moment))


def stock_alerts(entries: list[dict]) -> None:
    """One line per item that needs action, the most urgent first; a green line when none does."""
    urgent = sorted(
        (entry for entry in entries if entry["status"] != "ok"),
        key=lambda entry: (URGENCY[entry["status"]], entry["days_of_cover"] or 0),
    )
    for entry in urgent:
        text = t(
            "supplies.page.alert",
            item=plain(entry["item"]),
            status=code_label(entry["status"]),
            on_hand=plain(quantity_text(entry["on_hand"], entry["unit"])),
            days=number(entry["days_of_cover"], 1),
            request=plain(quantity_text(entry["request_quantity"], entry["unit"])),
        )
        content_alert(text, "orange" if entry["status"] == "below_safety" else "red")
    if not urgent and entries:
        st.markdown(f":green-background[✓ {t('supplies.page.all_ok')}]")


def stock_table(entries: list[dict], request_days: int) -> None:
    """Per item: stock, today's movements, daily use, days of cover, status, stock-out date, what to request."""
    if not entries:
        st.caption(t("supplies.page.no_items"))
        return
    rows = [
        {
            t("supplies.field.item"): entry["item"],
            t("supplies.field.unit"): entry["unit"],
            t("supplies.figure.on_hand"): number(entry["on_hand"]),
            t("supplies.figure.in_today"): number(entry["in_today"]),
            t("supplies.figure.out_today"): number(entry["out_today"]),
            t("supplies.figure.burn_rate"): number(entry["burn_rate"], 1),
            t("supplies.figure.days_of_cover"): number(entry["days_of_cover"], 1),
            t("supplies.field.safety_stock"): number(entry["safety_stock"]),
            t("supplies.figure.status"): code_label(entry["status"]),
            t("supplies.figure.stockout_date"): (
                format_day(date.fromisoformat(entry["stockout_date"]), language()) if entry["stockout_date"] else "—"
            ),
            t("supplies.page.request_column", days=request_days): number(entry["request_quantity"]),
        }
        for entry in entries
    ]
    table = pd.DataFrame(rows).style.map(status_colour, subset=[t("supplies.figure.status")])
    st.dataframe(table, hide_index=True, width="stretch")


def _most_urgent(entries: list[dict]) -> int:
    return min(
        entries, key=lambda entry: (URGENCY[entry["status"]], entry["days_of_cover"] or float("inf"), entry["item"])
    )["item_id"]


def stock_chart(item: dict, day: date) -> None:
    """The item's closing stock on each of the 30 days ending ``day``, with its safety stock as a dashed line."""
    st.markdown(f"**{t('supplies.page.chart_title', item=plain(item['item']), days=HISTORY_DAYS)}**")
    draw_chart(stock_spec(item, day), width="stretch")
    st.caption(t("supplies.page.chart_legend"))


@once_per_version
def stock_spec(item: dict, day: date) -> alt.LayerChart:
    """The chart of :func:`stock_chart`."""
    history = pd.DataFrame(read(stock_history, item["item_id"], day, HISTORY_DAYS))
    history["date"] = pd.to_datetime(history["date"])
    date_title, stock_title = t("supplies.field.date"), t("supplies.page.chart_stock", unit=item["unit"])
    line = (
        alt.Chart(history)
        .mark_line(point=True, color=STOCK_COLOUR)
        .encode(
            x=alt.X("date:T", title=date_title, axis=alt.Axis(format="%m-%d")),
            y=alt.Y("balance:Q", title=stock_title),
            tooltip=[
                alt.Tooltip("date:T", title=date_title, format="%Y-%m-%d"),
                alt.Tooltip("balance:Q", title=stock_title, format=","),
            ],
        )
    )
    safety = (
        alt.Chart(pd.DataFrame({"safety": [item["safety_stock"]]}))
        .mark_rule(color=SAFETY_COLOUR, strokeDash=[6, 4], size=2)
        .encode(y="safety:Q", tooltip=[alt.Tooltip("safety:Q", title=t("supplies.field.safety_stock"), format=",")])
    )
    return (line + safety).properties(height=300)


def _consumption_chart(rows: list[dict], item: dict) -> None:
    used = pd.DataFrame([row for row in rows if row["item"] == item["item"]])
    if used.empty:
        st.caption(t("supplies.page.consumption_item_none", item=plain(item["item"])))
        return
    used["kind"] = used["recipient_kind"].map(code_label)
    recipient, quantity = t("supplies.page.recipient"), t("supplies.page.chart_quantity", unit=item["unit"])
    chart = (
        alt.Chart(used)
        .mark_bar(color=STOCK_COLOUR)
        .encode(
            x=alt.X("quantity:Q", title=quantity),
            y=alt.Y("counterparty:N", title=recipient, sort="-x", axis=alt.Axis(labelLimit=260)),
            tooltip=[
                alt.Tooltip("counterparty:N", title=recipient),
                alt.Tooltip("kind:N", title=t("supplies.field.recipient_kind")),
                alt.Tooltip("quantity:Q", title=quantity, format=","),
            ],
        )
    )
    st.markdown(f"**{t('supplies.page.consumption_item', item=plain(item['item']))}**")
    draw_chart(chart.properties(height=alt.Step(30)), width="stretch")


def consumption(day: date, item: dict, visible_names: set[str]) -> None:
    """Who received what over a chosen period ending ``day``: the chosen item as bars, every item as a table."""
    st.subheader(t("supplies.page.consumption_title"))
    days = (
        st.segmented_control(
            t("supplies.page.consumption_period"),
            CONSUMPTION_PERIODS,
            default=7,
            required=True,
            format_func=lambda count: t("supplies.page.days", days=count),
            key="supplies:consumption_days",
        )
        or CONSUMPTION_PERIODS[0]
    )
    start = day - timedelta(days=days - 1)
    st.caption(t("supplies.page.period", start=format_day(start, language()), end=format_day(day, language())))
    rows = [row for row in read(consumption_by_recipient, start, day) if row["item"] in visible_names]
    if not rows:
        st.caption(t("supplies.page.consumption_none"))
        return
    _consumption_chart(rows, item)
    recipient, kind, lang = t("supplies.page.recipient"), t("supplies.field.recipient_kind"), language()
    kinds = {code: code_label(code) for code in {row["recipient_kind"] for row in rows}}
    table = pd.DataFrame(
        [
            {
                recipient: row["counterparty"] or "—",
                kind: kinds[row["recipient_kind"]],
                "item": f"{row['item']}（{row['unit']}）",
                "quantity": row["quantity"],
            }
            for row in rows
        ]
    )
    matrix = table.pivot_table(index=[recipient, kind], columns="item", values="quantity", aggfunc="sum")
    shown = matrix.apply(lambda column: column.map(lambda value: "" if pd.isna(value) else format_number(value, lang)))
    st.dataframe(shown.reset_index(), hide_index=True, width="stretch")


def stock_view(entries: list[dict], day: date, request_days: int) -> None:
    stock_table(entries, request_days)
    if not entries:
        return
    by_id = {entry["item_id"]: entry for entry in entries}
    ids = list(by_id)
    chosen = st.selectbox(
        t("supplies.page.chart_item"),
        ids,
        index=ids.index(_most_urgent(entries)),
        format_func=lambda key: by_id[key]["item"],
        key="supplies:chart_item",
    )
    stock_chart(by_id[chosen], day)
    consumption(day, by_id[chosen], {entry["item"] for entry in entries})


def entry_view() -> None:
    """The four entry forms; the out form first, since issuing is what a store does most."""
    out_tab, in_tab, count_tab, reversal_tab = st.tabs(
        [
            t("supplies.page.tab_out"),
            t("supplies.page.tab_in"),
            t("supplies.page.tab_count"),
            t("supplies.page.tab_reversal"),
        ]
    )
    with out_tab:
        out_form("supplies-out")
    with in_tab:
        in_form("supplies-in")
    with count_tab:
        stock_count_form("supplies-count")
    with reversal_tab:
        reversal_form("supplies-reversal")


def _ledger_rows(rows: list[dict]) -> pd.DataFrame:
    """The ledger in the user's words; each label is looked up once per table, not once per row."""
    lang, reversed_mark = language(), t("supplies.page.reversed_mark")
    kinds = {kind: code_label(kind) for kind in {row["kind"] for row in rows}}
    columns = {
        name: t(f"supplies.field.{name}")
        for name in ("date", "kind", "in", "out", "balance", "counterparty", "entered_by", "note")
    }
    return pd.DataFrame(
        [
            {
                t("supplies.page.id_column"): row["id"],
                columns["date"]: format_day(row["date"], lang),
                columns["kind"]: kinds[row["kind"]] + (reversed_mark if row["reversed"] else ""),
                columns["in"]: format_number(row["in"], lang) if row["in"] else "",
                columns["out"]: format_number(row["out"], lang) if row["out"] else "",
                columns["balance"]: format_number(row["balance"], lang),
                columns["counterparty"]: row["counterparty"] or "",
                columns["entered_by"]: row["entered_by"],
                columns["note"]: row["note"] or "",
            }
            for row in rows
        ]
    )


def ledger_view(who: Actor, day: date) -> None:
    """The in/out ledger of a period for one item with its running balance; the export of every item's
    ledger as a paper-style workbook; the import of a ledger for those who may enter."""
    today = clock.today()
    left, right = st.columns(2)
    start = left.date_input(
        t("supplies.page.ledger_from"),
        value=day - timedelta(days=LEDGER_DAYS - 1),
        max_value=today,
        key="supplies:ledger_from",
    )
    end = right.date_input(t("supplies.page.ledger_to"), value=day, max_value=today, key="supplies:ledger_to")
    if start > end:
        st.caption(t("supplies.page.ledger_bad_period"))
        return
    chosen_ids = assigned_items(who)
    items = [item for item in read(list_items, True) if chosen_ids is None or item["id"] in chosen_ids]
    if not items:
        st.caption(t("supplies.page.no_items"))
        return
    by_id = {item["id"]: item for item in items}
    item_id = st.selectbox(
        t("supplies.field.item"), list(by_id), format_func=lambda key: by_id[key]["name"], key="supplies:ledger_item"
    )
    item, rows = by_id[item_id], read(ledger, item_id, start, end)
    opening = read(stock_on, item_id, start - timedelta(days=1))
    st.caption(
        t(
            "supplies.page.ledger_balances",
            opening=plain(quantity_text(opening, item["unit"])),
            closing=plain(quantity_text(rows[-1]["balance"] if rows else opening, item["unit"])),
        )
    )
    if rows:
        st.dataframe(_ledger_rows(rows), hide_index=True, width="stretch")
    else:
        st.caption(t("supplies.page.ledger_empty"))
    st.download_button(
        t("supplies.page.export_button"),
        partial(export_ledger, engine(), start, end, chosen_ids, actor()),
        file_name=t("supplies.page.export_file", start=start.isoformat(), end=end.isoformat()),
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        on_click="ignore",
        icon=":material/download:",
        width="stretch",
    )
    st.caption(t("supplies.page.export_help"))
    if may_write(who, DOMAIN):
        with st.expander(t("supplies.page.import_title")):
            import_form("supplies-import")


who = actor()
st.title(t("supplies.title"))
if not may_view(who, DOMAIN):
    st.info(t("supplies.page.not_your_domain"))
    st.stop()
request_days = cover_days()
day = report_day(who, "supplies.page.report_day", "supplies:report_day")
chosen_items = assigned_items(who)
entries = [
    entry for entry in read(figures, day, request_days) if chosen_items is None or entry["item_id"] in chosen_items
]
st.caption(t("supplies.page.as_of", date=format_day(day, language()), days=request_days))
store_freshness(day)
stock_alerts(entries)

views = {
    "stock": (t("supplies.page.tab_stock"), partial(stock_view, entries, day, request_days)),
    "entry": (t("supplies.page.tab_entry"), entry_view),
    "ledger": (t("supplies.page.tab_ledger"), partial(ledger_view, who, day)),
    "items": (t("supplies.page.tab_items"), items_view),
}
allowed = (
    {"stock", "ledger"} | ({"entry"} if may_write(who, DOMAIN) else set()) | ({"items"} if is_admin(who) else set())
)
order = ("entry", "stock", "ledger") if works_on_today(who) else ("stock", "entry", "ledger", "items")
shown = [name for name in order if name in allowed]
for name, tab in zip(shown, st.tabs([views[name][0] for name in shown]), strict=True):
    with tab:
        views[name][1]()
