"""Write the default release-notice template, ``release_notice.docx``, next to this script.

The command post edits the .docx itself in Word or WPS (wording, unit name,
layout, a logo); this script only recreates the default. Run it from the
project folder: ``.venv/bin/python data_layer/templates/make_release_notice.py``.
The placeholders in braces are listed in README.md beside it.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

TARGET = Path(__file__).resolve().parent / "release_notice.docx"
BODY = (
    "您自{start_date}起在{place}接受{mode}。截至{end_date}，医学观察期满（共 {days} 天），"
    "观察期间每日随访未发现发热、咳嗽等异常情况，经评估符合解除条件，现予解除隔离医学观察。",
    "解除后请继续做好个人防护：坚持佩戴口罩、勤洗手、常通风、少聚集；如出现发热、干咳、乏力、"
    "咽痛等症状，请及时到发热门诊就诊，并主动向所在社区报告。",
    "特此通知。",
)
STUB = (
    ("姓名", "{name}"),
    ("身份证号", "{id_number}"),
    ("网格", "{grid}"),
    ("隔离方式", "{mode}"),
    ("观察期", "{start_date} 至 {end_date}"),
    ("通知书编号", "{notice_number}"),
)


def _set_fonts(document: DocxDocument) -> None:
    for name, font in (("Normal", "SimSun"), ("Title", "SimHei")):
        style = document.styles[name]
        style.font.name = font
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    document.styles["Normal"].font.size = Pt(14)


def _paragraph(
    document: DocxDocument,
    text: str,
    *,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    bold: bool = False,
    size: int | None = None,
) -> None:
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        paragraph.alignment = align
    if indent:
        paragraph.paragraph_format.first_line_indent = Pt(28)
    paragraph.paragraph_format.line_spacing = 1.5


def build() -> DocxDocument:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin = section.right_margin = Cm(2.6)
    _set_fonts(document)
    _paragraph(document, "解除隔离医学观察通知书", align=WD_ALIGN_PARAGRAPH.CENTER, bold=True, size=22)
    _paragraph(document, "编号：{notice_number}", align=WD_ALIGN_PARAGRAPH.RIGHT, size=12)
    _paragraph(document, "{name}（身份证号：{id_number}）：")
    for text in BODY:
        _paragraph(document, text, indent=True)
    _paragraph(document, "")
    _paragraph(document, "××社区疫情防控指挥部（盖章）", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, "{end_date}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(
        document,
        "- - - - - - - - - - - - - - - 存根（社区留存）- - - - - - - - - - - - - - -",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        size=10,
    )
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in STUB:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    return document


if __name__ == "__main__":
    build().save(str(TARGET))
    print(f"wrote {TARGET}")
