"""The day that is not over: today's figures stand at the time they are read (截至 16:10), are set beside the day
before up to the same time of day where the ledger says when, and the wall marks the trend's last point partial;
a past day stands at 24 时 and is set beside the whole day before."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from data_layer import briefing, checkpoints, clock
from data_layer.briefing import briefing_document, briefing_facts, render_markdown
from data_layer.db import Actor, perform
from data_layer.notify.pushes import briefing_message
from support import open_page

NOW = datetime(2026, 3, 10, 16, 10, 25)
TODAY = NOW.date()
YESTERDAY = TODAY - timedelta(days=1)
ADMIN = Actor("admin-test", "admin")
EAST, WEST = "东门卡口", "西门卡口"


@pytest.fixture
def frozen_clock(monkeypatch):
    """16:10 on 10 March; the pages run in this process and share this "now" with the data layer."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


def count(engine, checkpoint: str, start: datetime, hours: int, persons: int) -> None:
    perform(
        engine,
        ADMIN,
        checkpoints.add_count,
        {
            "checkpoint": checkpoint,
            "period_start": start,
            "period_end": start + timedelta(hours=hours),
            "persons": persons,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
    )


@pytest.fixture
def shifts(engine, frozen_clock) -> None:
    """Yesterday the east gate reported all three shifts (10, 20 and 40 people), the west gate only the night
    one; today, at 16:10, the east gate has reported the two shifts that are over (5 and 7 people)."""
    for name in (EAST, WEST):
        perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})
    for hour, persons in ((0, 10), (8, 20), (16, 40)):
        count(engine, EAST, datetime.combine(YESTERDAY, datetime.min.time()) + timedelta(hours=hour), 8, persons)
    count(engine, WEST, datetime.combine(YESTERDAY, datetime.min.time()) + timedelta(hours=16), 8, 1000)
    count(engine, EAST, datetime.combine(TODAY, datetime.min.time()), 8, 5)
    count(engine, EAST, datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=8), 8, 7)


def test_the_figures_of_today_stand_at_the_time_they_are_read_to_the_minute(frozen_clock):
    assert clock.figures_moment(TODAY) == datetime(2026, 3, 10, 16, 10)
    assert clock.figures_moment(YESTERDAY) is None
    assert clock.figures_moment(YESTERDAY, datetime(2026, 3, 9, 21, 0, 30)) == datetime(2026, 3, 9, 21, 0)


def test_todays_briefing_says_as_of_the_time_not_24h_and_a_past_day_keeps_24h(engine, shifts):
    with engine.connect() as conn:
        today, past = briefing_facts(conn, TODAY), briefing_facts(conn, YESTERDAY)
    today_md, past_md = render_markdown(today, "zh_CN"), render_markdown(past, "zh_CN")
    assert "截至2026年3月10日 16:10，" in today_md and "24 时" not in today_md
    assert "截至2026年3月9日 24 时，" in past_md
    assert "As of Mar 10, 2026 16:10," in render_markdown(today, "en")


def test_today_is_set_beside_yesterday_up_to_the_same_time_of_day(engine, shifts):
    with engine.connect() as conn:
        facts = briefing_facts(conn, TODAY)
        whole_yesterday = briefing.build_briefing(conn, YESTERDAY)["checkpoints"]
    before = facts.before["checkpoints"]
    assert (before["persons"], whole_yesterday["persons"]) == (30, 1070), "the 16:00 shifts were not over at 16:10"
    assert (before["reported_checkpoints"], before["not_reported"]) == (1, [WEST])
    assert before["cumulative"]["persons"] == 30
    persons_row = briefing_document(facts, "zh_CN").tables[0].rows[0]
    assert persons_row[1:] == ("12", "30", "−18")


def test_the_tables_say_which_day_before_is_cut_at_the_same_time_and_which_is_the_whole_day(engine, shifts):
    with engine.connect() as conn:
        today, past = briefing_facts(conn, TODAY), briefing_facts(conn, YESTERDAY)
    today_tables = {table.heading: table.columns for table in briefing_document(today, "zh_CN").tables}
    assert today_tables["一、卡口检查"][1:3] == ["当日（截至 16:10）", "前一日同一时刻（截至 16:10）"]
    assert today_tables["二、隔离管控"][1:3] == ["当日（截至 16:10）", "前一日（全天）"]
    assert today_tables["四、复工复产"][2] == "前一日（全天）"
    past_tables = {table.heading: table.columns for table in briefing_document(past, "zh_CN").tables}
    assert past_tables["一、卡口检查"][1:3] == ["当日", "前一日"]


def test_a_briefing_pushed_at_21_says_as_of_21(engine, shifts):
    with engine.connect() as conn:
        message = briefing_message(conn, TODAY, now=datetime(2026, 3, 10, 21, 0))
    assert "截至2026年3月10日 21:00，" in message.body


def wall_specs(app) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def texts_marked(spec: dict) -> list[str]:
    return [
        layer["encoding"]["text"]["value"]
        for layer in spec.get("layer", [])
        if layer.get("mark", {}).get("type") == "text" and "value" in layer["encoding"].get("text", {})
    ]


def test_the_wall_says_as_of_the_time_and_marks_each_trends_last_point_partial(monkeypatch, db_url, shifts):
    app = open_page(monkeypatch, db_url, Actor("wall", "wall"), "pages/overview.py")
    header = " ".join(element.proto.body for element in app.get("html"))
    assert "截至 2026年3月10日 16:10" in header
    trends = [spec for spec in wall_specs(app) if spec.get("layer")]
    assert len(trends) == 4
    assert all(texts_marked(spec) == ["截至 16:10"] for spec in trends)
    assert "昨日同一时刻" in " ".join(caption.value for caption in app.caption)
