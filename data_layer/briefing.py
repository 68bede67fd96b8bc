"""The daily briefing (日报): the figures of every domain for one report date.

:func:`build_briefing` is the one source of the briefing's numbers (design §6);
the overview page and the command line's JSON show what it returns. The
briefing as a document, with the day's action list and later corrections, is
built once by :func:`briefing_document`, which the briefing page, the Markdown
file and the Word document all lay out, so that none of them can say a figure,
an action or a correction differently. The leader's notes for a day are kept
here too: a small append-only table in which the newest note of a day is the
one shown.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import partial

import sqlalchemy as sa
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.styles.style import CharacterStyle
from sqlalchemy.engine import Connection, Engine

from data_layer import checkpoints, clock, enterprises, quarantine, review, settings, situation, supplies
from data_layer.db import WriteContext, metadata
from data_layer.errors import PermissionDenied
from data_layer.i18n import catalog, format_day, format_moment, format_month_day, format_number, translate
from data_layer.markdown import UserText, as_typed, plain
from data_layer.permissions import may_write_notes
from data_layer.situation import Alert
from data_layer.validation import Checks

briefing_notes = sa.Table(
    "briefing_notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("written_by", sa.String(100), nullable=False),
    sa.Column("written_at", sa.DateTime, nullable=False),
    sa.Index("ix_briefing_notes_day", "day"),
)

CHECKPOINT_FIGURES = ("persons", "vehicles", "fever", "turned_back", "reported_checkpoints")
QUARANTINE_FIGURES = ("admitted", "released", "due_next_3_days", "overdue", "followups_missing", "fever_in_quarantine")
ENTERPRISE_FIGURES = (
    "total",
    "reopened",
    "applied",
    "not_reopened",
    "suspended",
    "rectifications_open",
    "rectifications_overdue",
)
SUPPLY_FIGURES = ("on_hand", "in_today", "out_today", "burn_rate", "days_of_cover")
SAME_TIME_SECTIONS = ("checkpoints",)
"""The sections whose day before, beside a day that is not over, is cut to the same time of day: a checkpoint
count has a period with times. Quarantine admissions and releases, supply movements and enterprise statuses
carry a date only, so there the day before is the whole day, and the column says so."""
CORRECTION_COLUMNS = (
    "briefing.column.figure",
    "briefing.column.before",
    "briefing.column.after",
    "briefing.column.changed_at",
    "briefing.column.changed_by",
    "briefing.column.reason",
)
PAGE_SIZE_MM = (Mm(210), Mm(297))  # A4
MARGINS_MM = (Mm(37), Mm(35), Mm(28), Mm(26))  # top, bottom, left, right: GB/T 9704
THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")
TITLE_STYLE = "Briefing Title"
BODY_STYLE = "Briefing Body"


def default_report_day(moment: datetime | None = None) -> date:
    """The day a leader most likely wants: today, but yesterday between midnight and the morning meeting.

    The daily meeting reviews the previous day, so until it starts (09:00 unless
    ``COMMAND_POST_MORNING_MEETING`` says otherwise) the briefing opens on yesterday.
    """
    moment = moment or clock.now()
    meeting = settings.MORNING_MEETING.value()
    return moment.date() - timedelta(days=1) if moment.time() < meeting else moment.date()


def as_of_text(day: date, as_of: datetime | None, language: str) -> str:
    """When ``day``'s figures stand, in words: "2026年3月2日 16:10" while the day is not over (``as_of``),
    "2026年3月2日 24 时" once it is (:func:`data_layer.clock.figures_moment`); the briefing's headline and the wall
    say it."""
    if as_of is None:
        return translate("briefing.as_of.day_over", language, date=format_day(day, language))
    return translate("briefing.as_of.so_far", language, date=format_day(day, language), time=as_of.strftime("%H:%M"))


def build_briefing(conn: Connection, day: date) -> dict:
    """The briefing JSON of design §6 for ``day``, as the data stands now (corrections included)."""
    return {
        "date": day.isoformat(),
        "checkpoints": checkpoints.figures(conn, day),
        "quarantine": quarantine.figures(conn, day),
        "beds_outlook": quarantine.beds_outlook(conn, day),
        "supplies": supplies.figures(conn, day),
        "enterprises": enterprises.figures(conn, day),
        "notes": note_for(conn, day),
    }


def previous_day(conn: Connection, day: date, as_of: datetime | None = None) -> dict:
    """The briefing of the day before ``day``, to set beside it: while ``day`` is not over (``as_of``, see
    :func:`data_layer.clock.figures_moment`) its :data:`SAME_TIME_SECTIONS` stand at the same time of day, so that
    16:10 is compared with 16:10 and not with a whole day; the other sections, and every section of a day that is
    over, are the whole day."""
    before = build_briefing(conn, day - timedelta(days=1))
    if as_of is None:
        return before
    return {**before, "checkpoints": checkpoints.figures_by(conn, day - timedelta(days=1), as_of - timedelta(days=1))}


def briefing_with_previous(engine: Engine, day: date) -> tuple[dict, dict]:
    """The briefing for ``day`` and for the day before, read in one transaction so they agree."""
    with engine.connect() as conn:
        return build_briefing(conn, day), build_briefing(conn, day - timedelta(days=1))


def note_for(conn: Connection, day: date) -> str:
    """The leader's note for ``day``: the newest one written, or an empty string."""
    text = conn.execute(
        sa.select(briefing_notes.c.text)
        .where(briefing_notes.c.day == day)
        .order_by(briefing_notes.c.id.desc())
        .limit(1)
    ).scalar()
    return text or ""


