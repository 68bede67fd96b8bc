"""Audit log (审计日志): who did what, when, to which row, with the row before and after; filters and export.

Only the administrator reads it; anyone else who opens the page by its
address is refused. The log is filtered, counted and paged in the database
(:mod:`data_layer.audit`), so a district's millions of rows cost one page.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import streamlit as st

from data_layer import clock
from data_layer.audit import (
    PAGE_SIZE,
    AuditFilter,
    audit_count,
    audit_entries,
    audit_tables,
    audit_usernames,
    export_audit,
)
from data_layer.i18n import format_number
from ui.navigation import guard
from ui.progress import keep_file, made_file, offer_file, progress_bar
from ui.session import engine, language, read, t

guard("audit_log")

FORMATS = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def all_or(value: str | None) -> str:
    return t("audit.all") if value is None else value


def chosen_filter() -> AuditFilter:
    """The filters above the table: user, table, action (its beginning) and a range of command-post days."""
    who, table, action = st.columns(3)
    username = who.selectbox(
        t("audit.field.username"), [None, *read(audit_usernames)], format_func=all_or, key="audit:username"
    )
    table_name = table.selectbox(
        t("audit.field.table_name"), [None, *read(audit_tables)], format_func=all_or, key="audit:table"
    )
    action_start = action.text_input(t("audit.field.action"), key="audit:action", placeholder=t("audit.action_hint"))
    start_column, end_column = st.columns(2)
    start = start_column.date_input(t("audit.from"), value=None, max_value=clock.today(), key="audit:start")
    end = end_column.date_input(t("audit.to"), value=None, max_value=clock.today(), key="audit:end")
    return AuditFilter(username=username, table=table_name, action=action_start.strip() or None, start=start, end=end)


def entries_frame(entries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            t("audit.field.id"): [entry["id"] for entry in entries],
            t("audit.field.at"): [entry["at"].strftime("%Y-%m-%d %H:%M:%S") for entry in entries],
            t("audit.field.username"): [entry["username"] for entry in entries],
            t("audit.field.action"): [entry["action"] for entry in entries],
            t("audit.field.table_name"): [entry["table_name"] for entry in entries],
            t("audit.field.row_id"): [entry["row_id"] or "" for entry in entries],
            t("audit.field.batch"): [entry["batch"] or "" for entry in entries],
            t("audit.field.import_batch_id"): [entry["import_batch_id"] or "" for entry in entries],
        }
    )


def page_number(chosen: AuditFilter, total: int) -> int:
    """The page to show; other filters start again at page 1 (the key carries them)."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    return st.number_input(
        t("audit.page", pages=format_number(pages, language())),
        min_value=1,
        max_value=pages,
        value=1,
        step=1,
        key=f"audit:page:{chosen!r}",
    )


def change_view(entries: Sequence[Mapping[str, Any]]) -> None:
    """One row's change: the values before and after, as stored (JSON)."""
    by_id = {entry["id"]: entry for entry in entries}
    chosen = st.selectbox(
        t("audit.change_of"),
        list(by_id),
        key="audit:entry",
        format_func=lambda key: f"#{key} · {by_id[key]['action']} · {by_id[key]['table_name']}",
    )
    before, after = st.columns(2)
    before.markdown(f"**{t('audit.field.before')}**")
    before.json(by_id[chosen]["before"] or {})
    after.markdown(f"**{t('audit.field.after')}**")
    after.json(by_id[chosen]["after"] or {})


def export_section(chosen: AuditFilter) -> None:
    suffix = (
        st.segmented_control(
            t("audit.export_format"), list(FORMATS), default="xlsx", required=True, key="audit:export_format"
        )
        or "xlsx"
    )
    if st.button(t("audit.export_make"), key="audit:export_make"):
        file_name = f"audit-{clock.today().isoformat()}.{suffix}"
        with progress_bar(t("audit.export_running")) as progress:
            progress(0, 1)
            data, rows = made_file(file_name, lambda path: export_audit(engine(), chosen, path))
            progress(1, 1)
        keep_file(f"audit-{suffix}", file_name, data, rows)
    offer_file(f"audit-{suffix}", t("audit.export_download"), FORMATS[suffix])


st.title(t("audit.title"))
chosen = chosen_filter()
total = read(audit_count, chosen)
page = page_number(chosen, total)
entries = read(audit_entries, chosen, PAGE_SIZE, (page - 1) * PAGE_SIZE)
st.caption(t("audit.shown", shown=format_number(len(entries), language()), total=format_number(total, language())))
if entries:
    st.dataframe(entries_frame(entries), hide_index=True, width="stretch")
    change_view(entries)
with st.expander(t("audit.export_title")):
    st.caption(t("audit.export_help"))
    export_section(chosen)
