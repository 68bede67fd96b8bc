"""The daily briefing page: the JSON figures, the leader's notes, the exports."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from data_layer import briefing, checkpoints, clock
from data_layer.briefing import default_report_day
from data_layer.db import Actor, connect, perform
from data_layer.i18n import format_number
from support import count_rows, open_page

LEADER = Actor("leader", "leader")


def test_briefing_opens_on_yesterday_until_the_morning_meeting(monkeypatch):
    assert default_report_day(datetime(2026, 3, 2, 8, 59)).isoformat() == "2026-03-01"
    assert default_report_day(datetime(2026, 3, 2, 9, 0)).isoformat() == "2026-03-02"
    monkeypatch.setenv("COMMAND_POST_MORNING_MEETING", "07:30")
    assert default_report_day(datetime(2026, 3, 2, 8, 0)).isoformat() == "2026-03-02"


def test_page_shows_the_json_figures_of_the_chosen_day(monkeypatch, sample_url):
    app = open_page(monkeypatch, sample_url, LEADER, "pages/briefing.py")
    day = app.date_input[0].value
    with connect(sample_url).connect() as conn:
        today = briefing.build_briefing(conn, day)
        corrected = briefing.briefing_facts(conn, day).corrections
    page_text = " ".join(str(markdown.value) for markdown in app.markdown)
    tables = [frame.value for frame in app.dataframe]
    assert format_number(today["checkpoints"]["persons"], "zh_CN") in page_text
    assert today["checkpoints"]["vehicles"] == int(tables[0].iloc[1, 1].replace(",", ""))
    assert len(tables) == 4 + bool(corrected), (
        "a table per domain, and the corrections when a later one changed a figure"
    )


def test_leader_saves_a_note_once_and_it_is_audited(monkeypatch, db_url, engine):
    app = open_page(monkeypatch, db_url, LEADER, "pages/briefing.py")
    app.date_input[0].set_value(clock.today()).run()
    app.text_area[0].input("夜间卡口加派人手")
    submit = next(button for button in app.button if button.label == "保存备注")
    submit.click().run()
    assert count_rows(engine, "briefing_notes") == 1
    with engine.connect() as conn:
        assert briefing.note_for(conn, clock.today()) == "夜间卡口加派人手"
        audited = conn.exec_driver_sql("SELECT username FROM audit_log WHERE action = 'briefing.note'").scalar()
    assert audited == "leader"
    assert not app.exception


def test_clerk_does_not_get_the_briefing_page(monkeypatch, sample_url):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_page(monkeypatch, sample_url, Actor("clerk", "clerk"), "pages/briefing.py")


def test_a_past_day_marks_the_figure_a_later_correction_changed(monkeypatch, db_url, engine, admin):
    yesterday = clock.today() - timedelta(days=1)
    moment = datetime.combine(yesterday, time(18))
    monkeypatch.setattr(clock, "now", lambda: moment)
    perform(engine, admin, checkpoints.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    entry = perform(
        engine,
        admin,
        checkpoints.add_count,
        {
            "checkpoint": "东门",
            "period_start": datetime.combine(yesterday, time(8)),
            "period_end": datetime.combine(yesterday, time(16)),
            "persons": 100,
            "vehicles": 5,
            "fever": 0,
            "turned_back": 0,
        },
    )
    monkeypatch.undo()
    perform(engine, admin, checkpoints.correct_count, entry, {"persons": 90, "reason": "登记表核对有误"})

    app = open_page(monkeypatch, db_url, LEADER, "pages/briefing.py")
    app.date_input[0].set_value(yesterday).run()

    corrections = app.dataframe[-1].value
    assert list(corrections["指标"]) == ["检测人数", "累计检测人数"]
    assert list(corrections["更正前"]) == ["100", "100"]
    assert list(corrections["更正后"]) == ["90", "90"]
    assert set(corrections["更正人"]) == {admin.username}
    assert not app.exception
