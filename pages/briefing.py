"""Daily briefing (日报): read, annotate and export the briefing of any day.

The page lays out the briefing document of the data layer
(:func:`data_layer.briefing.briefing_document`), part by part in its order, and
downloads the Word and Markdown renderings of the same document, so the page and
the files say the same figures, actions and corrections in the same words.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_layer import briefing, clock
from data_layer.briefing import IN_MARKDOWN, BriefingDocument, BriefingFacts, Table
from data_layer.i18n import format_day
from data_layer.permissions import may_write_notes
from ui.forms import entry_form, save
from ui.navigation import guard
from ui.notify import briefing_now_button
from ui.session import actor, language, read, t
from ui.wall import alert_line_html

guard("briefing")


def choose_day():
    return st.date_input(
        t("briefing.page.date"), value=briefing.default_report_day(), max_value=clock.today(), format="YYYY-MM-DD"
    )


def show_table(table: Table) -> None:
    st.dataframe(pd.DataFrame(table.rows, columns=table.columns), hide_index=True, width="stretch")


def show_tables(document: BriefingDocument) -> None:
    for table in document.tables:
        st.subheader(table.heading)
        show_table(table)


def show_actions(document: BriefingDocument) -> None:
    """The action list, each line coloured by how urgent it is, as on the wall screen."""
    st.subheader(document.actions_heading)
    if document.actions:
        st.html("".join(alert_line_html(action.severity, action.text) for action in document.actions))
    else:
        st.markdown(document.no_actions)


def show_corrections(document: BriefingDocument) -> None:
    """Every figure of the day that a correction entered afterwards changed: from what, when, by whom."""
    st.subheader(document.corrections.heading)
    if not document.corrections.rows:
        st.markdown(document.corrections_summary)
        return
    st.markdown(f":orange-background[{document.corrections_summary}]")
    show_table(document.corrections)


def notes_form(day, document: BriefingDocument, current: str) -> None:
    """The leader's notes for the day: saved with who and when, earlier versions kept."""
    st.subheader(document.notes_heading)
    if not may_write_notes(actor()):
        st.markdown(document.notes)
        return
    with entry_form(f"briefing-notes-{day.isoformat()}"):
        text = st.text_area(t("briefing.field.text"), value=current, height=140)
        submitted = st.form_submit_button(t("briefing.page.save_notes"), type="primary")
    if submitted and save(f"briefing-notes-{day.isoformat()}", briefing.save_note, day, text) is not None:
        st.success(t("briefing.page.notes_saved"))


def downloads(facts: BriefingFacts, day) -> None:
    name = t("briefing.page.file_name", date=day.isoformat())
    left, right = st.columns(2)
    left.download_button(
        t("briefing.page.download_docx"),
        briefing.render_docx(facts, language()),
        file_name=f"{name}.docx",
        width="stretch",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    right.download_button(
        t("briefing.page.download_md"),
        briefing.render_markdown(facts, language()),
        file_name=f"{name}.md",
        mime="text/markdown",
        width="stretch",
    )


day = choose_day()
facts = read(briefing.briefing_facts, day, clock.figures_moment(day))
as_typed = briefing.briefing_document(facts, language())  # for tables and HTML, which show text as it is
in_markdown = briefing.briefing_document(facts, language(), IN_MARKDOWN)  # for what st.markdown renders
st.title(in_markdown.title)
st.caption(
    t("briefing.page.compared_with", date=format_day(day, language()))
    if facts.as_of is None
    else t("briefing.page.compared_with_so_far", date=format_day(day, language()), time=facts.as_of.strftime("%H:%M"))
)
downloads(facts, day)
if day == clock.today():
    briefing_now_button("briefing-push-now")
st.markdown(in_markdown.headline)
st.markdown(in_markdown.zero_report)
st.markdown(in_markdown.beds_outlook)
show_tables(as_typed)
show_actions(as_typed)
show_corrections(as_typed)
notes_form(day, in_markdown, facts.today["notes"])
