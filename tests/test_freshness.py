"""Freshness per checkpoint: one silent for longer than ``COMMAND_POST_SILENT_HOURS`` is an alert on the wall, in
the briefing's actions and in pushes, judged on a frozen clock at the time of the figures; a day that is over
has no such alert."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from data_layer import checkpoints, clock, situation
from data_layer.db import Actor, perform
from data_layer.notify import alert_rules
from support import open_page

ADMIN = Actor("admin-test", "admin")
EAST, WEST, NORTH, SOUTH = "东门卡口", "西门卡口", "北门卡口", "南门卡口"
DAY = datetime(2026, 3, 10)


class FrozenClock:
    """A clock the test moves by hand; the data layer and the pages, in this process, read it."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def frozen(monkeypatch) -> FrozenClock:
    now = FrozenClock(DAY.replace(hour=7))
    monkeypatch.setattr(clock, "now", now)
    monkeypatch.setenv("COMMAND_POST_SILENT_HOURS", "3")
    return now


@pytest.fixture
def reports(engine, frozen) -> None:
    """The east gate last entered at 09:00, the west gate at 12:00; the north gate never entered anything; the
    south gate is closed."""
    for name in (EAST, WEST, NORTH, SOUTH):
        perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})
    perform(engine, ADMIN, checkpoints.set_checkpoint_active, SOUTH, False)
    for name, hour in ((EAST, 9), (WEST, 12)):
        frozen.moment = DAY.replace(hour=hour)
        perform(
            engine,
            ADMIN,
            checkpoints.add_count,
            {
                "checkpoint": name,
                "period_start": DAY.replace(hour=hour - 1),
                "period_end": DAY.replace(hour=hour),
                "persons": 3,
                "vehicles": 0,
                "fever": 0,
                "turned_back": 0,
            },
        )


def silence_lines(engine, day: date | None = None) -> list[str]:
    with engine.connect() as conn:
        return [
            situation.alert_text(alert, "zh_CN")
            for alert in situation.alerts(conn, day or DAY.date())
            if alert.key == "situation.alert.unit_silent"
        ]


def test_a_checkpoint_silent_longer_than_the_interval_is_an_alert_the_longest_silent_first(engine, reports, frozen):
    frozen.moment = DAY.replace(hour=13, minute=30)
    assert silence_lines(engine) == ["2 个卡口超过 3 小时未报数：北门卡口、东门卡口"]


def test_a_checkpoint_that_entered_within_the_interval_is_not_silent(engine, reports, frozen):
    frozen.moment = DAY.replace(hour=12)
    assert silence_lines(engine) == ["1 个卡口超过 3 小时未报数：北门卡口"]
    with engine.connect() as conn:
        silent = checkpoints.silent_checkpoints(conn, DAY.replace(hour=15, minute=1), timedelta(hours=3))
    assert [(row["name"], row["last_entry_at"]) for row in silent] == [
        (NORTH, None),
        (EAST, DAY.replace(hour=9)),
        (WEST, DAY.replace(hour=12)),
    ]


def test_a_day_that_is_over_has_no_silence_alert(engine, reports, frozen):
    frozen.moment = DAY.replace(day=11, hour=13)
    assert silence_lines(engine, DAY.date()) == []
    next_day = silence_lines(engine, DAY.date() + timedelta(days=1))
    assert next_day == ["3 个卡口超过 3 小时未报数：东门卡口、北门卡口、西门卡口"]


def test_silence_is_a_push_rule_of_its_own():
    assert "unit_silent" in alert_rules()


def test_the_wall_raises_the_silence_alert_as_time_passes_without_any_new_entry(monkeypatch, db_url, reports, frozen):
    frozen.moment = DAY.replace(hour=11, minute=59)
    app = open_page(monkeypatch, db_url, Actor("wall", "wall"), "pages/overview.py")
    assert not any("东门卡口" in element.proto.body for element in app.get("html"))
    frozen.moment = DAY.replace(hour=13, minute=30)
    app.run()
    assert any("2 个卡口超过 3 小时未报数：北门卡口、东门卡口" in element.proto.body for element in app.get("html"))
