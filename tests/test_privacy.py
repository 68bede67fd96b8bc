"""Personal numbers typed into free text are masked like the number columns, on every page and in every
download, for every role that sees numbers masked (everyone but the administrator)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document
from openpyxl import load_workbook

from data_layer import clock, enterprises, quarantine, supplies
from data_layer.db import Actor, perform
from data_layer.privacy import mask_numbers_in_text, presented
from data_layer.rectification_notice import rectification_notice
from support import id_number, open_page, page_text

TODAY = clock.today()
YESTERDAY = TODAY - timedelta(days=1)
ID = id_number(7)
SPELLINGS = {
    "id_whole": (ID, ID[:4] + "*" * 10 + ID[-4:]),
    "id_6_8_4": (f"{ID[:6]} {ID[6:14]} {ID[14:]}", ID[:4] + "*" * 10 + ID[-4:]),
    "id_4_by_4": (" ".join(ID[i : i + 4] for i in range(0, 18, 4)), ID[:4] + "*" * 10 + ID[-4:]),
    "id_lower_x": ("11010519491231002x", "1101**********002X"),
    "phone_whole": ("13800138000", "138****8000"),
    "phone_dashes": ("138-0013-8000", "138****8000"),
    "phone_spaces": ("138 0013 8000", "138****8000"),
    "phone_country_code": ("+86 138 0013 8000", "138****8000"),
    "phone_0086": ("0086-13800138000", "138****8000"),
}
HIDDEN = ("0013", ID[4:14])
NOTE = f"联系人电话 138-0013-8000，身份证 {ID[:6]} {ID[6:14]} {ID[14:]}"
CLERK = Actor(
    "clerk-test", "clerk", (("quarantine", frozenset()), ("supplies", frozenset()), ("enterprises", frozenset()))
)


@pytest.mark.parametrize("spelling", sorted(SPELLINGS))
def test_a_number_in_text_is_masked_however_it_is_written(spelling):
    written, masked = SPELLINGS[spelling]
    assert mask_numbers_in_text(f"见{written}。") == f"见{masked}。"


@pytest.mark.parametrize(
    "text", ["2026-12-05 08:00", "体温 37.3℃，共 120 人", "批次 20261205001", "0.5 箱", "12345678901234567890123"]
)
def test_text_without_a_personal_number_is_left_as_it_is(text):
    assert mask_numbers_in_text(text) == text


def test_presented_masks_text_at_any_depth_for_everyone_but_the_administrator(admin, leader):
    result = {"rows": [{"note": NOTE, "count": 3}], "pair": (NOTE,)}
    assert presented(result, admin) == result
    for actor in (leader, CLERK, Actor("wall-test", "wall"), None):
        shown = presented(result, actor)
        assert shown["rows"][0]["count"] == 3
        assert not any(hidden in str(shown) for hidden in HIDDEN)
        assert "138****8000" in shown["rows"][0]["note"] and "1101**********" in shown["pair"][0]
    assert result["rows"][0]["note"] == NOTE


@pytest.fixture
def noted(engine, admin) -> int:
    """A person whose episode reason, change reason and symptom text, a supply issue's counterparty and note,
    and an inspection's item all hold a phone and an ID number."""
    episode = perform(
        engine,
        admin,
        quarantine.register,
        {
            "name": "赵示例",
            "id_number": id_number(1),
            "phone": "13900000001",
            "grid": "第一网格",
            "origin_category": "close_contact",
            "mode": "home",
            "start_date": YESTERDAY,
            "reason": NOTE,
        },
    )
    perform(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episode, "date": TODAY, "slot": "AM", "temperature": 36.6, "by": "网格员", "symptom_text": NOTE},
    )
    perform(engine, admin, supplies.add_item, {"name": "口罩", "unit": "个"})
    perform(
        engine, admin, supplies.add_movement, {"item": "口罩", "date": YESTERDAY, "kind": "purchase", "quantity": 100}
    )
    perform(
        engine,
        admin,
        supplies.add_movement,
        {
            "item": "口罩",
            "date": TODAY,
            "kind": "issue",
            "quantity": 5,
            "counterparty": NOTE[:30],
            "note": NOTE,
            "recipient_kind": "other",
        },
    )
    shop = perform(
        engine,
        admin,
        enterprises.add_enterprise,
        {
            "name": "示例面馆",
            "kind": "shop",
            "sector": "餐饮",
            "grid": "第一网格",
            "employees": 3,
            "status": "not_reopened",
            "status_date": YESTERDAY,
            "reason": "workers_short",
        },
    )
    return perform(
        engine,
        admin,
        enterprises.add_inspection,
        shop,
        TODAY,
        "督查组王",
        [{"item": NOTE, "deadline": TODAY + timedelta(days=3)}],
    )


def assert_masked(text: str) -> None:
    assert "138****8000" in text
    assert not any(hidden in text for hidden in HIDDEN), text


def workbook_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return "\n".join(str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row)


@pytest.mark.parametrize("actor", [Actor("leader-test", "leader"), CLERK], ids=["leader", "clerk"])
def test_every_download_masks_numbers_in_free_text(engine, noted, actor, admin):
    with engine.connect() as conn:
        files = {
            "register": workbook_text(quarantine.register_workbook(conn, TODAY, actor=actor)),
            "followups": workbook_text(quarantine.followups_workbook(conn, TODAY, actor=actor, per_person=True)),
            "ledger": workbook_text(supplies.ledger_workbook(conn, YESTERDAY, TODAY, actor=actor)),
            "notice": "\n".join(
                cell.text
                for table in Document(io.BytesIO(rectification_notice(conn, noted, actor=actor))).tables
                for row in table.rows
                for cell in row.cells
            ),
        }
        full = workbook_text(supplies.ledger_workbook(conn, YESTERDAY, TODAY, actor=admin))
    for text in files.values():
        assert_masked(text)
    assert "138-0013-8000" in full


@pytest.mark.parametrize("page", ["pages/supplies.py", "pages/enterprises.py"])
def test_a_leaders_pages_mask_numbers_in_free_text(monkeypatch, db_url, noted, leader, page):
    text = page_text(open_page(monkeypatch, db_url, leader, page))
    assert not any(hidden in text for hidden in HIDDEN)
    assert "138****8000" in text


def test_a_leader_after_the_administrator_at_the_same_data_version_sees_the_numbers_masked(
    monkeypatch, db_url, noted, admin, leader
):
    """The reads the administrator's run cached unmasked are not the ones a leader's run gets."""
    assert "138-0013-8000" in page_text(open_page(monkeypatch, db_url, admin, "pages/supplies.py"))
    text = page_text(open_page(monkeypatch, db_url, leader, "pages/supplies.py"))
    assert not any(hidden in text for hidden in HIDDEN)
    assert "138****8000" in text
