"""Daily briefing (日报): read, annotate and export the briefing of any day.

The figures are those of the JSON briefing, read as the data stands now; the
page, the Word document and the Markdown file render the same numbers.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_layer import briefing, clock, review, situation
from data_layer.i18n import catalog, format_day, format_moment
from data_layer.markdown import plain
from data_layer.permissions import may_write_notes
from ui.forms import entry_form, save
from ui.navigation import guard
from ui.session import actor, briefing_pair, language, read, t
from ui.wall import alert_html

guard("briefing")


def choose_day():
    return st.date_input(t("briefing.page.date"), value=briefing.default_report_day(), max_value=clock.today(),
                         format="YYYY-MM-DD")


def show_sections(today: dict, before: dict) -> None:
    for heading, columns, rows in briefing.briefing_sections(today, before, language()):
        st.subheader(heading)
        st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True, width="stretch")


def figure_label(mark: dict) -> str:
    """A corrected figure in words: its briefing label, with the item or the reason it concerns."""
    section, figure = mark["section"], mark["figure"]
    if figure.startswith("by_reason."):
        label = t("briefing.figure.enterprises.by_reason", reason=t(f"enterprises.code.{figure.split('.', 1)[1]}"))
    else:
        key = f"briefing.figure.{section}.{figure.replace('.', '_')}"
        label = t(key) if key in catalog(language()) else figure
    return t("briefing.page.item_figure", item=mark["item"], figure=label) if mark["item"] else label


def shown(value: object) -> str:
    if isinstance(value, list):
        return "、".join(value) or "—"
    if isinstance(value, bool):
        return t("briefing.page.yes") if value else t("briefing.page.no")
    return "—" if value is None else str(value)


def show_corrections(day, figures: dict) -> None:
    """Every figure of the day that a correction entered afterwards changed: from what, when, by whom."""
    marks = read(review.figure_corrections, day, figures)
    st.subheader(t("briefing.page.corrections"))
    if not marks:
        st.markdown(t("briefing.page.no_corrections"))
        return
    st.markdown(f":orange-background[{t('briefing.page.corrections_note', count=len(marks))}]")
    rows = [{t("briefing.column.figure"): figure_label(mark), t("briefing.page.before"): shown(mark["before"]),
             t("briefing.page.after"): shown(mark["after"]),
             t("briefing.page.changed_at"): format_moment(mark["changed_at"], language()),
             t("briefing.page.changed_by"): mark["changed_by"], t("briefing.page.reason"): mark["reason"] or "—"}
            for mark in marks]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def show_alerts(day, figures: dict) -> None:
    st.subheader(t("briefing.page.alerts"))
    found = read(situation.alerts, day, figures)
    if found:
        st.html("".join(alert_html(alert) for alert in found))
    else:
        st.markdown(t("wall.no_alerts"))


def notes_form(day, current: str) -> None:
    """The leader's notes for the day: saved with who and when, earlier versions kept."""
    st.subheader(t("briefing.section.notes"))
    if not may_write_notes(actor()):
        st.markdown(plain(current, keep_lines=True) or t("briefing.no_notes"))
        return
    with entry_form(f"briefing-notes-{day.isoformat()}"):
        text = st.text_area(t("briefing.field.text"), value=current, height=140)
        submitted = st.form_submit_button(t("briefing.page.save_notes"), type="primary")
    if submitted and save(f"briefing-notes-{day.isoformat()}", briefing.save_note, day, text) is not None:
        st.success(t("briefing.page.notes_saved"))


def downloads(today: dict, before: dict, day) -> None:
    name = t("briefing.page.file_name", date=day.isoformat())
    left, right = st.columns(2)
    left.download_button(t("briefing.page.download_docx"), briefing.render_docx(today, before, language()),
                         file_name=f"{name}.docx", width="stretch",
                         mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    right.download_button(t("briefing.page.download_md"), briefing.render_markdown(today, before, language()),
                          file_name=f"{name}.md", mime="text/markdown", width="stretch")


day = choose_day()
today, before = briefing_pair(day)
st.title(briefing.briefing_title(today, language()))
st.caption(t("briefing.page.compared_with", date=format_day(day, language())))
downloads(today, before, day)
st.markdown(briefing.headline(today, language(), plain))
st.markdown(briefing.zero_report_line(today["checkpoints"], language(), plain))
show_sections(today, before)
show_corrections(day, today)
show_alerts(day, today)
notes_form(day, today["notes"])