def save_note(ctx: WriteContext, day: object, text: str) -> int:
    """Save the leader's note for a day; earlier versions stay in the table and the audit log."""
    if not may_write_notes(ctx.actor):
        raise PermissionDenied("action.write.notes")
    checks = Checks("briefing")
    note_day = checks.day(day, "day")
    note_text = checks.text(text, "text", required=False, max_length=5000) or ""
    checks.raise_if_any()
    return ctx.insert(
        briefing_notes,
        "briefing.note",
        {"day": note_day, "text": note_text, "written_by": ctx.actor.username, "written_at": clock.now()},
    )


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


def headline(today: dict, language: str, user_text: UserText = as_typed, as_of: datetime | None = None) -> str:
    """The opening paragraph, as a command post reports upward: 截至 D 24 时 … for a day that is over, 截至 D 16:10 …
    while it is not (``as_of``, see :func:`as_of_text`); ``user_text`` writes the names of items below their
    safety stock (:func:`data_layer.markdown.plain` where the line is Markdown)."""
    cp, qu, en = today["checkpoints"], today["quarantine"], today["enterprises"]
    below = [item["item"] for item in today["supplies"] if item["below_safety"]]
    counts = {
        "persons": cp["persons"],
        "vehicles": cp["vehicles"],
        "fever": cp["fever"],
        "turned_back": cp["turned_back"],
        "reported": cp["reported_checkpoints"],
        "active": cp["active_checkpoints"],
        "current": qu["current"]["total"],
        "centralized": qu["current"]["centralized"],
        "home": qu["current"]["home"],
        "monitoring": qu["current"]["monitoring"],
        "admitted": qu["admitted"],
        "released": qu["released"],
        "overdue": qu["overdue"],
        "reopened": en["reopened"],
        "total": en["total"],
    }
    return translate(
        "briefing.headline",
        language,
        as_of=as_of_text(date.fromisoformat(today["date"]), as_of, language),
        **{name: format_number(value, language) for name, value in counts.items()},
        rate=format_number(en["reopen_rate"] * 100, language, 1),
        supplies=translate("briefing.supplies_below", language, items="、".join(map(user_text, below)))
        if below
        else translate("briefing.supplies_ok", language),
    )


def zero_report_line(figures: dict, language: str, user_text: UserText = as_typed) -> str:
    """Who reported and who did not: "no report" is itself an alarm, so it is named (``user_text`` writes the
    checkpoints' names, as for :func:`headline`)."""
    missing = figures["not_reported"]
    if not missing:
        return translate(
            "briefing.all_reported", language, count=format_number(figures["active_checkpoints"], language)
        )
    return translate(
        "briefing.some_not_reported",
        language,
        reported=format_number(figures["reported_checkpoints"], language),
        active=format_number(figures["active_checkpoints"], language),
        names="、".join(map(user_text, missing)),
    )


