"""The checkpoints domain: entry rules, corrections, roles, figures, shifts, import/export and the sample."""

from __future__ import annotations

import csv
import json
import math
import random
import threading
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from data_layer import checkpoints as cp
from data_layer import clock, settings
from data_layer.db import Actor, audit_log, connect, perform, write
from data_layer.errors import ImportRejected, PermissionDenied, ValidationError
from data_layer.transfer import export_file, import_file, transfer_kind
from sample_data.checkpoints import generate
from sample_data.community import CENTER, Community
from support import assert_refused, count_rows, snapshot

D = date(2025, 3, 10)
GATE, ROAD, CLOSED = "东门", "南路口", "西门"
WALL = Actor("wall-test", "wall")


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    """A moment relative to the report date D."""
    return datetime.combine(D + timedelta(days=day_offset), time(hour, minute))


def enter(
    engine,
    actor: Actor,
    checkpoint: str | int,
    start: datetime,
    end: datetime,
    persons: int = 0,
    vehicles: int = 0,
    fever: int = 0,
    turned_back: int = 0,
    note: str | None = None,
) -> int:
    return perform(
        engine,
        actor,
        cp.add_count,
        {
            "checkpoint": checkpoint,
            "period_start": start,
            "period_end": end,
            "persons": persons,
            "vehicles": vehicles,
            "fever": fever,
            "turned_back": turned_back,
            "note": note,
        },
    )


def correct(engine, actor: Actor, entry_id: int, **changes: object) -> int:
    return perform(engine, actor, cp.correct_count, entry_id, {"reason": "登记表核对有误", **changes})


def figures(engine, day: date = D) -> dict:
    with engine.connect() as conn:
        return cp.figures(conn, day)


def assert_denied(engine, call: Callable[[], object]) -> None:
    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        call()
    assert snapshot(engine) == before


@pytest.fixture
def post(engine, admin) -> dict[str, int]:
    """Two active checkpoints (a gate and a road checkpoint) and a closed gate, all in one grid."""
    ids = {}
    for name, kind, active in ((GATE, "compound_gate", True), (ROAD, "road", True), (CLOSED, "compound_gate", False)):
        ids[name] = perform(
            engine,
            admin,
            cp.add_checkpoint,
            {"name": name, "grid": "第一网格", "kind": kind, "latitude": 30.58, "longitude": 114.29, "active": active},
        )
    return ids


# Figures (DESIGN §4.1) ------------------------------------------------------------------------------------------


def test_day_sums_count_effective_entries_whose_period_starts_on_the_day(engine, admin, post):
    enter(engine, admin, GATE, at(-1, 23, 59), at(0, 7, 59), 50, 5, 1, 2)
    enter(engine, admin, GATE, at(0, 8), at(0, 16), 300, 40, 1, 3)
    wrong = enter(engine, admin, GATE, at(0, 16), at(0, 23, 59), 999, 30, 0, 1)
    correct(engine, admin, wrong, persons=250)
    enter(engine, admin, ROAD, at(0, 16), at(1, 0), 120, 200, 0, 4)
    enter(engine, admin, ROAD, at(1, 0), at(1, 8), 30, 60, 1, 1)

    day = figures(engine)
    assert (day["persons"], day["vehicles"], day["fever"], day["turned_back"]) == (670, 270, 1, 8)
    before = figures(engine, D - timedelta(days=1))
    assert (before["persons"], before["vehicles"], before["fever"], before["turned_back"]) == (50, 5, 1, 2)
    after = figures(engine, D + timedelta(days=1))
    assert (after["persons"], after["vehicles"], after["fever"], after["turned_back"]) == (30, 60, 1, 1)


def test_active_checkpoints_exclude_closed_ones_whose_counts_still_count(engine, admin, post):
    perform(engine, admin, cp.set_checkpoint_active, CLOSED, True)
    enter(engine, admin, CLOSED, at(0, 8), at(0, 16), persons=10)
    perform(engine, admin, cp.set_checkpoint_active, CLOSED, False)

    day = figures(engine)
    assert day["active_checkpoints"] == 2
    assert day["persons"] == 10
    assert CLOSED not in day["not_reported"]


def test_reported_checkpoints_count_zero_reports_and_go_by_the_period_start(engine, admin, post):
    perform(engine, admin, cp.add_zero_report, GATE, at(0, 0), at(0, 8))
    enter(engine, admin, ROAD, at(-1, 23, 59), at(0, 7, 59), persons=40)

    day = figures(engine)
    assert (day["reported_checkpoints"], day["not_reported"]) == (1, [ROAD])
    assert day["persons"] == 0
    before = figures(engine, D - timedelta(days=1))
    assert (before["reported_checkpoints"], before["not_reported"]) == (1, [GATE])


