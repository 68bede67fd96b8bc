"""Each figure has one definition, so every output that shows it agrees: the briefing (JSON, the table the page,
the .docx and the .md show), the wall's alerts and the review of corrections."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from docx import Document

from data_layer import clock, situation, supplies
from data_layer.briefing import briefing_facts, briefing_sections, render_docx, render_markdown
from data_layer.db import connect, perform
from data_layer.i18n import translate

TODAY = clock.today()
SAMPLE_DAYS = [TODAY - timedelta(days=offset) for offset in (0, 2, 5, 9, 13)]


def supply_table(today: dict, before: dict, language: str) -> dict[str, tuple]:
    """The briefing's supplies table by item, as the page, the .docx and the .md show it."""
    section = translate("briefing.section.supplies", language)
    rows = next(rows for heading, _, rows in briefing_sections(today, before, language) if heading == section)
    return {item["item"]: row for item, row in zip(today["supplies"], rows, strict=True)}


def alerted_items(alerts: list[situation.Alert]) -> dict[str, str]:
    keys = {"situation.alert.out_of_stock": "out", "situation.alert.under_cover": "under_3_days"}
    return {alert.params["item"]: keys[alert.key] for alert in alerts if alert.key in keys}


@pytest.fixture(scope="module")
def sample(sample_url):
    engine = connect(sample_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("day", SAMPLE_DAYS, ids=[f"minus_{(TODAY - day).days}" for day in SAMPLE_DAYS])
def test_every_output_gives_each_supply_item_the_same_status(sample, day):
    with sample.connect() as conn:
        facts = briefing_facts(conn, day)
    today, before, alerts, corrections = facts.today, facts.before, facts.alerts, facts.corrections
    markdown = render_markdown(facts, "zh_CN")
    document = Document(io.BytesIO(render_docx(facts, "zh_CN")))
    word_rows = {row.cells[0].text: tuple(cell.text for cell in row.cells)
                 for table in document.tables for row in table.rows}
    table = supply_table(today, before, "zh_CN")
    for item in today["supplies"]:
        label = translate(f"supplies.code.{item['status']}", "zh_CN")
        row = table[item["item"]]
        assert row[-1] == label
        assert "| " + " | ".join(str(cell) for cell in row) + " |" in markdown
        assert word_rows[row[0]] == row
        assert item["status"] == supplies.item_status(item["on_hand"], item["days_of_cover"], item["below_safety"])
    assert alerted_items(alerts) == {item["item"]: item["status"] for item in today["supplies"]
                                     if item["status"] in ("out", "under_3_days")}
    for mark in (mark for mark in corrections if mark["section"] == "supplies"):
        assert mark["after"] == next(item[mark["figure"]] for item in today["supplies"] if item["item"] == mark["item"])


def test_an_item_under_three_days_of_cover_is_not_called_normal_anywhere(engine, admin):
    perform(engine, admin, supplies.add_item, {"name": "医用防护服", "unit": "套"})
    perform(engine, admin, supplies.add_movement, {"item": "医用防护服", "date": TODAY - timedelta(days=6),
                                                   "kind": "purchase", "quantity": 100})
    perform(engine, admin, supplies.add_movement, {"item": "医用防护服", "date": TODAY - timedelta(days=1),
                                                   "kind": "issue", "quantity": 82, "counterparty": "东门卡口",
                                                   "recipient_kind": "checkpoint"})
    with engine.connect() as conn:
        facts = briefing_facts(conn, TODAY)
    today, before, alerts = facts.today, facts.before, facts.alerts
    [item] = today["supplies"]
    assert (item["days_of_cover"], item["status"]) == (1.5, "under_3_days")
    for language in ("zh_CN", "en"):
        assert supply_table(today, before, language)["医用防护服"][-1] == translate("supplies.code.under_3_days",
                                                                                   language)
    assert "正常" not in render_markdown(facts, "zh_CN")
    assert alerted_items(alerts) == {"医用防护服": "under_3_days"}
