"""Release notices (解除隔离医学观察通知书): Word documents filled from an editable template.

The wording and layout belong to the command post, not to the code: the
template is an ordinary .docx (``data_layer/templates/release_notice.docx``,
or the file named by ``COMMAND_POST_NOTICE_TEMPLATE``) in which placeholders
such as ``{name}`` or ``{end_date}`` stand where the register's values go
(the list is :data:`PLACEHOLDERS` and the README beside the template). A
notice is the template with the placeholders replaced; a bulk release gets
one combined document with one notice per page.

Notices are Chinese documents handed to the person, so values are written in
Chinese whatever the screen language is.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Mapping, Sequence
from copy import deepcopy
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from sqlalchemy.engine import Connection

from data_layer import quarantine, settings
from data_layer.db import Actor, Record
from data_layer.i18n import format_day

PLACEHOLDER = re.compile(r"\{(\w+)\}")
PLACEHOLDERS = (
    "notice_number",
    "name",
    "id_number",
    "phone",
    "grid",
    "address",
    "origin",
    "mode",
    "place",
    "start_date",
    "planned_end",
    "end_date",
    "days",
)
NOTICE_LANGUAGE = "zh_CN"


def template_path() -> Path:
    """The template in use: ``COMMAND_POST_NOTICE_TEMPLATE`` when set (a command post's own file kept
    outside the code), else the default in ``data_layer/templates``."""
    return settings.NOTICE_TEMPLATE.value()


def notice_values(row: Record) -> dict[str, str]:
    """The text of each placeholder for one released episode (a row of :func:`quarantine.released_episodes`).

    ``place`` is the site for centralized quarantine and the home address
    (else the grid) otherwise; ``days`` the days from start to release; the
    notice number is the release year and the episode number.
    """
    start, end = row["start_date"], row["end_date"]
    place = row["site"] if row["mode"] == "centralized" else (row["address"] or row["grid"])
    return {
        "notice_number": f"{end.year}-{row['episode_id']:06d}",
        "name": str(row["name"]),
        "id_number": str(row["id_number"]),
        "phone": str(row["phone"]),
        "grid": str(row["grid"]),
        "address": str(row["address"] or ""),
        "origin": str(row["origin"] or ""),
        "mode": quarantine.code_label(str(row["mode"]), NOTICE_LANGUAGE),
        "place": str(place or ""),
        "start_date": format_day(start, NOTICE_LANGUAGE),
        "planned_end": format_day(row["planned_end"], NOTICE_LANGUAGE),
        "end_date": format_day(end, NOTICE_LANGUAGE),
        "days": str((end - start).days),
    }


def _paragraphs(document: DocxDocument) -> Iterator[Paragraph]:
    """Every paragraph of the body, including those inside (nested) table cells."""
    yield from document.paragraphs
    tables = list(document.tables)
    while tables:
        for row in tables.pop().rows:
            for cell in row.cells:
                yield from cell.paragraphs
                tables.extend(cell.tables)


def _fill(paragraph: Paragraph, values: Mapping[str, str]) -> None:
    """Replace the known placeholders of one paragraph.

    Word often splits a typed ``{name}`` over several runs, so the paragraph's
    whole text is replaced and put into its first run (the paragraph keeps the
    formatting of its first character); unknown placeholders stay visible.
    """
    text = paragraph.text
    filled = PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)
    if filled == text or not paragraph.runs:
        return
    first, *rest = paragraph.runs
    first.text = filled
    for run in rest:
        run.text = ""


def filled_notice(row: Record) -> DocxDocument:
    """The template with one person's values."""
    document = Document(str(template_path()))
    values = notice_values(row)
    for paragraph in _paragraphs(document):
        _fill(paragraph, values)
    return document


def _append_body(target: DocxDocument, source: DocxDocument) -> None:
    """Copy the content of ``source`` (made from the same template) to the end of ``target``'s body."""
    body = target.element.body
    for element in source.element.body:
        if element.tag != qn("w:sectPr"):
            body.sectPr.addprevious(deepcopy(element))


def render_notices(rows: Sequence[Record]) -> bytes:
    """One notice per row as a .docx: a single notice for one row, one combined document (a notice per page)
    for several."""
    if not rows:
        raise ValueError("a release notice needs at least one released person")
    combined = filled_notice(rows[0])
    for row in rows[1:]:
        combined.add_page_break()
        _append_body(combined, filled_notice(row))
    buffer = io.BytesIO()
    combined.save(buffer)
    return buffer.getvalue()


def release_notices(conn: Connection, episode_ids: Sequence[int], actor: Actor | None = None) -> bytes:
    """The notices of the released episodes among ``episode_ids``, in that order, as one .docx.

    Numbers are masked unless ``actor`` may see them, as everywhere else.
    """
    return render_notices(quarantine.released_episodes(conn, episode_ids, actor))