def test_a_superseded_entry_alone_does_not_make_a_checkpoint_reported(engine, admin, post):
    entry = enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=5)
    correct(engine, admin, entry, period_start=at(-1, 8), period_end=at(-1, 16))
    assert figures(engine)["not_reported"] == ["东门", "南路口"]


def test_not_reported_lists_the_silent_active_checkpoints_by_name(engine, admin, post):
    for name in ("C卡口", "A卡口", "B卡口"):
        perform(engine, admin, cp.add_checkpoint, {"name": name, "grid": "第二网格", "kind": "other"})
    enter(engine, admin, "B卡口", at(0, 8), at(0, 9), persons=1)
    assert figures(engine)["not_reported"] == ["A卡口", "C卡口", "东门", "南路口"]


def test_cumulative_sums_run_from_the_first_entry_through_the_day(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(-2, 8), at(-2, 16), 80, 8, 0, 0)
    correct(engine, admin, wrong, persons=100, vehicles=10, turned_back=1)
    enter(engine, admin, ROAD, at(-1, 23, 59), at(0, 7, 59), 50, 20, 1, 2)
    enter(engine, admin, GATE, at(0, 8), at(0, 16), 30, 3, 0, 0)
    enter(engine, admin, GATE, at(1, 0), at(1, 8), 7, 1, 1, 0)

    assert figures(engine, D - timedelta(days=2))["cumulative"] == {
        "persons": 100,
        "vehicles": 10,
        "fever": 0,
        "turned_back": 1,
    }
    assert figures(engine)["cumulative"] == {"persons": 180, "vehicles": 33, "fever": 1, "turned_back": 3}
    assert figures(engine, D + timedelta(days=1))["cumulative"] == {
        "persons": 187,
        "vehicles": 34,
        "fever": 2,
        "turned_back": 3,
    }


def test_figures_of_an_empty_store_are_zero(engine):
    assert figures(engine) == {
        "persons": 0,
        "vehicles": 0,
        "fever": 0,
        "turned_back": 0,
        "active_checkpoints": 0,
        "reported_checkpoints": 0,
        "not_reported": [],
        "cumulative": {"persons": 0, "vehicles": 0, "fever": 0, "turned_back": 0},
    }


def test_checkpoint_table_gives_each_active_checkpoint_its_day_sums(engine, admin, post):
    enter(engine, admin, GATE, at(0, 0), at(0, 8), 20, 2, 0, 0)
    enter(engine, admin, GATE, at(0, 8), at(0, 16), 300, 30, 1, 2)
    enter(engine, admin, ROAD, at(-1, 23, 59), at(0, 7, 59), 60, 90, 0, 1)

    with engine.connect() as conn:
        rows = {row["name"]: row for row in cp.checkpoint_table(conn, D)}
    assert set(rows) == {GATE, ROAD}
    gate, road = rows[GATE], rows[ROAD]
    assert (gate["persons"], gate["vehicles"], gate["fever"], gate["turned_back"]) == (320, 32, 1, 2)
    assert gate["reported"] is True and gate["last_entry_at"] is not None
    assert (gate["grid"], gate["kind"], gate["latitude"], gate["longitude"]) == (
        "第一网格",
        "compound_gate",
        30.58,
        114.29,
    )
    assert (road["persons"], road["reported"], road["last_entry_at"]) == (0, False, None)


def test_daily_trend_has_one_row_per_day_with_zeros_for_days_without_entries(engine, admin, post):
    enter(engine, admin, GATE, at(-2, 8), at(-2, 16), 100, 10, 1, 1)
    enter(engine, admin, ROAD, at(-1, 23, 59), at(0, 7, 59), 50, 20, 0, 2)
    enter(engine, admin, GATE, at(0, 8), at(0, 16), 30, 3, 0, 0)
    enter(engine, admin, ROAD, at(0, 16), at(1, 0), 5, 6, 0, 0)
    enter(engine, admin, GATE, at(1, 0), at(1, 8), 9, 9, 0, 0)

    with engine.connect() as conn:
        trend = cp.daily_trend(conn, D, days=4)
    assert trend == [
        {"day": D - timedelta(days=3), "persons": 0, "vehicles": 0, "fever": 0, "turned_back": 0},
        {"day": D - timedelta(days=2), "persons": 100, "vehicles": 10, "fever": 1, "turned_back": 1},
        {"day": D - timedelta(days=1), "persons": 50, "vehicles": 20, "fever": 0, "turned_back": 2},
        {"day": D, "persons": 35, "vehicles": 9, "fever": 0, "turned_back": 0},
    ]


