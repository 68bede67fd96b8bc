"""The daily briefing (日报): the figures of every domain for one report date.

:func:`build_briefing` is the one source of the briefing's numbers (DESIGN §6);
the Markdown and Word exports, the overview page and the command line all
render what it returns, so a figure can never differ between them. The
leader's notes for a day are kept here too: a small append-only table in
which the newest note of a day is the one shown.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from sqlalchemy.engine import Connection, Engine

from data_layer import checkpoints, clock, enterprises, quarantine, settings, supplies
from data_layer.db import WriteContext, metadata
from data_layer.errors import PermissionDenied
from data_layer.i18n import format_day, format_number, translate
from data_layer.markdown import plain
from data_layer.permissions import may_write_notes
from data_layer.validation import Checks

briefing_notes = sa.Table(
    "briefing_notes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("written_by", sa.String(100), nullable=False),
    sa.Column("written_at", sa.DateTime, nullable=False),
    sa.Index("ix_briefing_notes_day", "day"),
)

CHECKPOINT_FIGURES = ("persons", "vehicles", "fever", "turned_back", "reported_checkpoints")
QUARANTINE_FIGURES = ("admitted", "released", "due_next_3_days", "overdue", "followups_missing",
                      "fever_in_quarantine")
ENTERPRISE_FIGURES = ("total", "reopened", "applied", "not_reopened", "suspended",
                      "rectifications_open", "rectifications_overdue")
SUPPLY_FIGURES = ("on_hand", "in_today", "out_today", "burn_rate", "days_of_cover")
UserText = Callable[[str], str]  # how a name or note typed by a user is written: as is, or escaped for Markdown


def default_report_day(moment: datetime | None = None) -> date:
    """The day a leader most likely wants: today, but yesterday between midnight and the morning meeting.

    The daily meeting reviews the previous day, so until it starts (09:00 unless
    ``COMMAND_POST_MORNING_MEETING`` says otherwise) the briefing opens on yesterday.
    """
    moment = moment or clock.now()
    meeting = settings.MORNING_MEETING.value()
    return moment.date() - timedelta(days=1) if moment.time() < meeting else moment.date()


def build_briefing(conn: Connection, day: date) -> dict:
    """The briefing JSON of DESIGN §6 for ``day``, as the data stands now (corrections included)."""
    return {
        "date": day.isoformat(),
        "checkpoints": checkpoints.figures(conn, day),
        "quarantine": quarantine.figures(conn, day),
        "supplies": supplies.figures(conn, day),
        "enterprises": enterprises.figures(conn, day),
        "notes": note_for(conn, day),
    }


def briefing_with_previous(engine: Engine, day: date) -> tuple[dict, dict]:
    """The briefing for ``day`` and for the day before, read in one transaction so they agree."""
    with engine.connect() as conn:
        return build_briefing(conn, day), build_briefing(conn, day - timedelta(days=1))


def note_for(conn: Connection, day: date) -> str:
    """The leader's note for ``day``: the newest one written, or an empty string."""
    text = conn.execute(sa.select(briefing_notes.c.text).where(briefing_notes.c.day == day)
                        .order_by(briefing_notes.c.id.desc()).limit(1)).scalar()
    return text or ""


def save_note(ctx: WriteContext, day: object, text: str) -> int:
    """Save the leader's note for a day; earlier versions stay in the table and the audit log."""
    if not may_write_notes(ctx.actor):
        raise PermissionDenied("action.write.notes")
    checks = Checks("briefing")
    note_day = checks.day(day, "day")
    note_text = checks.text(text, "text", required=False, max_length=5000) or ""
    checks.raise_if_any()
    return ctx.insert(briefing_notes, "briefing.note", {
        "day": note_day, "text": note_text, "written_by": ctx.actor.username, "written_at": clock.now()})


def change(now: float | int | None, before: float | int | None) -> float | int | None:
    """The change against the day before, or ``None`` when either side has no value."""
    if now is None or before is None:
        return None
    return round(now - before, 3)


def _signed(value: float | int | None, language: str, digits: int = 0) -> str:
    if value is None:
        return "—"
    text = format_number(abs(value), language, digits)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def as_typed(text: str) -> str:
    """User text for a Word document or the command line, where nothing is read as Markdown."""
    return text


def headline(today: dict, language: str, user_text: UserText = as_typed) -> str:
    """The opening paragraph, as a command post reports upward (截至 D 24 时 …); ``user_text`` writes the
    names of items below their safety stock (:func:`data_layer.markdown.plain` where the line is Markdown)."""
    cp, qu, en = today["checkpoints"], today["quarantine"], today["enterprises"]
    below = [item["item"] for item in today["supplies"] if item["below_safety"]]
    counts = {
        "persons": cp["persons"], "vehicles": cp["vehicles"], "fever": cp["fever"],
        "turned_back": cp["turned_back"], "reported": cp["reported_checkpoints"], "active": cp["active_checkpoints"],
        "current": qu["current"]["total"], "centralized": qu["current"]["centralized"],
        "home": qu["current"]["home"], "monitoring": qu["current"]["monitoring"], "admitted": qu["admitted"],
        "released": qu["released"], "overdue": qu["overdue"], "reopened": en["reopened"], "total": en["total"],
    }
    return translate(
        "briefing.headline", language,
        date=format_day(date.fromisoformat(today["date"]), language),
        **{name: format_number(value, language) for name, value in counts.items()},
        rate=format_number(en["reopen_rate"] * 100, language, 1),
        supplies=translate("briefing.supplies_below", language, items="、".join(map(user_text, below))) if below
        else translate("briefing.supplies_ok", language),
    )


