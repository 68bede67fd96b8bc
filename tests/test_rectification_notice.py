"""The rectification notice (整改通知书), read back with python-docx: enterprise, items, deadlines, fonts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from docx.oxml.ns import qn

from data_layer import clock
from data_layer import enterprises as en
from data_layer.db import perform
from data_layer.i18n import format_day
from data_layer.rectification_notice import rectification_notice

TODAY = clock.today()


@pytest.fixture
def restaurant(engine, admin):
    return perform(
        engine,
        admin,
        en.add_enterprise,
        {
            "name": "翠竹园面馆",
            "kind": "shop",
            "sector": "餐饮",
            "grid": "第四网格",
            "address": "翠竹园临街商铺12号",
            "employees": 4,
            "status": "reopened",
            "status_date": TODAY - timedelta(days=20),
        },
    )


def inspect(engine, admin, enterprise_id, findings):
    return perform(engine, admin, en.add_inspection, enterprise_id, TODAY - timedelta(days=2), "督查组王明", findings)


def notice(engine, inspection_id, language="zh_CN"):
    with engine.connect() as conn:
        return Document(io.BytesIO(rectification_notice(conn, inspection_id, language)))


def body_text(document) -> str:
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def test_the_notice_lists_the_enterprise_and_every_item_with_its_deadline_in_finding_order(engine, admin, restaurant):
    first, second = TODAY + timedelta(days=3), TODAY
    inspection_id = inspect(
        engine,
        admin,
        restaurant,
        [{"item": "入口未配备测温设备", "deadline": first}, {"item": "消毒记录不全", "deadline": second}],
    )
    document = notice(engine, inspection_id)

    title = document.paragraphs[0]
    assert (title.text, title.style.name) == ("整改通知书", "Title")
    text = body_text(document)
    assert f"编号：{(TODAY - timedelta(days=2)).year}-{inspection_id:06d}" in text
    assert "翠竹园面馆：" in text
    assert "督查组王明对你单位（第四网格，翠竹园临街商铺12号）" in text
    assert "检查人：督查组王明" in text
    headings = [paragraph.text for paragraph in document.paragraphs if paragraph.style.name == "Heading 2"]
    assert headings == ["整改事项", "整改要求"]
    [table] = document.tables
    assert [[cell.text for cell in row.cells] for row in table.rows] == [
        ["序号", "整改事项", "整改期限"],
        ["1", "入口未配备测温设备", format_day(first, "zh_CN")],
        ["2", "消毒记录不全", format_day(second, "zh_CN")],
    ]


def test_the_notice_sets_a_chinese_font_on_its_text_and_headings(engine, admin, restaurant):
    document = notice(engine, inspect(engine, admin, restaurant, [{"item": "出入登记不规范", "deadline": TODAY}]))
    for style_name, font in (("Normal", "SimSun"), ("Title", "SimHei"), ("Heading 2", "SimHei")):
        fonts = document.styles[style_name].element.rPr.rFonts
        assert (fonts.get(qn("w:eastAsia")), fonts.get(qn("w:ascii"))) == (font, font)


def test_an_inspection_without_findings_says_there_is_nothing_to_rectify(engine, admin, restaurant):
    document = notice(engine, inspect(engine, admin, restaurant, []))
    assert "本次检查未发现需整改的问题。" in body_text(document)
    assert not document.tables


def test_the_notice_can_be_written_in_english(engine, admin, restaurant):
    inspection_id = inspect(engine, admin, restaurant, [{"item": "消毒记录不全", "deadline": TODAY}])
    document = notice(engine, inspection_id, "en")
    assert document.paragraphs[0].text == "Rectification notice"
    assert "To: 翠竹园面馆" in body_text(document)
    assert [cell.text for cell in document.tables[0].rows[1].cells] == ["1", "消毒记录不全", format_day(TODAY, "en")]


def test_an_unknown_inspection_has_no_notice(engine):
    with engine.connect() as conn, pytest.raises(ValueError):
        rectification_notice(conn, 999)