def test_hourly_throughput_spreads_each_entry_evenly_over_its_hours(engine, admin, post):
    enter(engine, admin, GATE, at(-1, 22), at(0, 2), persons=8, vehicles=4)
    enter(engine, admin, GATE, at(0, 6, 30), at(0, 8, 30), persons=20, turned_back=4)
    enter(engine, admin, ROAD, at(0, 23), at(1, 1), persons=6)

    with engine.connect() as conn:
        hours = {row["hour"]: row for row in cp.hourly_throughput(conn, D)}
    assert len(hours) == 24
    assert [(hours[h]["persons"], hours[h]["vehicles"]) for h in (0, 1, 2)] == [(2.0, 1.0), (2.0, 1.0), (0.0, 0.0)]
    assert [hours[h]["persons"] for h in (6, 7, 8)] == [5.0, 10.0, 5.0]
    assert [hours[h]["turned_back"] for h in (6, 7, 8)] == [1.0, 2.0, 1.0]
    assert hours[23]["persons"] == 3.0


def test_recent_entries_show_superseded_rows_with_who_when_and_why(engine, admin, post):
    first = enter(engine, admin, GATE, at(0, 0), at(0, 8), persons=10)
    clerk = Actor("clerk-gate", "clerk", (("checkpoints", frozenset({post[GATE]})),))
    wrong = enter(engine, clerk, GATE, at(0, 8), at(0, 16), persons=3000)
    fixed = correct(engine, admin, wrong, persons=300, reason="多输了一个0")

    with engine.connect() as conn:
        entries = {row["id"]: row for row in cp.recent_entries(conn, post[GATE], limit=10)}
    assert set(entries) == {first, wrong, fixed}
    assert (entries[wrong]["effective"], entries[wrong]["superseded_by"], entries[wrong]["entered_by"]) == (
        False,
        fixed,
        "clerk-gate",
    )
    assert (entries[fixed]["supersedes_id"], entries[fixed]["reason"], entries[fixed]["effective"]) == (
        wrong,
        "多输了一个0",
        True,
    )
    assert entries[fixed]["entered_at"] is not None
    with engine.connect() as conn:
        assert len(cp.recent_entries(conn, post[GATE], limit=2)) == 2


def test_list_checkpoints_hides_closed_ones_unless_asked(engine, post):
    with engine.connect() as conn:
        assert {row["name"] for row in cp.list_checkpoints(conn)} == {GATE, ROAD}
        assert {row["name"] for row in cp.list_checkpoints(conn, include_inactive=True)} == {GATE, ROAD, CLOSED}


# Shifts ---------------------------------------------------------------------------------------------------------


def test_default_shifts_are_three_eight_hour_shifts(monkeypatch):
    monkeypatch.delenv(settings.SHIFTS.name, raising=False)
    assert cp.day_shifts(D) == [(at(0, 0), at(0, 8)), (at(0, 8), at(0, 16)), (at(0, 16), at(1, 0))]
    assert cp.shift_for(at(0, 7, 59)) == (at(0, 0), at(0, 8))
    assert cp.shift_for(at(0, 8)) == (at(0, 8), at(0, 16))
    assert cp.shift_for(at(0, 23, 59)) == (at(0, 16), at(1, 0))


def test_shifts_follow_the_environment_setting(monkeypatch):
    monkeypatch.setenv(settings.SHIFTS.name, "23, 7,15")
    assert cp.shift_for(at(0, 3)) == (at(-1, 23), at(0, 7))
    assert cp.shift_for(at(0, 15)) == (at(0, 15), at(0, 23))
    monkeypatch.setenv(settings.SHIFTS.name, "0,12")
    assert cp.day_shifts(D) == [(at(0, 0), at(0, 12)), (at(0, 12), at(1, 0))]


@pytest.mark.parametrize("setting", ["8,25", "morning", "0,,8"])
def test_a_malformed_shift_setting_is_refused(monkeypatch, setting):
    monkeypatch.setenv(settings.SHIFTS.name, setting)
    with pytest.raises(ValueError, match=settings.SHIFTS.name):
        cp.shift_starts()


def test_current_shift_is_the_shift_on_duty_now(monkeypatch):
    monkeypatch.delenv(settings.SHIFTS.name, raising=False)
    monkeypatch.setattr(clock, "now", lambda: at(0, 17, 45))
    assert cp.current_shift() == (at(0, 16), at(1, 0))


@pytest.mark.parametrize(
    ("now", "window", "proposed"),
    [
        (at(0, 16, 5), "60", (at(0, 8), at(0, 16))),  # the clerk of 08:00–16:00 hands over
        (at(1, 0, 59), "60", (at(0, 16), at(1, 0))),  # the evening shift, entered after midnight
        (at(0, 17, 0), "60", (at(0, 16), at(1, 0))),  # an hour on: the shift on duty
        (at(0, 16, 5), "0", (at(0, 16), at(1, 0))),  # no handover window
    ],
    ids=["at-handover", "after-midnight", "window-over", "no-window"],
)
def test_the_proposed_shift_is_the_one_just_ended_during_the_handover(monkeypatch, now, window, proposed):
    monkeypatch.delenv(settings.SHIFTS.name, raising=False)
    monkeypatch.setenv(settings.HANDOVER_MINUTES.name, window)
    monkeypatch.setattr(clock, "now", lambda: now)
    assert cp.proposed_shift() == proposed


