"""The daily briefing page: the JSON figures, the leader's notes, the exports."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from data_layer import briefing, checkpoints, clock, notify
from data_layer.briefing import default_report_day
from data_layer.db import Actor, connect, perform
from data_layer.errors import PermissionDenied
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


# Pushing today's briefing now -------------------------------------------------------------------------------------

ADMIN = Actor("admin", "admin")
PUSH_NOW = "立即推送今日日报"


def push_now(app):
    return next(button for button in app.button if button.label == PUSH_NOW).click().run()


def briefing_rows(engine) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            notify.notify_outbox.select().where(notify.notify_outbox.c.rule == notify.BRIEFING_RULE)
        ).mappings()
        return sorted((row["key"], row["channel_id"]) for row in rows)


def test_the_administrator_pushes_todays_briefing_once_per_double_tap_and_reads_its_channels(
    monkeypatch, db_url, engine
):
    """Only today's briefing is pushed, by those allowed to (the administrator): a leader, or a past day, shows
    no button."""
    for name in ("指挥部工作群", "领导小组群"):
        perform(engine, ADMIN, notify.add_channel, name, "webhook", "http://127.0.0.1:9/hook")
    app = open_page(monkeypatch, db_url, ADMIN, "pages/briefing.py")
    app.date_input[0].set_value(clock.today()).run()

    app = push_now(app)
    saved = [message.value for message in app.success]
    assert len(saved) == 1 and "发往：指挥部工作群、领导小组群。" in saved[0]
    app = push_now(app)  # the second tap of a double tap, on the form drawn after the save
    assert not app.exception and not app.error
    assert [message.value for message in app.success] == saved
    rows = briefing_rows(engine)
    assert [channel for _key, channel in rows] == [1, 2] and len({key for key, _channel in rows}) == 1

    app.date_input[0].set_value(clock.today() - timedelta(days=1)).run()
    assert PUSH_NOW not in [button.label for button in app.button]
    app = open_page(monkeypatch, db_url, LEADER, "pages/briefing.py")
    app.date_input[0].set_value(clock.today()).run()
    assert PUSH_NOW not in [button.label for button in app.button]
    with pytest.raises(PermissionDenied):
        perform(engine, LEADER, notify.queue_briefing_now)


def test_without_a_channel_the_push_says_nothing_was_queued(monkeypatch, db_url, engine):
    app = open_page(monkeypatch, db_url, ADMIN, "pages/briefing.py")
    app.date_input[0].set_value(clock.today()).run()
    app = push_now(app)
    assert next(message.value for message in app.warning).startswith("日报未推送：没有启用的渠道可发")
    assert briefing_rows(engine) == []
