"""Each figure has one definition, so every output that shows it agrees: the briefing (JSON, the page, the
.docx and the .md), the wall's alerts and the review of corrections; and the briefing's action list and its list
of later corrections read the same on the page, in the .docx and in the .md."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime, time, timedelta

import pytest
from docx import Document
from test_quarantine import person

from data_layer import checkpoints, clock, enterprises, quarantine, situation, supplies
from data_layer.briefing import (
    CHECKPOINT_FIGURES,
    CORRECTION_COLUMNS,
    ENTERPRISE_FIGURES,
    briefing_document,
    briefing_facts,
    briefing_sections,
    change,
    render_docx,
    render_markdown,
    zero_report_line,
)
from data_layer.checkpoints import COUNT_FIELDS
from data_layer.db import Actor, connect, perform
from data_layer.i18n import format_number, translate
from data_layer.markdown import plain
from data_layer.transfer import transfer_kind
from support import open_page

TODAY = clock.today()
SAMPLE_DAYS = [TODAY - timedelta(days=offset) for offset in (0, 2, 5, 9, 13)]
DAY_IDS = [f"minus_{(TODAY - day).days}" for day in SAMPLE_DAYS]
LEADER = Actor("leader", "leader")
ALERT_LINE = re.compile(r'<div class="wall-alert (\w+)">(.*?)</div>')


def supply_table(today: dict, before: dict, language: str) -> dict[str, tuple]:
    """The briefing's supplies table by item, as the page, the .docx and the .md show it."""
    section = translate("briefing.section.supplies", language)
    rows = next(rows for heading, _, rows in briefing_sections(today, before, language) if heading == section)
    return {item["item"]: row for item, row in zip(today["supplies"], rows, strict=True)}


def alerted_items(alerts: list[situation.Alert]) -> dict[str, str]:
    keys = {"situation.alert.out_of_stock": "out", "situation.alert.under_cover": "under_3_days"}
    return {alert.params["item"]: keys[alert.key] for alert in alerts if alert.key in keys}


def word_parts(content: bytes) -> tuple[dict[str, list[str]], list[tuple[str, ...]]]:
    """A Word briefing's paragraphs under each heading, and the rows of every table (header rows included)."""
    document = Document(io.BytesIO(content))
    parts: dict[str, list[str]] = {}
    heading = ""
    for paragraph in document.paragraphs:
        if paragraph.style.name.startswith("Heading"):
            heading = paragraph.text
            parts[heading] = []
        else:
            parts.setdefault(heading, []).append(paragraph.text)
    rows = [tuple(cell.text for cell in row.cells) for table in document.tables for row in table.rows]
    return parts, rows


def markdown_parts(text: str) -> dict[str, list[str]]:
    """A Markdown briefing's non-empty lines under each ``##`` heading."""
    parts: dict[str, list[str]] = {}
    heading = ""
    for line in text.splitlines():
        if line.startswith("## "):
            heading = line[3:]
            parts[heading] = []
        elif line:
            parts.setdefault(heading, []).append(line)
    return parts


def markdown_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def action_words(facts, language: str = "zh_CN") -> list[str]:
    """The action list as its lines say it: every alert of the day in the words the wall screen uses."""
    return [situation.alert_text(alert, language) for alert in facts.alerts]


def assert_files_hold_the_actions(facts, lines: list[str]) -> None:
    """The .docx and the .md list exactly ``lines`` under the action heading (the .md with names escaped)."""
    heading = translate("briefing.section.actions", "zh_CN")
    word, _ = word_parts(render_docx(facts, "zh_CN"))
    markdown = markdown_parts(render_markdown(facts, "zh_CN"))
    none = [translate("wall.no_alerts", "zh_CN")]
    assert word[heading] == (lines or none)
    assert markdown[heading] == ([f"- {plain(line)}" for line in lines] or none)