# Entry rules ----------------------------------------------------------------------------------------------------

GOOD_ENTRY = {
    "checkpoint": GATE,
    "period_start": at(0, 8),
    "period_end": at(0, 16),
    "persons": 100,
    "vehicles": 10,
    "fever": 1,
    "turned_back": 2,
}


def test_a_valid_entry_is_stored_and_audited(engine, admin, post):
    entry = perform(engine, admin, cp.add_count, {**GOOD_ENTRY, "checkpoint": str(post[GATE])})
    with engine.connect() as conn:
        row = conn.execute(sa.select(cp.checkpoint_counts).where(cp.checkpoint_counts.c.id == entry)).mappings().one()
        action = conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.id.desc()).limit(1)).scalar_one()
    assert (row["checkpoint_id"], row["persons"], row["entered_by"]) == (post[GATE], 100, admin.username)
    assert action == "checkpoints.add_count"


def test_entries_from_an_import_file_arrive_as_text_and_are_kept_to_the_minute(engine, admin, post):
    entry = perform(
        engine,
        admin,
        cp.add_count,
        {
            "checkpoint": f" {GATE} ",
            "period_start": "2025-03-10 08:00:45",
            "period_end": "2025-03-10 16:00",
            "persons": "1,200",
            "vehicles": "30.0",
            "fever": "0",
            "turned_back": " 3 ",
            "note": "",
        },
    )
    with engine.connect() as conn:
        row = conn.execute(sa.select(cp.checkpoint_counts).where(cp.checkpoint_counts.c.id == entry)).mappings().one()
    assert (row["period_start"], row["persons"], row["vehicles"], row["turned_back"], row["note"]) == (
        at(0, 8),
        1200,
        30,
        3,
        None,
    )


REFUSED_ENTRIES = [
    ("unknown_checkpoint", {"checkpoint": "北门"}, "checkpoint"),
    ("missing_checkpoint", {"checkpoint": ""}, "checkpoint"),
    ("closed_checkpoint", {"checkpoint": CLOSED}, "checkpoint"),
    ("end_before_start", {"period_end": at(0, 7)}, "period_end"),
    ("end_equal_to_start", {"period_end": at(0, 8)}, "period_end"),
    ("period_longer_than_24_hours", {"period_end": at(1, 8, 1)}, "period_end"),
    ("start_not_a_time", {"period_start": "昨天早上"}, "period_start"),
    ("negative_count", {"persons": -1}, "persons"),
    ("fractional_count", {"vehicles": "2.5"}, "vehicles"),
    ("missing_count", {"fever": None}, "fever"),
    ("fever_above_persons", {"persons": 3, "fever": 4}, "fever"),
    ("turned_back_above_persons_and_vehicles", {"persons": 1, "vehicles": 1, "turned_back": 3}, "turned_back"),
    ("note_too_long", {"note": "长" * 501}, "note"),
]


@pytest.mark.parametrize(
    ("changes", "field"), [case[1:] for case in REFUSED_ENTRIES], ids=[case[0] for case in REFUSED_ENTRIES]
)
def test_an_entry_breaking_a_rule_is_refused_and_nothing_is_written(engine, admin, post, changes, field):
    assert_refused(engine, lambda: perform(engine, admin, cp.add_count, {**GOOD_ENTRY, **changes}), field)


def test_an_entry_ending_in_the_future_is_refused(engine, admin, post):
    now = clock.now()
    data = {**GOOD_ENTRY, "period_start": now - timedelta(hours=1), "period_end": now + timedelta(minutes=5)}
    assert_refused(engine, lambda: perform(engine, admin, cp.add_count, data), "period_end")


def test_a_period_ending_exactly_24_hours_later_is_accepted(engine, admin, post):
    enter(engine, admin, GATE, at(0, 8), at(1, 8), persons=1)
    assert figures(engine)["persons"] == 1


def test_an_entry_overlapping_another_of_the_same_checkpoint_is_refused(engine, admin, post):
    enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=100)
    refusal = assert_refused(
        engine, lambda: enter(engine, admin, GATE, at(0, 15), at(0, 17), persons=1), "period_start"
    )
    assert "2025-03-10 08:00" in refusal.messages("zh_CN")[0]
    enter(engine, admin, GATE, at(0, 16), at(0, 20), persons=2)
    enter(engine, admin, ROAD, at(0, 15), at(0, 17), persons=3)
    assert figures(engine)["persons"] == 105


def test_every_problem_of_an_entry_is_reported_at_once(engine, admin, post):
    data = {**GOOD_ENTRY, "persons": -5, "vehicles": "many", "period_end": at(0, 7)}
    refusal = assert_refused(engine, lambda: perform(engine, admin, cp.add_count, data), "persons")
    assert set(refusal.fields) >= {"persons", "vehicles", "period_end"}


