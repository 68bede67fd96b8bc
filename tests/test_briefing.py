"""The daily briefing: one set of figures in JSON, Markdown and Word; the leader's notes."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document

from data_layer import briefing, clock, quarantine
from data_layer.briefing import briefing_facts, render_docx, render_markdown, render_push_markdown
from data_layer.db import Actor, connect, perform
from data_layer.errors import PermissionDenied, ValidationError
from data_layer.i18n import format_month_day, format_number
from support import audit_rows, count_rows, id_number


@pytest.fixture(scope="module")
def sample_facts(sample_url):
    with connect(sample_url).connect() as conn:
        return briefing_facts(conn, clock.today())


@pytest.fixture(scope="module")
def sample_briefing(sample_facts):
    return sample_facts.today, sample_facts.before


def figures_in_words(today: dict, language: str) -> list[str]:
    """Figures of every domain as the exports must print them."""
    checkpoints, quarantine, enterprises = today["checkpoints"], today["quarantine"], today["enterprises"]
    return (
        [
            format_number(value, language)
            for value in (
                checkpoints["persons"],
                checkpoints["vehicles"],
                checkpoints["turned_back"],
                quarantine["current"]["total"],
                quarantine["current"]["home"],
                enterprises["reopened"],
                enterprises["total"],
            )
        ]
        + [item["item"] for item in today["supplies"]]
        + [format_number(item["on_hand"], language) for item in today["supplies"]]
        + checkpoints["not_reported"]
    )


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_markdown_holds_the_json_figures(sample_facts, language):
    today = sample_facts.today
    text = render_markdown(sample_facts, language)
    missing = [figure for figure in figures_in_words(today, language) if figure not in text]
    assert missing == []
    assert text.startswith("# ")


def test_markdown_headline_is_in_the_upward_report_style(sample_url):
    """A day that is over stands at 24 时 (today stands at the time it is read: tests/test_partial_day.py)."""
    with connect(sample_url).connect() as conn:
        facts = briefing_facts(conn, clock.today() - timedelta(days=1))
    assert "24 时" in render_markdown(facts, "zh_CN").splitlines()[2]


def test_word_document_holds_the_json_figures_in_tables(sample_facts):
    today = sample_facts.today
    document = Document(io.BytesIO(render_docx(sample_facts, "zh_CN")))
    text = "\n".join(
        [paragraph.text for paragraph in document.paragraphs]
        + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    )
    assert len(document.tables) == 4
    missing = [figure for figure in figures_in_words(today, "zh_CN") if figure not in text]
    assert missing == []
    assert (
        document.styles["Normal"].element.rPr.rFonts.get(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
        )
        == "SimSun"
    )


def test_word_briefing_is_a4_with_the_margins_and_fonts_of_an_official_document(sample_facts):
    document = Document(io.BytesIO(render_docx(sample_facts, "zh_CN")))
    [section] = document.sections
    sizes = [
        section.page_width,
        section.page_height,
        section.top_margin,
        section.bottom_margin,
        section.left_margin,
        section.right_margin,
    ]
    assert [round(size.mm) for size in sizes] == [210, 297, 37, 35, 28, 26]
    first, body = document.paragraphs[0], document.paragraphs[1]
    assert first.text == briefing.briefing_title(sample_facts.today, "zh_CN")
    assert [east_asian_font(paragraph.style) for paragraph in (first, body)] == ["SimHei", "FangSong"]
    assert east_asian_font(document.styles["Heading 2"]) == "SimHei"
    assert (first.style.font.size.pt, body.style.font.size.pt) == (22, 16)


def east_asian_font(style) -> str:
    return style.element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")


def test_change_against_the_day_before_is_signed(sample_briefing):
    assert briefing.change(12, 10) == 2
    assert briefing.change(None, 10) is None
    today, before = sample_briefing
    rows = briefing.briefing_sections(today, before, "en")[0][2]
    persons = rows[0]
    delta = today["checkpoints"]["persons"] - before["checkpoints"]["persons"]
    assert persons[3] == ("+" if delta > 0 else "−" if delta < 0 else "±") + format_number(abs(delta), "en")


def test_leader_note_is_saved_audited_and_newest_wins(engine, leader):
    day = clock.today() - timedelta(days=1)
    perform(engine, leader, briefing.save_note, day, "第一稿")
    perform(engine, leader, briefing.save_note, day, "定稿：加强夜间卡口值守")
    with engine.connect() as conn:
        assert briefing.build_briefing(conn, day)["notes"] == "定稿：加强夜间卡口值守"
        assert briefing.build_briefing(conn, clock.today())["notes"] == ""
    assert audit_rows(engine) == 2


def test_clerk_may_not_write_briefing_notes(engine):
    clerk = Actor("clerk-test", "clerk", (("checkpoints", frozenset()),))
    with pytest.raises(PermissionDenied):
        perform(engine, clerk, briefing.save_note, clock.today(), "x")
    assert count_rows(engine, "briefing_notes") == 0


def test_note_for_a_future_day_is_refused_naming_the_date(engine, leader):
    with pytest.raises(ValidationError) as refusal:
        perform(engine, leader, briefing.save_note, clock.today() + timedelta(days=1), "x")
    assert refusal.value.fields == ["day"]
    assert refusal.value.messages("zh_CN") == ["日期：不能晚于今天"]
    assert count_rows(engine, "briefing_notes") == 0
    assert audit_rows(engine) == 0


def test_every_briefing_output_gives_the_free_centralized_beds_of_the_next_7_days(engine, admin, monkeypatch):
    """A site of 5 beds holding 2 people admitted on D, with the admissions averaged over one day (2 a day): 1 bed
    free on D+1 and none after. The JSON carries the outlook; the page, Markdown, Word and push say it."""
    monkeypatch.setenv("COMMAND_POST_ADMISSIONS_DAYS", "1")
    day = clock.today() - timedelta(days=3)
    perform(engine, admin, quarantine.add_site, {"name": "城东隔离点", "address": "城东路1号", "capacity": 5})
    for n in (1, 2):
        person = {"name": f"测试{n}", "id_number": id_number(n), "phone": f"1380000{n:04d}", "grid": "第一网格"}
        fields = {"origin_category": "close_contact", "mode": "centralized", "site": "城东隔离点", "start_date": day}
        perform(engine, admin, quarantine.register, {**person, **fields})

    with engine.connect() as conn:
        facts = briefing_facts(conn, day)
    [site] = facts.today["beds_outlook"]
    assert [outlook_day["free"] for outlook_day in site["days"]] == [1, 0, 0, 0, 0, 0, 0]
    ahead = [format_month_day(day + timedelta(days=offset), "zh_CN") for offset in range(1, 8)]
    zh = "集中隔离点空余床位（未来 7 日预测）：" + "，".join(
        f"{month_day} {free} 张" for month_day, free in zip(ahead, [1, 0, 0, 0, 0, 0, 0], strict=True)
    )
    assert briefing.briefing_document(facts, "zh_CN").beds_outlook == zh + "。"
    assert zh in render_markdown(facts, "zh_CN")
    assert zh in render_push_markdown(facts, "zh_CN")[1]
    assert zh in [
        paragraph.text.rstrip("。") for paragraph in Document(io.BytesIO(render_docx(facts, "zh_CN"))).paragraphs
    ]
    english = render_markdown(facts, "en")
    assert (
        f"Free centralized beds (projected, next 7 days): {format_month_day(day + timedelta(days=1), 'en')}: 1, "
        in english
    )