def _figure_rows(
    section: str, names: tuple[str, ...], today: dict, before: dict, language: str
) -> Iterator[tuple[str, str, str, str]]:
    for name in names:
        digits = 1 if isinstance(today[name], float) else 0
        yield (
            translate(f"briefing.figure.{section}.{name}", language),
            format_number(today[name], language, digits),
            format_number(before[name], language, digits),
            _signed(change(today[name], before[name]), language, digits),
        )


def comparison_columns(section: str, language: str, as_of: datetime | None = None) -> list[str]:
    """The titles of a section's table that sets the day beside the day before: while the day is not over
    (``as_of``) they say how far it goes and whether the day before is cut to the same time of day
    (:data:`SAME_TIME_SECTIONS`) or is the whole day."""
    if as_of is None:
        today_title, before_title = (
            translate("briefing.column.today", language),
            translate("briefing.column.yesterday", language),
        )
    else:
        time_of_day = as_of.strftime("%H:%M")
        today_title = translate("briefing.column.today_so_far", language, time=time_of_day)
        before_title = (
            translate("briefing.column.yesterday_same_time", language, time=time_of_day)
            if section in SAME_TIME_SECTIONS
            else translate("briefing.column.yesterday_whole_day", language)
        )
    return [
        translate("briefing.column.figure", language),
        today_title,
        before_title,
        translate("briefing.column.change", language),
    ]


def briefing_sections(
    today: dict, before: dict, language: str, user_text: UserText = as_typed, as_of: datetime | None = None
) -> list[tuple[str, list[str], list[tuple]]]:
    """The briefing as (heading, column titles, rows) per domain; Markdown and Word render these (``user_text``
    writes the supply items' names and units, as for :func:`headline`; ``as_of`` titles the columns of a day
    that is not over, see :func:`comparison_columns`)."""
    columns = partial(comparison_columns, language=language, as_of=as_of)
    cp_rows = list(
        _figure_rows("checkpoints", CHECKPOINT_FIGURES, today["checkpoints"], before["checkpoints"], language)
    )
    qu_today = {**today["quarantine"], **{f"current_{k}": v for k, v in today["quarantine"]["current"].items()}}
    qu_before = {**before["quarantine"], **{f"current_{k}": v for k, v in before["quarantine"]["current"].items()}}
    qu_names = ("current_total", "current_centralized", "current_home", "current_monitoring", *QUARANTINE_FIGURES)
    en_rows = list(
        _figure_rows("enterprises", ENTERPRISE_FIGURES, today["enterprises"], before["enterprises"], language)
    )
    rate_today, rate_before = today["enterprises"]["reopen_rate"] * 100, before["enterprises"]["reopen_rate"] * 100
    en_rows.append(
        (
            translate("briefing.figure.enterprises.reopen_rate", language),
            format_number(rate_today, language, 1) + "%",
            format_number(rate_before, language, 1) + "%",
            _signed(change(rate_today, rate_before), language, 1),
        )
    )
    supply_columns = (
        [translate("briefing.column.item", language)]
        + [translate(f"briefing.figure.supplies.{name}", language) for name in SUPPLY_FIGURES]
        + [translate("briefing.column.status", language)]
    )
    supply_rows = [
        (
            user_text(item["item"])
            + (f"（{user_text(item['unit'])}）" if language == "zh_CN" else f" ({user_text(item['unit'])})"),
            *(
                format_number(item[name], language, 1 if name in ("burn_rate", "days_of_cover") else 0)
                for name in SUPPLY_FIGURES
            ),
            translate(f"supplies.code.{item['status']}", language),
        )
        for item in today["supplies"]
    ]
    return [
        (translate("briefing.section.checkpoints", language), columns("checkpoints"), cp_rows),
        (
            translate("briefing.section.quarantine", language),
            columns("quarantine"),
            list(_figure_rows("quarantine", qu_names, qu_today, qu_before, language)),
        ),
        (translate("briefing.section.supplies", language), supply_columns, supply_rows),
        (translate("briefing.section.enterprises", language), columns("enterprises"), en_rows),
    ]