def test_racing_entries_for_the_same_period_store_only_one(engine, admin, post):
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def clerk_enters(persons: int) -> None:
        barrier.wait()
        try:
            enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=persons)
            outcomes.append("stored")
        except ValidationError:
            outcomes.append("refused")

    threads = [threading.Thread(target=clerk_enters, args=(persons,)) for persons in (10, 20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused", "stored"]
    assert count_rows(engine, "checkpoint_counts") == 1


# Corrections ----------------------------------------------------------------------------------------------------


def test_a_correction_supersedes_the_entry_keeps_both_rows_and_changes_the_figures(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), 1000, 10, 0, 1)
    assert figures(engine)["persons"] == 1000
    fixed = correct(engine, admin, wrong, persons=100)

    assert count_rows(engine, "checkpoint_counts") == 2
    day = figures(engine)
    assert (day["persons"], day["vehicles"], day["turned_back"], day["cumulative"]["persons"]) == (100, 10, 1, 100)
    with engine.connect() as conn:
        row = conn.execute(sa.select(cp.checkpoint_counts).where(cp.checkpoint_counts.c.id == fixed)).mappings().one()
        actions = conn.execute(sa.select(audit_log.c.action).order_by(audit_log.c.id)).scalars().all()
    assert (row["supersedes_id"], row["reason"], row["period_start"]) == (wrong, "登记表核对有误", at(0, 8))
    assert actions[-1] == "checkpoints.correct_count"


def test_a_correction_may_move_the_period_over_the_entry_it_replaces(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=100)
    correct(engine, admin, wrong, period_start=at(0, 9), period_end=at(0, 17))
    enter(engine, admin, GATE, at(0, 8), at(0, 9), persons=7)
    with engine.connect() as conn:
        rows = [row for row in cp.checkpoint_table(conn, D) if row["name"] == GATE]
    assert rows[0]["persons"] == 107


def test_a_correction_may_not_overlap_another_effective_entry(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=100)
    enter(engine, admin, GATE, at(0, 16), at(1, 0), persons=50)
    assert_refused(engine, lambda: correct(engine, admin, wrong, period_end=at(0, 17)), "period_start")


def test_a_correction_needs_a_reason(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=100)
    assert_refused(engine, lambda: correct(engine, admin, wrong, persons=90, reason=" "), "reason")


def test_a_correction_follows_the_entry_rules(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=100, fever=2)
    assert_refused(engine, lambda: correct(engine, admin, wrong, persons=1), "fever")


def test_an_entry_already_corrected_cannot_be_corrected_again(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=100)
    correct(engine, admin, wrong, persons=90)
    assert_refused(engine, lambda: correct(engine, admin, wrong, persons=80), "entry")


def test_correcting_an_unknown_entry_is_refused(engine, admin, post):
    assert_refused(engine, lambda: correct(engine, admin, 999, persons=80), "entry")


def test_an_entry_of_a_closed_checkpoint_can_still_be_corrected(engine, admin, post):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), persons=100)
    perform(engine, admin, cp.set_checkpoint_active, GATE, False)
    correct(engine, admin, wrong, persons=60)
    assert figures(engine)["persons"] == 60


# Roles (DESIGN §8) ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [Actor("leader-test", "leader"), WALL], ids=["leader", "wall"])
def test_leader_and_wall_may_not_enter_or_correct_counts(engine, admin, post, actor):
    entry = enter(engine, admin, GATE, at(0, 0), at(0, 8), persons=1)
    assert_denied(engine, lambda: enter(engine, actor, GATE, at(0, 8), at(0, 16), persons=1))
    assert_denied(engine, lambda: perform(engine, actor, cp.add_zero_report, GATE, at(0, 8), at(0, 16)))
    assert_denied(engine, lambda: correct(engine, actor, entry, persons=2))


def test_a_clerk_enters_only_for_the_assigned_checkpoints(engine, admin, post):
    clerk = Actor("clerk-road", "clerk", (("checkpoints", frozenset({post[ROAD]})),))
    gate_entry = enter(engine, admin, GATE, at(0, 0), at(0, 8), persons=1)
    enter(engine, clerk, ROAD, at(0, 8), at(0, 16), persons=5)
    assert_denied(engine, lambda: enter(engine, clerk, GATE, at(0, 8), at(0, 16), persons=5))
    assert_denied(engine, lambda: correct(engine, clerk, gate_entry, persons=2))
    other_domain = Actor("clerk-store", "clerk", (("supplies", frozenset()),))
    assert_denied(engine, lambda: enter(engine, other_domain, ROAD, at(0, 16), at(1, 0), persons=5))
    assert figures(engine)["persons"] == 6


