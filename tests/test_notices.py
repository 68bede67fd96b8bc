"""Release notices (Word, from the editable template) and the register and follow-up Excel exports."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from functools import partial

import pytest
from docx import Document
from openpyxl import load_workbook

import support
from data_layer import clock, notices, quarantine, transfer
from data_layer.db import connect, perform
from data_layer.i18n import format_day

TODAY = clock.today()
TITLE = "解除隔离医学观察通知书"


id_number = partial(support.id_number, prefix="23020219850101")


def person(n: int, **fields: object) -> dict[str, object]:
    data = {
        "name": f"通知{n}",
        "id_number": id_number(n),
        "phone": f"1390000{n:04d}",
        "grid": "第二网格",
        "address": f"示例小区{n}栋",
        "origin": "外省示例市",
        "origin_category": "other_province",
        "mode": "home",
        "start_date": TODAY - timedelta(days=14),
    }
    return {**data, **fields}


def register(engine, admin, n: int, **fields: object) -> int:
    return perform(engine, admin, quarantine.register, person(n, **fields))


def released(engine, admin, *numbers: int) -> list[int]:
    episodes = [register(engine, admin, n) for n in numbers]
    perform(engine, admin, quarantine.release_many, episodes, TODAY, "期满")
    return episodes


def document_text(data: bytes) -> str:
    """Every paragraph and table cell of a .docx, read back with python-docx."""
    document = Document(io.BytesIO(data))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def make_notices(engine, episode_ids, actor) -> bytes:
    with engine.connect() as conn:
        return notices.release_notices(conn, episode_ids, actor)


# --- release notices -----------------------------------------------------------------------------------------------


def test_a_notice_holds_the_persons_name_id_number_place_and_dates(engine, admin):
    site = perform(engine, admin, quarantine.add_site, {"name": "城东隔离点", "capacity": 5})
    episode = register(engine, admin, 1, mode="centralized", site=site, origin_category="high_risk_area")
    perform(engine, admin, quarantine.release, episode, TODAY)

    text = document_text(make_notices(engine, [episode], admin))

    assert TITLE in text and "通知1" in text and id_number(1) in text and "城东隔离点" in text
    assert format_day(TODAY - timedelta(days=14), "zh_CN") in text and format_day(TODAY, "zh_CN") in text
    assert "集中隔离" in text and "14" in text and f"{TODAY.year}-{episode:06d}" in text
    assert "{" not in text


def test_a_bulk_release_makes_one_document_with_one_notice_per_person(engine, admin):
    episodes = released(engine, admin, 1, 2, 3)

    document = Document(io.BytesIO(make_notices(engine, episodes, admin)))

    titles = [paragraph.text for paragraph in document.paragraphs if paragraph.text == TITLE]
    assert len(titles) == 3
    addressed = [paragraph.text for paragraph in document.paragraphs if paragraph.text.startswith("通知")]
    assert addressed == [f"通知{n}（身份证号：{id_number(n)}）：" for n in (1, 2, 3)]
    assert len(document.tables) == 3


def test_only_released_people_get_a_notice(engine, admin):
    [done] = released(engine, admin, 1)
    active = register(engine, admin, 2)

    text = document_text(make_notices(engine, [active, done], admin))

    assert "通知1" in text and "通知2" not in text
    with pytest.raises(ValueError), engine.connect() as conn:
        notices.release_notices(conn, [active], admin)


def test_a_leaders_notice_shows_the_numbers_masked(engine, admin, leader):
    [episode] = released(engine, admin, 1)

    text = document_text(make_notices(engine, [episode], leader))

    assert id_number(1) not in text and quarantine.mask_id_number(id_number(1)) in text


def test_an_edited_template_is_used_even_when_word_split_a_placeholder(engine, admin, tmp_path, monkeypatch):
    """What the command post edits in Word: new wording, and placeholders Word stored over several runs."""
    document = Document()
    paragraph = document.add_paragraph("新华社区通知：")
    for piece in ("{na", "me}", " 于 ", "{end", "_date}", " 解除，", "{unknown}"):
        paragraph.add_run(piece)
    cell = document.add_table(rows=1, cols=1).rows[0].cells[0]
    cell.text = "{start_date}"
    template = tmp_path / "edited.docx"
    document.save(template)
    monkeypatch.setenv("COMMAND_POST_NOTICE_TEMPLATE", str(template))
    [episode] = released(engine, admin, 1)

    text = document_text(make_notices(engine, [episode], admin))

    assert f"新华社区通知：通知1 于 {format_day(TODAY, 'zh_CN')} 解除，{{unknown}}" in text
    assert format_day(TODAY - timedelta(days=14), "zh_CN") in text


def test_the_default_template_holds_every_placeholder_it_documents():
    text = document_text(notices.template_path().read_bytes())
    used = set(notices.PLACEHOLDER.findall(text))
    assert used <= set(notices.PLACEHOLDERS)
    assert {"name", "id_number", "start_date", "end_date", "notice_number"} <= used


# --- Excel exports -------------------------------------------------------------------------------------------------


def ledger(engine, admin) -> None:
    """A register with every kind of episode and follow-ups, one of them corrected."""
    site = perform(engine, admin, quarantine.add_site, {"name": "城东隔离点", "address": "城东路1号", "capacity": 5})
    at_site = register(
        engine,
        admin,
        1,
        mode="centralized",
        site=site,
        origin_category="high_risk_area",
        start_date=TODAY - timedelta(days=10),
    )
    done = register(engine, admin, 2, start_date=TODAY - timedelta(days=20))
    perform(engine, admin, quarantine.release, done, TODAY - timedelta(days=6), "期满")
    extended = register(engine, admin, 3, origin_category="close_contact", start_date=TODAY - timedelta(days=5))
    perform(engine, admin, quarantine.change_planned_end, extended, "密接复核", planned_days=21)
    register(
        engine,
        admin,
        4,
        mode="monitoring",
        origin_category="in_province_other_city",
        start_date=TODAY - timedelta(days=3),
        reason="社区排查",
    )
    taken = register(engine, admin, 5, start_date=TODAY - timedelta(days=8))
    perform(engine, admin, quarantine.transfer_to_hospital, taken, TODAY - timedelta(days=1), "发热转院")
    rows = [
        {
            "episode_id": episode,
            "date": TODAY - timedelta(days=days),
            "slot": slot,
            "temperature": 36.4,
            "by": "网格员甲",
        }
        for episode in (at_site, extended)
        for days in (2, 1)
        for slot in quarantine.SLOTS
    ]
    rows += [
        {"episode_id": done, "date": TODAY - timedelta(days=7), "slot": "AM", "temperature": 36.5, "by": "乙"},
        {
            "episode_id": extended,
            "date": TODAY,
            "slot": "AM",
            "temperature": 37.6,
            "symptoms": True,
            "symptom_text": "咳嗽",
            "by": "网格员甲",
        },
    ]
    first = perform(engine, admin, quarantine.add_followups, rows)[0]
    perform(engine, admin, quarantine.correct_followup, first, {"temperature": 36.8}, "录错")


def workbooks(engine, actor, language: str) -> tuple[bytes, bytes]:
    with engine.connect() as conn:
        return (
            quarantine.register_workbook(conn, TODAY, None, actor, language, False),
            quarantine.followups_workbook(conn, TODAY, None, actor, language, True),
        )


def sheets(data: bytes) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook.worksheets}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_exports_reimport_to_the_same_rows(engine, admin, database_factory, language):
    ledger(engine, admin)
    register_file, followups_file = workbooks(engine, admin, language)
    copy = connect(database_factory.fresh_url())
    perform(copy, admin, quarantine.add_site, {"name": "城东隔离点", "address": "城东路1号", "capacity": 5})

    assert transfer.import_file(copy, admin, "quarantine", register_file, "register.xlsx") == 5
    assert transfer.import_file(copy, admin, "followups", followups_file, "followups.xlsx") == 9

    again = workbooks(copy, admin, language)
    copy.dispose()
    assert sheets(again[0]) == sheets(register_file)
    assert sheets(again[1]) == sheets(followups_file)


def test_the_followups_export_has_every_row_first_and_one_sheet_per_person_on_request(engine, admin):
    ledger(engine, admin)
    with engine.connect() as conn:
        combined = sheets(quarantine.followups_workbook(conn, TODAY, None, admin, "zh_CN", True))
        single = sheets(quarantine.followups_workbook(conn, TODAY, None, admin, "zh_CN", False))

    titles = list(combined)
    assert titles == ["随访记录", f"通知1-{id_number(1)[-4:]}", f"通知3-{id_number(3)[-4:]}"]
    assert list(single) == ["随访记录"]
    header, *rows = combined["随访记录"]
    assert header == ("姓名", "身份证号", "日期", "时段", "体温", "症状", "随访人", "症状描述")
    assert len(rows) == 9 and {row[0] for row in rows} == {"通知1", "通知3"}
    assert datetime.combine(TODAY - timedelta(days=2), time()) in {row[2] for row in rows}
    assert 36.8 in {row[4] for row in rows}
    assert ("通知3", id_number(3), datetime.combine(TODAY, time()), "上午", 37.6, "是", "网格员甲", "咳嗽") in rows
    assert sorted(combined[titles[1]][1:] + combined[titles[2]][1:]) == sorted(rows)


def test_a_search_limits_the_register_export(engine, admin):
    ledger(engine, admin)
    with engine.connect() as conn:
        header, *rows = sheets(quarantine.register_workbook(conn, TODAY, "通知3", admin, "en", True))["Register"]
    assert header[:3] == ("name", "id_number", "phone")
    assert [row[:2] for row in rows] == [("通知3", id_number(3))]
    assert rows[0][header.index("planned_days")] == 21 and rows[0][header.index("mode")] == "home"


def test_a_leaders_export_masks_every_number(engine, admin, leader):
    ledger(engine, admin)
    register_file, followups_file = workbooks(engine, leader, "zh_CN")

    cells = {
        str(cell)
        for data in (register_file, followups_file)
        for rows in sheets(data).values()
        for row in rows
        for cell in row
    }
    numbers = {value for n in range(1, 6) for value in (id_number(n), person(n)["phone"])}
    assert not numbers & cells
    assert quarantine.mask_id_number(id_number(1)) in cells and quarantine.mask_phone(person(1)["phone"]) in cells