def beds_outlook_line(outlook: list[quarantine.SiteOutlook], language: str) -> str:
    """The outlook of free centralized beds in one line (集中隔离点空余床位（未来 7 日）：12月6日 5 张，…): all active
    sites together on each of the next :data:`data_layer.quarantine.BEDS_OUTLOOK_DAYS` days
    (:func:`data_layer.quarantine.free_beds_outlook`). One line rather than a table, so that the group push, whose
    robots draw no tables, says it too; the sites projected full are named in the action list."""
    days = quarantine.free_beds_outlook(outlook)
    if not days:
        return translate("briefing.beds_outlook_none", language)
    free = translate("briefing.beds_outlook_separator", language).join(
        translate(
            "briefing.beds_outlook_day",
            language,
            day=format_month_day(day["day"], language),
            free=format_number(day["free"], language),
        )
        for day in days
    )
    return translate("briefing.beds_outlook", language, days=quarantine.BEDS_OUTLOOK_DAYS, free=free)


def briefing_title(today: dict, language: str) -> str:
    return translate("briefing.title", language, date=format_day(date.fromisoformat(today["date"]), language))


@dataclass(frozen=True)
class BriefingFacts:
    """Everything one day's briefing shows, read together: the day's figures and the day before's (design §6;
    :func:`previous_day`), the day's alerts (:func:`data_layer.situation.alerts`), the figures later corrections
    changed (:func:`data_layer.review.figure_corrections`) and ``as_of``, the moment the figures of a day that is
    not over stand at (``None`` once it is over: :func:`data_layer.clock.figures_moment`)."""

    today: dict
    before: dict
    alerts: list[Alert]
    corrections: list[dict]
    as_of: datetime | None = None


def briefing_facts(conn: Connection, day: date, as_of: datetime | None = None) -> BriefingFacts:
    """:class:`BriefingFacts` for ``day``, read in one transaction so that its parts agree; ``as_of`` is the
    moment the figures stand at, :func:`data_layer.clock.figures_moment` of ``day`` unless given."""
    as_of = as_of or clock.figures_moment(day)
    today = build_briefing(conn, day)
    return BriefingFacts(
        today,
        previous_day(conn, day, as_of),
        situation.alerts(conn, day, today, as_of),
        review.figure_corrections(conn, day, today),
        as_of,
    )


@dataclass(frozen=True)
class Writing:
    """How the text users typed is written into one output: ``name`` for a name or reason on one line, ``note``
    for the leader's note, which keeps its lines."""

    name: UserText
    note: UserText


AS_TYPED = Writing(as_typed, as_typed)
IN_MARKDOWN = Writing(plain, partial(plain, keep_lines=True))


@dataclass(frozen=True)
class Table:
    heading: str
    columns: list[str]
    rows: list[tuple[str, ...]]


@dataclass(frozen=True)
class ActionLine:
    """One line of the action list: an alert in words, ``severity`` ``high`` (act now) or ``medium`` (watch)."""

    severity: str
    text: str


@dataclass(frozen=True)
class BriefingDocument:
    """The briefing as one ordered document, in words: the page, the Markdown file and the Word document each lay
    out these parts in this order and nothing else, so that none of them can say something the others do not.

    ``no_actions`` is said when ``actions`` is empty; ``corrections_summary`` says how many figures later
    corrections changed (or that none did) and ``corrections`` lists them.
    """

    title: str
    headline: str
    zero_report: str
    beds_outlook: str
    tables: list[Table]
    actions_heading: str
    actions: list[ActionLine]
    no_actions: str
    corrections_summary: str
    corrections: Table
    notes_heading: str
    notes: str