@pytest.mark.parametrize(
    "actor",
    [Actor("clerk-all", "clerk", (("checkpoints", frozenset()),)), Actor("leader-test", "leader")],
    ids=["clerk", "leader"],
)
def test_only_an_admin_changes_checkpoints(engine, post, actor):
    assert_denied(
        engine,
        lambda: perform(engine, actor, cp.add_checkpoint, {"name": "新卡口", "grid": "第一网格", "kind": "road"}),
    )
    assert_denied(engine, lambda: perform(engine, actor, cp.rename_checkpoint, GATE, "大东门"))
    assert_denied(engine, lambda: perform(engine, actor, cp.set_checkpoint_active, GATE, False))
    assert_denied(engine, lambda: perform(engine, actor, cp.set_checkpoint_location, GATE, "第二网格", 30.5, 114.2))


# Master data ----------------------------------------------------------------------------------------------------


def test_master_data_changes_are_audited_with_before_and_after(engine, admin, post):
    perform(engine, admin, cp.rename_checkpoint, GATE, "大东门")
    perform(engine, admin, cp.set_checkpoint_location, "大东门", "第二网格", "30.59", "114.30")
    perform(engine, admin, cp.set_checkpoint_active, post[GATE], "否")
    perform(engine, admin, cp.set_checkpoint_kind, post[GATE], "道路卡口")

    with engine.connect() as conn:
        row = conn.execute(sa.select(cp.checkpoints).where(cp.checkpoints.c.id == post[GATE])).mappings().one()
        audits = (
            conn.execute(
                sa.select(audit_log)
                .where(audit_log.c.table_name == "checkpoints", audit_log.c.row_id == str(post[GATE]))
                .order_by(audit_log.c.id)
            )
            .mappings()
            .all()
        )
    assert (row["name"], row["grid"], row["latitude"], row["longitude"], row["active"], row["kind"]) == (
        "大东门",
        "第二网格",
        30.59,
        114.30,
        False,
        "road",
    )
    changes = [(audit["action"], json.loads(audit["before"] or "null"), json.loads(audit["after"])) for audit in audits]
    assert changes[1:] == [
        ("checkpoints.rename_checkpoint", {"name": GATE}, {"name": "大东门"}),
        (
            "checkpoints.set_checkpoint_location",
            {"grid": "第一网格", "latitude": 30.58, "longitude": 114.29},
            {"grid": "第二网格", "latitude": 30.59, "longitude": 114.30},
        ),
        ("checkpoints.set_checkpoint_active", {"active": True}, {"active": False}),
        ("checkpoints.set_checkpoint_kind", {"kind": "compound_gate"}, {"kind": "road"}),
    ]
    assert changes[0][0] == "checkpoints.add_checkpoint"


def test_a_checkpoint_takes_chinese_kind_labels_and_may_have_no_position(engine, admin):
    new = perform(engine, admin, cp.add_checkpoint, {"name": "高速出口", "grid": "第五网格", "kind": "道路卡口"})
    with engine.connect() as conn:
        row = conn.execute(sa.select(cp.checkpoints).where(cp.checkpoints.c.id == new)).mappings().one()
    assert (row["kind"], row["latitude"], row["longitude"], row["active"]) == ("road", None, None, True)


BAD_CHECKPOINTS = [
    ("duplicate_name", {"name": GATE}, "name"),
    ("missing_name", {"name": " "}, "name"),
    ("missing_grid", {"grid": None}, "grid"),
    ("unknown_kind", {"kind": "gate"}, "kind"),
    ("latitude_out_of_range", {"latitude": 91}, "latitude"),
    ("longitude_out_of_range", {"longitude": "-181"}, "longitude"),
    ("latitude_not_a_number", {"latitude": "北纬30度"}, "latitude"),
    ("longitude_without_latitude", {"latitude": None}, "latitude"),
    ("active_not_a_flag", {"active": "maybe"}, "active"),
]


@pytest.mark.parametrize(
    ("changes", "field"), [case[1:] for case in BAD_CHECKPOINTS], ids=[case[0] for case in BAD_CHECKPOINTS]
)
def test_a_checkpoint_breaking_a_rule_is_refused_and_nothing_is_written(engine, admin, post, changes, field):
    data = {
        "name": "北门",
        "grid": "第一网格",
        "kind": "compound_gate",
        "latitude": 30.5,
        "longitude": 114.3,
        **changes,
    }
    assert_refused(engine, lambda: perform(engine, admin, cp.add_checkpoint, data), field)


def test_renaming_to_a_name_in_use_is_refused(engine, admin, post):
    assert_refused(engine, lambda: perform(engine, admin, cp.rename_checkpoint, GATE, ROAD), "name")


def test_changing_an_unknown_checkpoint_is_refused(engine, admin, post):
    assert_refused(engine, lambda: perform(engine, admin, cp.set_checkpoint_active, "北门", False), "checkpoint")


