"""Rectification notices (整改通知书): what one inspection found and by when each item must be fixed.

The notice is handed to the enterprise after an inspection (督导检查), so it is
a Chinese document whatever the screen language is; its words come from the
catalogs (``enterprises.notice.*``) like every other text, and an English
rendering exists for whoever asks for one. It lists the rectification items the
inspection opened with their deadlines, in the order they were found.

Word picks the font of Chinese characters from the ``w:eastAsia`` attribute,
not from the font name python-docx sets, so both are set on every style the
notice uses; otherwise a reader without the default Western font sees a
fallback font or empty boxes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from sqlalchemy.engine import Connection

from data_layer.db import Actor, Record
from data_layer.enterprises import inspection_items, inspection_record
from data_layer.i18n import format_day, translate
from data_layer.privacy import presented

NOTICE_LANGUAGE = "zh_CN"
BODY_FONT = "SimSun"
HEADING_FONT = "SimHei"
STYLE_SIZES = {"Normal": 12, "Title": 22, "Heading 2": 14}
BLACK = RGBColor(0, 0, 0)


def notice_number(record: Record) -> str:
    """The notice's number: the inspection's year and its number in the register (``2026-000042``)."""
    return f"{record['date'].year}-{record['id']:06d}"


def _set_fonts(document: DocxDocument) -> None:
    """Song for the text, Hei for the headings, black headings (Word's default headings are blue)."""
    for name, size in STYLE_SIZES.items():
        style = document.styles[name]
        font_name = BODY_FONT if name == "Normal" else HEADING_FONT
        style.font.name = font_name
        style.font.size = Pt(size)
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font_name)
        if name != "Normal":
            style.font.color.rgb = BLACK
            style.font.bold = True


def _items_table(document: DocxDocument, items: Sequence[Record], language: str) -> None:
    columns = [translate(f"enterprises.notice.column.{name}", language) for name in ("number", "item", "deadline")]
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, columns, strict=True):
        cell.text = title
        cell.paragraphs[0].runs[0].bold = True
    for number, item in enumerate(items, start=1):
        cells = table.add_row().cells
        cells[0].text = str(number)
        cells[1].text = str(item["item"])
        cells[2].text = format_day(item["deadline"], language)


def render_notice(record: Record, items: Sequence[Record], language: str = NOTICE_LANGUAGE) -> bytes:
    """The notice for one inspection (a row of :func:`inspection_record`) and its items, as .docx bytes."""
    document = Document()
    _set_fonts(document)
    title = document.add_heading(translate("enterprises.notice.title", language), level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    number = document.add_paragraph(translate("enterprises.notice.number", language, number=notice_number(record)))
    number.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph().add_run(
        translate("enterprises.notice.addressee", language, enterprise=record["enterprise"])
    ).bold = True
    place = translate("enterprises.notice.separator", language).join(
        str(part) for part in (record["grid"], record["address"]) if part
    )
    document.add_paragraph(
        translate(
            "enterprises.notice.body",
            language,
            date=format_day(record["date"], language),
            inspector=record["inspector"],
            place=place,
        )
    )
    document.add_heading(translate("enterprises.notice.items_heading", language), level=2)
    if items:
        _items_table(document, items, language)
    else:
        document.add_paragraph(translate("enterprises.notice.no_items", language))
    document.add_heading(translate("enterprises.notice.requirements_heading", language), level=2)
    document.add_paragraph(translate("enterprises.notice.requirements", language))
    for line in (
        translate("enterprises.notice.inspector", language, inspector=record["inspector"]),
        translate("enterprises.notice.issuer", language),
        format_day(record["date"], language),
    ):
        document.add_paragraph(line).alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph(translate("enterprises.notice.receipt", language))
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rectification_notice(
    conn: Connection, inspection_id: int, language: str = NOTICE_LANGUAGE, actor: Actor | None = None
) -> bytes:
    """The rectification notice of inspection ``inspection_id`` as .docx bytes, ID and phone numbers typed
    into its texts masked unless ``actor`` may see them."""
    record = inspection_record(conn, inspection_id)
    if record is None:
        raise ValueError(f"there is no inspection {inspection_id}")
    return render_notice(presented(record, actor), presented(inspection_items(conn, inspection_id), actor), language)