def briefing_document(facts: BriefingFacts, language: str, writing: Writing = AS_TYPED) -> BriefingDocument:
    """The briefing document of ``facts`` in ``language``; ``writing`` writes the text users typed
    (:data:`IN_MARKDOWN` where the output is Markdown)."""
    today, name = facts.today, writing.name
    return BriefingDocument(
        title=briefing_title(today, language),
        headline=headline(today, language, name, facts.as_of),
        zero_report=zero_report_line(today["checkpoints"], language, name),
        beds_outlook=beds_outlook_line(today["beds_outlook"], language),
        tables=[
            Table(heading, columns, rows)
            for heading, columns, rows in briefing_sections(today, facts.before, language, name, facts.as_of)
        ],
        actions_heading=translate("briefing.section.actions", language),
        actions=[ActionLine(alert.severity, situation.alert_text(alert, language, name)) for alert in facts.alerts],
        no_actions=translate("wall.no_alerts", language),
        corrections_summary=(
            translate("briefing.corrections_note", language, count=len(facts.corrections))
            if facts.corrections
            else translate("briefing.no_corrections", language)
        ),
        corrections=Table(
            translate("briefing.section.corrections", language),
            [translate(key, language) for key in CORRECTION_COLUMNS],
            [correction_row(mark, language, name) for mark in facts.corrections],
        ),
        notes_heading=translate("briefing.section.notes", language),
        notes=writing.note(today["notes"]) or translate("briefing.no_notes", language),
    )


def correction_row(mark: dict, language: str, user_text: UserText = as_typed) -> tuple[str, ...]:
    """A figure a later correction changed, in words: which, from what, to what, when, by whom, why."""
    return (
        figure_label(mark, language, user_text),
        shown_value(mark["before"], language, user_text),
        shown_value(mark["after"], language, user_text),
        format_moment(mark["changed_at"], language),
        user_text(mark["changed_by"]),
        user_text(mark["reason"]) if mark["reason"] else "—",
    )


def figure_label(mark: dict, language: str, user_text: UserText = as_typed) -> str:
    """A corrected figure in words: its briefing label, with the item or the reason it concerns."""
    section, figure = mark["section"], mark["figure"]
    if figure.startswith("by_reason."):
        label = translate(
            "briefing.figure.enterprises.by_reason",
            language,
            reason=translate(f"enterprises.code.{figure.split('.', 1)[1]}", language),
        )
    else:
        key = f"briefing.figure.{section}.{figure.replace('.', '_')}"
        label = translate(key, language) if key in catalog(language) else figure
    if not mark["item"]:
        return label
    return translate("briefing.item_figure", language, item=user_text(mark["item"]), figure=label)


def shown_value(value: object, language: str, user_text: UserText = as_typed) -> str:
    """A figure's value before or after a correction: a number as the tables write it, a yes or no, names."""
    if isinstance(value, list):
        return "、".join(map(user_text, value)) or "—"
    if isinstance(value, bool):
        return translate("briefing.yes" if value else "briefing.no", language)
    if isinstance(value, int | float):
        return format_number(value, language, 0 if isinstance(value, int) else 1)
    return "—" if value is None else user_text(str(value))


def render_markdown(facts: BriefingFacts, language: str) -> str:
    """The briefing document as Markdown, in the words a command post sends upward; every name, reason and note
    a user typed is escaped (:func:`data_layer.markdown.plain`), so it shows as typed and never as a link, image
    or table."""
    document = briefing_document(facts, language, IN_MARKDOWN)
    lines = [f"# {document.title}", "", document.headline, "", document.zero_report, "", document.beds_outlook, ""]
    for table in document.tables:
        lines += [f"## {table.heading}", "", *_markdown_table(table), ""]
    lines += [f"## {document.actions_heading}", ""]
    lines += [f"- {action.text}" for action in document.actions] or [document.no_actions]
    lines += ["", f"## {document.corrections.heading}", "", document.corrections_summary, ""]
    if document.corrections.rows:
        lines += [*_markdown_table(document.corrections), ""]
    lines += [f"## {document.notes_heading}", "", document.notes, ""]
    return "\n".join(lines)