def test_a_position_out_of_range_is_refused(engine, admin, post):
    assert_refused(
        engine, lambda: perform(engine, admin, cp.set_checkpoint_location, GATE, "第一网格", 30.5, 200), "longitude"
    )


# Import and export (DESIGN §5) ----------------------------------------------------------------------------------


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
    workbook = Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    workbook.save(path)
    return path


def read_rows(engine, kind: str) -> list[dict]:
    with engine.connect() as conn:
        return list(transfer_kind(kind).read_rows(conn))


def test_import_csv_with_english_headers(engine, admin, tmp_path):
    points = write_csv(
        tmp_path / "points.csv",
        ["name", "grid", "kind", "latitude", "longitude", "active"],
        [
            ["东门", "第一网格", "compound_gate", "30.581", "114.291", "1"],
            ["南路口", "第二网格", "road", "", "", "true"],
        ],
    )
    counts = write_csv(
        tmp_path / "counts.csv",
        ["checkpoint", "period_start", "period_end", "persons", "vehicles", "fever", "turned_back", "note"],
        [
            ["东门", "2025-03-10 00:00", "2025-03-10 08:00", "0", "0", "0", "0", "零报告"],
            ["南路口", "2025-03-10 08:00", "2025-03-10 16:00", "120", "230", "1", "3", ""],
        ],
    )
    assert import_file(engine, admin, "checkpoints", points) == 2
    assert import_file(engine, admin, "checkpoint_counts", counts) == 2

    day = figures(engine)
    assert (day["persons"], day["vehicles"], day["fever"], day["turned_back"]) == (120, 230, 1, 3)
    assert (day["active_checkpoints"], day["reported_checkpoints"]) == (2, 2)


def test_import_xlsx_with_chinese_headers_and_labels(engine, admin, tmp_path):
    points = write_xlsx(
        tmp_path / "卡口.xlsx",
        ["卡口名称", "网格", "类型", "纬度", "经度", "启用"],
        [["东门", "第一网格", "小区门岗", 30.581, 114.291, "是"], ["火车站", "第三网格", "车站", 30.59, 114.3, "否"]],
    )
    counts = write_xlsx(
        tmp_path / "登记.xlsx",
        ["卡口名称", "开始时间", "结束时间", "检测人数", "检查车辆", "发热人数", "劝返人数", "备注"],
        [["东门", datetime(2025, 3, 10, 8), "2025-03-10 16:00", 300, 25, 0, 2, None]],
    )
    assert import_file(engine, admin, "checkpoints", points) == 2
    assert import_file(engine, admin, "checkpoint_counts", counts) == 1

    assert read_rows(engine, "checkpoints")[1] == {
        "name": "火车站",
        "grid": "第三网格",
        "kind": "station",
        "latitude": 30.59,
        "longitude": 114.3,
        "active": False,
    }
    day = figures(engine)
    assert (day["persons"], day["vehicles"], day["turned_back"], day["active_checkpoints"]) == (300, 25, 2, 1)


def test_a_file_with_a_bad_row_writes_nothing_and_names_the_row_and_column(engine, admin, post, tmp_path):
    counts = write_csv(
        tmp_path / "counts.csv",
        ["卡口名称", "开始时间", "结束时间", "检测人数", "检查车辆", "发热人数", "劝返人数"],
        [
            [GATE, "2025-03-10 00:00", "2025-03-10 08:00", "20", "2", "0", "0"],
            [GATE, "2025-03-10 08:00", "2025-03-10 16:00", "20", "2", "21", "0"],
            [ROAD, "2025-03-10 08:00", "2025-03-10 16:00", "90", "120", "0", "1"],
            [ROAD, "2025-03-10 15:00", "2025-03-10 17:00", "9", "12", "0", "1"],
        ],
    )
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as rejected:
        import_file(engine, admin, "checkpoint_counts", counts)
    assert [(error.row, error.column) for error in rejected.value.row_errors] == [(3, "fever"), (5, "period_start")]
    assert "第 3 行" in rejected.value.messages("zh_CN")[0] and "发热人数" in rejected.value.messages("zh_CN")[0]
    assert snapshot(engine) == before


def test_export_then_import_gives_the_same_rows(engine, admin, post, tmp_path, database_factory):
    wrong = enter(engine, admin, GATE, at(0, 8), at(0, 16), 1000, 10, 1, 2, note="夜班交接")
    correct(engine, admin, wrong, persons=100)
    perform(engine, admin, cp.add_zero_report, ROAD, at(-1, 23, 59), at(0, 7, 59))
    perform(engine, admin, cp.set_checkpoint_location, ROAD, "第二网格", None, None)

    copy = connect(database_factory.fresh_url())
    try:
        for kind, suffix in (("checkpoints", "csv"), ("checkpoint_counts", "xlsx")):
            path = tmp_path / f"{kind}.{suffix}"
            export_file(engine, kind, path)
            import_file(copy, admin, kind, path)
            assert read_rows(copy, kind) == read_rows(engine, kind)
        assert figures(copy) == figures(engine)
    finally:
        copy.dispose()