@pytest.fixture(scope="module")
def sample(sample_url):
    engine = connect(sample_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize("day", SAMPLE_DAYS, ids=DAY_IDS)
def test_every_output_gives_each_supply_item_the_same_status(sample, day):
    with sample.connect() as conn:
        facts = briefing_facts(conn, day)
    today, before, alerts, corrections = facts.today, facts.before, facts.alerts, facts.corrections
    markdown = render_markdown(facts, "zh_CN")
    document = Document(io.BytesIO(render_docx(facts, "zh_CN")))
    word_rows = {
        row.cells[0].text: tuple(cell.text for cell in row.cells) for table in document.tables for row in table.rows
    }
    table = supply_table(today, before, "zh_CN")
    for item in today["supplies"]:
        label = translate(f"supplies.code.{item['status']}", "zh_CN")
        row = table[item["item"]]
        assert row[-1] == label
        assert "| " + " | ".join(str(cell) for cell in row) + " |" in markdown
        assert word_rows[row[0]] == row
        assert item["status"] == supplies.item_status(item["on_hand"], item["days_of_cover"], item["below_safety"])
    assert alerted_items(alerts) == {
        item["item"]: item["status"] for item in today["supplies"] if item["status"] in ("out", "under_3_days")
    }
    for mark in (mark for mark in corrections if mark["section"] == "supplies"):
        assert mark["after"] == next(item[mark["figure"]] for item in today["supplies"] if item["item"] == mark["item"])


@pytest.mark.parametrize("day", SAMPLE_DAYS, ids=DAY_IDS)
def test_every_output_gives_each_site_the_same_occupancy_and_fullness(sample, day):
    with sample.connect() as conn:
        facts = briefing_facts(conn, day)
        sites = quarantine.site_occupancy(conn, day)
    full = [site["name"] for site in sites if site["capacity"] and site["free"] <= 0]
    site_alerts = [alert for alert in facts.alerts if alert.key == "situation.alert.site_full"]
    assert sites, "the sample has quarantine sites"
    assert sum(site["occupied"] for site in sites) == facts.today["quarantine"]["current"]["centralized"]
    for site in sites:
        assert site["free"] == max(site["capacity"] - site["occupied"], 0)
    assert [alert.params["site"] for alert in site_alerts] == full
    assert_files_hold_the_actions(facts, action_words(facts))


@pytest.mark.parametrize("day", SAMPLE_DAYS, ids=DAY_IDS)
def test_every_output_gives_the_enterprises_the_same_status_counts_and_overdue_rectifications(sample, day):
    with sample.connect() as conn:
        facts = briefing_facts(conn, day)
        overdue = enterprises.overdue_rectifications(conn, day)
        by_sector = enterprises.reopen_rates(conn, day, "sector")
    figures = facts.today["enterprises"]
    heading = translate("briefing.section.enterprises", "zh_CN")
    table = next(table for table in briefing_document(facts, "zh_CN").tables if table.heading == heading)
    rows = dict(zip(ENTERPRISE_FIGURES, table.rows, strict=False))
    _, word_rows = word_parts(render_docx(facts, "zh_CN"))
    markdown = markdown_parts(render_markdown(facts, "zh_CN"))
    for name, row in rows.items():
        assert row[1] == format_number(figures[name], "zh_CN")
        assert row in word_rows
        assert markdown_row(row) in markdown[heading]
    assert figures["total"] == figures["reopened"] + figures["applied"] + figures["not_reopened"] + figures["suspended"]
    assert sum(group["total"] for group in by_sector) == figures["total"]  # the wall's reopening chart
    assert sum(group["reopened"] for group in by_sector) == figures["reopened"]
    assert len(overdue) == figures["rectifications_overdue"]
    [alert] = [alert for alert in facts.alerts if alert.key == "situation.alert.rectifications_overdue"] or [None]
    assert (alert.params["count"] if alert else 0) == figures["rectifications_overdue"]
    if alert:
        assert alert.params["names"] == "、".join(dict.fromkeys(row["enterprise"] for row in overdue))
    assert_files_hold_the_actions(facts, action_words(facts))
    for mark in (mark for mark in facts.corrections if mark["section"] == "enterprises"):
        path = mark["figure"].split(".")
        assert mark["after"] == (figures[path[0]][path[1]] if len(path) == 2 else figures[path[0]])


def day_before_as_compared(conn, day, as_of: datetime | None) -> dict:
    """The checkpoint figures of the day before ``day``, read by the domain: the whole day, or up to the same
    time of day while ``day`` is not over."""
    yesterday = day - timedelta(days=1)
    if as_of is None:
        return checkpoints.figures(conn, yesterday)
    return checkpoints.figures_by(conn, yesterday, as_of - timedelta(days=1))


def checkpoint_rows(facts) -> list[tuple[str, ...]]:
    """The rows of the briefing's checkpoint table, one per figure of ``CHECKPOINT_FIGURES``."""
    heading = translate("briefing.section.checkpoints", "zh_CN")
    return next(table.rows for table in briefing_document(facts, "zh_CN").tables if table.heading == heading)


def assert_briefing_table_holds(facts, figures: dict, before: dict) -> None:
    """The briefing's checkpoint table (the page's, the .docx's and the .md's) gives each figure of the day, of
    the day before and the change between them, as the domain's figures say."""
    heading = translate("briefing.section.checkpoints", "zh_CN")
    _, word_rows = word_parts(render_docx(facts, "zh_CN"))
    markdown = markdown_parts(render_markdown(facts, "zh_CN"))
    for name, row in zip(CHECKPOINT_FIGURES, checkpoint_rows(facts), strict=True):
        assert row[1:3] == (format_number(figures[name], "zh_CN"), format_number(before[name], "zh_CN"))
        assert row[3].endswith(format_number(abs(change(figures[name], before[name])), "zh_CN"))
        assert row in word_rows
        assert markdown_row(row) in markdown[heading]
    assert zero_report_line(figures, "zh_CN", plain) in render_markdown(facts, "zh_CN")


@pytest.mark.parametrize("day", SAMPLE_DAYS, ids=DAY_IDS)
def test_every_output_gives_the_checkpoints_the_same_counts_reports_and_comparison(sample, day):
    with sample.connect() as conn:
        facts = briefing_facts(conn, day)
        previous = day_before_as_compared(conn, day, facts.as_of)
        by_checkpoint = checkpoints.checkpoint_table(conn, day)  # the checkpoints page, the wall's map
        [trend] = checkpoints.daily_trend(conn, day, 1)  # the wall's and the page's trend charts
        exported = [
            row for row in transfer_kind("checkpoint_counts").read_rows(conn) if row["period_start"].date() == day
        ]
    figures, before = facts.today["checkpoints"], facts.before["checkpoints"]
    assert figures["active_checkpoints"], "the sample has checkpoints"
    assert before == previous
    assert_briefing_table_holds(facts, figures, before)
    assert len(by_checkpoint) == figures["active_checkpoints"]
    assert sum(row["reported"] for row in by_checkpoint) == figures["reported_checkpoints"]
    assert sorted(row["name"] for row in by_checkpoint if not row["reported"]) == figures["not_reported"]
    active = {row["name"] for row in by_checkpoint}
    for name in COUNT_FIELDS:  # closed checkpoints' entries count in the day's sums, not in the active ones' table
        assert figures[name] == trend[name] == sum(row[name] for row in exported)
        assert sum(row[name] for row in by_checkpoint) == sum(
            row[name] for row in exported if row["checkpoint"] in active
        )
    alerts = {alert.key: alert.params for alert in facts.alerts if alert.domain == "checkpoints"}
    fever_alert = alerts.get("situation.alert.checkpoint_fever", {"count": 0})
    assert fever_alert["count"] == sum(row["fever"] for row in by_checkpoint)
    assert alerts.get("situation.alert.not_reported", {"count": 0})["count"] == len(figures["not_reported"])
    assert_files_hold_the_actions(facts, action_words(facts))
    for mark in (mark for mark in facts.corrections if mark["section"] == "checkpoints"):
        path = mark["figure"].split(".")
        assert mark["after"] == (figures[path[0]][path[1]] if len(path) == 2 else figures[path[0]])


def test_an_item_under_three_days_of_cover_is_not_called_normal_anywhere(engine, admin):
    perform(engine, admin, supplies.add_item, {"name": "医用防护服", "unit": "套"})
    perform(
        engine,
        admin,
        supplies.add_movement,
        {"item": "医用防护服", "date": TODAY - timedelta(days=6), "kind": "purchase", "quantity": 100},
    )
    perform(
        engine,
        admin,
        supplies.add_movement,
        {
            "item": "医用防护服",
            "date": TODAY - timedelta(days=1),
            "kind": "issue",
            "quantity": 82,
            "counterparty": "东门卡口",
            "recipient_kind": "checkpoint",
        },
    )
    with engine.connect() as conn:
        facts = briefing_facts(conn, TODAY)
    today, before, alerts = facts.today, facts.before, facts.alerts
    [item] = today["supplies"]
    assert (item["days_of_cover"], item["status"]) == (1.5, "under_3_days")
    for language in ("zh_CN", "en"):
        assert supply_table(today, before, language)["医用防护服"][-1] == translate(
            "supplies.code.under_3_days", language
        )
    assert "正常" not in render_markdown(facts, "zh_CN")
    assert alerted_items(alerts) == {"医用防护服": "under_3_days"}


def page_actions(app) -> list[str]:
    """The action list as the page shows it: the words of each coloured line."""
    return [html.unescape(text) for element in app.html for _, text in ALERT_LINE.findall(element.value)]


def page_corrections(app) -> list[tuple[str, ...]]:
    """The rows of the page's table of later corrections (the table after the four domain tables), if any."""
    if len(app.dataframe) == 4:
        return []
    frame = app.dataframe[4].value
    assert tuple(frame.columns) == correction_columns()
    return [tuple(str(cell) for cell in row) for row in frame.itertuples(index=False)]


def correction_columns() -> tuple[str, ...]:
    return tuple(translate(key, "zh_CN") for key in CORRECTION_COLUMNS)


def assert_page_shows_the_checkpoint_figures(app, facts) -> None:
    """The page's first table is the briefing's checkpoint table, and it names who has not reported as the
    files do."""
    shown = [tuple(str(cell) for cell in row) for row in app.dataframe[0].value.itertuples(index=False)]
    assert shown == checkpoint_rows(facts)
    assert zero_report_line(facts.today["checkpoints"], "zh_CN", plain) in [
        str(element.value) for element in app.markdown
    ]


def assert_page_and_files_agree(app, facts) -> None:
    """The page's action list and corrections are the day's, and the .docx and .md hold the same lines and rows."""
    shown = [str(element.value) for element in app.markdown]
    actions, rows = page_actions(app), page_corrections(app)
    assert actions == action_words(facts)
    assert actions or translate("wall.no_alerts", "zh_CN") in shown
    assert_files_hold_the_actions(facts, actions)
    summary = (
        translate("briefing.corrections_note", "zh_CN", count=len(rows))
        if rows
        else translate("briefing.no_corrections", "zh_CN")
    )
    assert (f":orange-background[{summary}]" if rows else summary) in shown
    assert len(rows) == len(facts.corrections)
    heading, columns = translate("briefing.section.corrections", "zh_CN"), correction_columns()
    word, word_rows = word_parts(render_docx(facts, "zh_CN"))
    assert word[heading] == [summary]
    assert (word_rows[-len(rows) - 1 :] if rows else [row for row in word_rows if row == columns]) == (
        [columns, *rows] if rows else []
    )
    table = [
        markdown_row(columns),
        "|" + "---|" * len(columns),
        *(markdown_row(tuple(map(plain, row))) for row in rows),
    ]
    assert markdown_parts(render_markdown(facts, "zh_CN"))[heading] == [summary, *(table if rows else [])]


def test_the_action_list_and_corrections_read_the_same_on_the_page_in_word_and_in_markdown(monkeypatch, sample_url):
    app = open_page(monkeypatch, sample_url, LEADER, "pages/briefing.py")
    engine = connect(sample_url)
    for day in SAMPLE_DAYS:
        app.date_input[0].set_value(day).run()
        with engine.connect() as conn:
            facts = briefing_facts(conn, day)
        assert_page_and_files_agree(app, facts)
        assert_page_shows_the_checkpoint_figures(app, facts)
        assert not app.exception
    engine.dispose()


def test_a_later_correction_and_a_full_site_read_the_same_on_the_page_in_word_and_in_markdown(
    monkeypatch, db_url, engine, admin
):
    yesterday = TODAY - timedelta(days=1)
    monkeypatch.setattr(clock, "now", lambda: datetime.combine(yesterday, time(18)))
    perform(engine, admin, checkpoints.add_checkpoint, {"name": "东门[北]", "grid": "第一网格", "kind": "road"})
    entry = perform(
        engine,
        admin,
        checkpoints.add_count,
        {
            "checkpoint": "东门[北]",
            "period_start": datetime.combine(yesterday, time(8)),
            "period_end": datetime.combine(yesterday, time(16)),
            "persons": 1200,
            "vehicles": 5,
            "fever": 0,
            "turned_back": 0,
        },
    )
    site = perform(engine, admin, quarantine.add_site, {"name": "城东*隔离点*", "address": "城东路1号", "capacity": 1})
    perform(engine, admin, quarantine.register, person(1, mode="centralized", site=site))
    monkeypatch.undo()
    perform(engine, admin, checkpoints.correct_count, entry, {"persons": 1090, "reason": "登记表*核对*有误"})

    app = open_page(monkeypatch, db_url, LEADER, "pages/briefing.py")
    app.date_input[0].set_value(yesterday).run()
    with engine.connect() as conn:
        facts = briefing_facts(conn, yesterday)

    assert "城东*隔离点* 已满员" in page_actions(app)
    rows = page_corrections(app)
    assert [row[:3] for row in rows] == [("检测人数", "1,200", "1,090"), ("累计检测人数", "1,200", "1,090")]
    assert {row[5] for row in rows} == {"登记表*核对*有误"}
    assert_page_and_files_agree(app, facts)
    assert not app.exception