def render_push_markdown(facts: BriefingFacts, language: str, link: str | None = None) -> tuple[str, str]:
    """The briefing as a group robot's message, a title and a Markdown body: the headline (截至 … 时), who
    reported, the outlook of free centralized beds and the action list of :func:`briefing_document`, and a link
    to the app when it has an address. The tables are left out (the robots draw no tables and take some 4,000
    bytes), and so are the corrections' authors and the leader's free-text note, which could name a person."""
    document = briefing_document(facts, language, IN_MARKDOWN)
    lines = [
        document.headline,
        "",
        document.zero_report,
        "",
        document.beds_outlook,
        "",
        f"**{document.actions_heading}**",
        "",
    ]
    lines += [f"- {action.text}" for action in document.actions] or [document.no_actions]
    lines += ["", document.corrections_summary]
    if link:
        lines += ["", f"[{translate('notify.open_app', language)}]({link})"]
    return document.title, "\n".join(lines)


def _markdown_table(table: Table) -> list[str]:
    return [
        "| " + " | ".join(table.columns) + " |",
        "|" + "---|" * len(table.columns),
        *("| " + " | ".join(str(cell) for cell in row) + " |" for row in table.rows),
    ]


def render_docx(facts: BriefingFacts, language: str) -> bytes:
    """The briefing document as Word, laid out as a Chinese official document (GB/T 9704): A4, its margins, the
    title in 黑体 二号, headings in 黑体 三号, the text in 仿宋 三号, one table per domain (宋体 五号, to fit)."""
    document = briefing_document(facts, language)
    word = Document()
    _official_page(word)
    _official_styles(word)
    word.add_paragraph(document.title, style=TITLE_STYLE)
    word.add_paragraph(document.headline, style=BODY_STYLE)
    word.add_paragraph(document.zero_report, style=BODY_STYLE)
    word.add_paragraph(document.beds_outlook, style=BODY_STYLE)
    for table in document.tables:
        _word_table(word, table)
    word.add_heading(document.actions_heading, level=2)
    for line in [action.text for action in document.actions] or [document.no_actions]:
        word.add_paragraph(line, style=BODY_STYLE)
    word.add_heading(document.corrections.heading, level=2)
    word.add_paragraph(document.corrections_summary, style=BODY_STYLE)
    if document.corrections.rows:
        _word_table(word, document.corrections, heading=False)
    word.add_heading(document.notes_heading, level=2)
    word.add_paragraph(document.notes, style=BODY_STYLE)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _official_page(word: DocxDocument) -> None:
    """A4 with the margins of GB/T 9704 (天头 37 mm, 订口 28 mm): a type area of 156 × 225 mm."""
    section = word.sections[0]
    section.page_width, section.page_height = PAGE_SIZE_MM
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = MARGINS_MM


def _official_styles(word: DocxDocument) -> None:
    """黑体 for the title and headings, 仿宋 三号 for the text with a two-character first-line indent, and 宋体 五号
    (the ``Normal`` style) for the table cells, which at 三号 would not fit a seven-column table on the page."""
    _font(word.styles["Normal"], "SimSun", 10.5)
    _font(word.styles["Heading 2"], "SimHei", 16)
    word.styles["Heading 2"].font.bold = False  # 黑体 is heavy enough; GB/T 9704 sets headings in it unbolded
    title = word.styles.add_style(TITLE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    title.base_style = word.styles["Normal"]
    _font(title, "SimHei", 22)
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = Pt(16)
    body = word.styles.add_style(BODY_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    body.base_style = word.styles["Normal"]
    _font(body, "FangSong", 16)
    body.paragraph_format.first_line_indent = Pt(32)
    body.paragraph_format.line_spacing = Pt(28)


def _font(style: CharacterStyle, east_asian: str, size: float) -> None:
    """Chinese text in ``east_asian``, Latin letters and digits in Times New Roman, black, ``size`` points. The
    template's theme fonts are removed: Word prefers a theme font to the font named beside it."""
    style.font.name = "Times New Roman"
    style.font.size = Pt(size)
    style.font.color.rgb = RGBColor(0, 0, 0)
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in THEME_FONTS:
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), east_asian)


def _word_table(word: DocxDocument, table: Table, heading: bool = True) -> None:
    if heading:
        word.add_heading(table.heading, level=2)
    grid = word.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, title in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = title
    for row in table.rows:
        for cell, value in zip(grid.add_row().cells, row, strict=True):
            cell.text = str(value)