# Sample data ----------------------------------------------------------------------------------------------------


def run_sample(engine, admin, monkeypatch, now: datetime, days: int = 14, seed: int = 7) -> None:
    monkeypatch.delenv(settings.SHIFTS.name, raising=False)
    monkeypatch.setattr(clock, "now", lambda: now)
    community = Community(rng=random.Random(seed), today=now.date(), days=days)
    write(engine, admin, lambda ctx: generate(ctx, community))


def kilometres_from_centre(latitude: float, longitude: float) -> float:
    north = (latitude - CENTER[0]) * 111.2
    east = (longitude - CENTER[1]) * 111.2 * math.cos(math.radians(CENTER[0]))
    return math.hypot(north, east)


def test_sample_builds_the_promised_checkpoints_and_figures(engine, admin, monkeypatch):
    now = at(0, 17, 30)
    run_sample(engine, admin, monkeypatch, now)

    with engine.connect() as conn:
        points = cp.list_checkpoints(conn, include_inactive=True)
        trend = cp.daily_trend(conn, D, days=14)
        last_end = conn.execute(sa.select(sa.func.max(cp.checkpoint_counts.c.period_end))).scalar_one()
        zero_reports = conn.execute(
            sa.select(sa.func.count())
            .select_from(cp.checkpoint_counts)
            .where(cp.checkpoint_counts.c.persons + cp.checkpoint_counts.c.vehicles == 0)
        ).scalar_one()
        corrections = conn.execute(
            sa.select(sa.func.count())
            .select_from(cp.checkpoint_counts)
            .where(cp.checkpoint_counts.c.supersedes_id.is_not(None))
        ).scalar_one()
    assert len(points) == 8
    assert [point["name"] for point in points if not point["active"]] == ["翠竹园西门"]
    assert [point["kind"] for point in points].count("station") == 1
    assert {point["kind"] for point in points} == {"compound_gate", "road", "station"}
    assert len({point["grid"] for point in points}) == 5
    assert all(kilometres_from_centre(point["latitude"], point["longitude"]) < 1.0 for point in points)

    today = figures(engine)
    assert (today["active_checkpoints"], today["reported_checkpoints"], today["not_reported"]) == (
        7,
        6,
        ["光明村村口卡口"],
    )
    assert last_end == at(0, 16)
    assert 1000 < today["persons"] < 4000
    assert all(2500 < day["persons"] < 6000 and day["vehicles"] < day["persons"] for day in trend[:-1])
    assert 13 <= sum(day["turned_back"] for day in trend[:-1]) <= 200
    assert today["cumulative"]["fever"] < 20
    assert zero_reports >= 13 and corrections == 1


def test_sample_before_the_first_shift_ends_enters_the_current_shift_up_to_now(engine, admin, monkeypatch):
    run_sample(engine, admin, monkeypatch, datetime.combine(D, time(5, 30, 40)), days=3)

    with engine.connect() as conn:
        last = conn.execute(
            sa.select(cp.checkpoint_counts.c.period_start, cp.checkpoint_counts.c.period_end)
            .order_by(cp.checkpoint_counts.c.period_end.desc())
            .limit(1)
        ).one()
    assert tuple(last) == (at(0, 0), at(0, 5, 30))
    today = figures(engine)
    assert today["reported_checkpoints"] == 6 and today["persons"] > 0


def test_sample_is_the_same_for_the_same_seed(engine, admin, monkeypatch, database_factory):
    run_sample(engine, admin, monkeypatch, at(0, 12), days=4)
    again = connect(database_factory.fresh_url())
    try:
        run_sample(again, admin, monkeypatch, at(0, 12), days=4)
        assert read_rows(again, "checkpoint_counts") == read_rows(engine, "checkpoint_counts")
        assert read_rows(again, "checkpoints") == read_rows(engine, "checkpoints")
    finally:
        again.dispose()


def test_the_entries_a_period_overlaps_are_the_effective_ones_of_its_checkpoint(engine, admin, post):
    stub = enter(engine, admin, GATE, at(0, 16), at(0, 16, 5), 3)
    corrected = enter(engine, admin, GATE, at(0, 8), at(0, 9), 9)
    replacement = correct(engine, admin, corrected, persons=10)
    enter(engine, admin, ROAD, at(0, 8), at(0, 16), 50)
    with engine.connect() as conn:
        found = cp.overlapping_entries(conn, post[GATE], at(0, 8), at(0, 16, 30))
    assert [(entry["id"], entry["period_start"], entry["persons"]) for entry in found] == [
        (replacement, at(0, 8), 10),
        (stub, at(0, 16), 3),
    ]