def zero_report_line(figures: dict, language: str, user_text: UserText = as_typed) -> str:
    """Who reported and who did not: "no report" is itself an alarm, so it is named (``user_text`` writes the
    checkpoints' names, as for :func:`headline`)."""
    missing = figures["not_reported"]
    if not missing:
        return translate("briefing.all_reported", language,
                         count=format_number(figures["active_checkpoints"], language))
    return translate("briefing.some_not_reported", language,
                     reported=format_number(figures["reported_checkpoints"], language),
                     active=format_number(figures["active_checkpoints"], language),
                     names="、".join(map(user_text, missing)))


def _figure_rows(section: str, names: tuple[str, ...], today: dict, before: dict, language: str
                 ) -> Iterator[tuple[str, str, str, str]]:
    for name in names:
        digits = 1 if isinstance(today[name], float) else 0
        yield (translate(f"briefing.figure.{section}.{name}", language),
               format_number(today[name], language, digits), format_number(before[name], language, digits),
               _signed(change(today[name], before[name]), language, digits))


def briefing_sections(today: dict, before: dict, language: str, user_text: UserText = as_typed
                      ) -> list[tuple[str, list[str], list[tuple]]]:
    """The briefing as (heading, column titles, rows) per domain; Markdown and Word render these (``user_text``
    writes the supply items' names and units, as for :func:`headline`)."""
    columns = [translate(key, language) for key in
               ("briefing.column.figure", "briefing.column.today", "briefing.column.yesterday",
                "briefing.column.change")]
    cp_rows = list(_figure_rows("checkpoints", CHECKPOINT_FIGURES, today["checkpoints"], before["checkpoints"],
                                language))
    qu_today = {**today["quarantine"], **{f"current_{k}": v for k, v in today["quarantine"]["current"].items()}}
    qu_before = {**before["quarantine"], **{f"current_{k}": v for k, v in before["quarantine"]["current"].items()}}
    qu_names = ("current_total", "current_centralized", "current_home", "current_monitoring", *QUARANTINE_FIGURES)
    en_rows = list(_figure_rows("enterprises", ENTERPRISE_FIGURES, today["enterprises"], before["enterprises"],
                                language))
    rate_today, rate_before = today["enterprises"]["reopen_rate"] * 100, before["enterprises"]["reopen_rate"] * 100
    en_rows.append((translate("briefing.figure.enterprises.reopen_rate", language),
                    format_number(rate_today, language, 1) + "%", format_number(rate_before, language, 1) + "%",
                    _signed(change(rate_today, rate_before), language, 1)))
    supply_columns = [translate("briefing.column.item", language)] + [
        translate(f"briefing.figure.supplies.{name}", language) for name in SUPPLY_FIGURES] + [
        translate("briefing.column.status", language)]
    supply_rows = [
        (user_text(item["item"]) + (f"（{user_text(item['unit'])}）" if language == "zh_CN"
                                    else f" ({user_text(item['unit'])})"),
         *(format_number(item[name], language, 1 if name in ("burn_rate", "days_of_cover") else 0)
           for name in SUPPLY_FIGURES),
         translate(f"supplies.code.{item['status']}", language))
        for item in today["supplies"]]
    return [
        (translate("briefing.section.checkpoints", language), columns, cp_rows),
        (translate("briefing.section.quarantine", language), columns,
         list(_figure_rows("quarantine", qu_names, qu_today, qu_before, language))),
        (translate("briefing.section.supplies", language), supply_columns, supply_rows),
        (translate("briefing.section.enterprises", language), columns, en_rows),
    ]


def briefing_title(today: dict, language: str) -> str:
    return translate("briefing.title", language, date=format_day(date.fromisoformat(today["date"]), language))


def render_markdown(today: dict, before: dict, language: str) -> str:
    """The briefing as Markdown, in the words a command post sends upward; every name and note a user typed
    is escaped (:func:`data_layer.markdown.plain`), so it shows as typed and never as a link, image or table."""
    lines = [f"# {briefing_title(today, language)}", "", headline(today, language, plain), "",
             zero_report_line(today["checkpoints"], language, plain), ""]
    for heading, columns, rows in briefing_sections(today, before, language, plain):
        lines += [f"## {heading}", "", "| " + " | ".join(columns) + " |",
                  "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
        lines.append("")
    lines += [f"## {translate('briefing.section.notes', language)}", "",
              plain(today["notes"], keep_lines=True) or translate("briefing.no_notes", language), ""]
    return "\n".join(lines)


def render_docx(today: dict, before: dict, language: str) -> bytes:
    """The briefing as a Word document: headings, one table per domain, a Chinese font set."""
    document = Document()
    for style_name in ("Normal", "Heading 1", "Heading 2", "Title"):
        style = document.styles[style_name]
        style.font.name = "SimSun" if style_name == "Normal" else "SimHei"
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), style.font.name)
    document.styles["Normal"].font.size = Pt(11)
    document.add_heading(briefing_title(today, language), level=1)
    document.add_paragraph(headline(today, language))
    document.add_paragraph(zero_report_line(today["checkpoints"], language))
    for heading, columns, rows in briefing_sections(today, before, language):
        document.add_heading(heading, level=2)
        table = document.add_table(rows=1, cols=len(columns))
        table.style = "Table Grid"
        for cell, title in zip(table.rows[0].cells, columns, strict=True):
            cell.text = title
        for row in rows:
            for cell, value in zip(table.add_row().cells, row, strict=True):
                cell.text = str(value)
    document.add_heading(translate("briefing.section.notes", language), level=2)
    document.add_paragraph(today["notes"] or translate("briefing.no_notes", language))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
