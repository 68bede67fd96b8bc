"""Quarantine (DESIGN §4.2): figures by their definitions, every rule, corrections, roles, import/export, sample."""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from openpyxl import Workbook

from data_layer import clock, quarantine, transfer
from data_layer.db import Actor, connect, perform
from data_layer.errors import ImportRejected, PermissionDenied
from sample_data import quarantine as sample_quarantine
from sample_data.community import Community
from support import assert_write_refused, audit_rows, count_rows, id_number, quarantine_person, snapshot

TABLES = ("quarantine_sites", "persons", "quarantine_episodes", "episode_changes", "quarantine_followups")
TODAY = clock.today()
D = TODAY - timedelta(days=5)


def days(offset: int) -> date:
    return D + timedelta(days=offset)


def person(n: int, **fields: object) -> dict[str, object]:
    return quarantine_person(n, D, **fields)


def register(engine, admin, n: int, **fields: object) -> int:
    return perform(engine, admin, quarantine.register, person(n, **fields))


def add_site(engine, admin, name: str = "城东隔离点", capacity: int = 10) -> int:
    return perform(engine, admin, quarantine.add_site, {"name": name, "address": "城东路1号", "capacity": capacity})


def followup(engine, admin, episode_id: int, day: date, slot: str = "AM", temperature: float = 36.5) -> int:
    return perform(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episode_id, "date": day, "slot": slot, "temperature": temperature, "by": "网格员甲"},
    )


def figures(engine, day: date = D) -> dict:
    with engine.connect() as conn:
        return quarantine.figures(conn, day)


# --- figures: one test per definition of DESIGN §4.2 -----------------------------------------------------------


def test_current_counts_episodes_started_by_d_and_not_ended_by_d_per_mode(engine, admin):
    site = add_site(engine, admin)
    register(engine, admin, 1, mode="centralized", site=site, start_date=D)
    ended_on_d = register(engine, admin, 2, start_date=days(-3))
    perform(engine, admin, quarantine.release, ended_on_d, D)
    register(engine, admin, 3, start_date=days(-5))
    register(engine, admin, 4, mode="monitoring", start_date=days(1))
    ends_after_d = register(engine, admin, 5, mode="monitoring", start_date=days(-2))
    perform(engine, admin, quarantine.release, ends_after_d, days(1))

    assert figures(engine)["current"] == {"centralized": 1, "home": 1, "monitoring": 1, "total": 3}


def test_admitted_counts_episodes_starting_on_d(engine, admin):
    register(engine, admin, 1, start_date=D)
    register(engine, admin, 2, mode="monitoring", start_date=D)
    register(engine, admin, 3, start_date=days(-1))
    register(engine, admin, 4, start_date=days(1))

    assert figures(engine)["admitted"] == 2


def test_released_counts_releases_ending_on_d_and_not_transfers(engine, admin):
    on_d, transferred, day_before, day_after = (register(engine, admin, n, start_date=days(-4)) for n in range(1, 5))
    perform(engine, admin, quarantine.release, on_d, D)
    perform(engine, admin, quarantine.transfer_to_hospital, transferred, D, "发热转院")
    perform(engine, admin, quarantine.release, day_before, days(-1))
    perform(engine, admin, quarantine.release, day_after, days(1))

    assert figures(engine)["released"] == 1


def test_due_next_3_days_counts_current_episodes_with_planned_end_in_d_plus_1_to_3(engine, admin):
    register(engine, admin, 1, start_date=days(-13), planned_days=14)  # ends D+1
    register(engine, admin, 2, start_date=days(-11), planned_days=14)  # ends D+3
    register(engine, admin, 3, start_date=days(-10), planned_days=14)  # ends D+4
    register(engine, admin, 4, start_date=days(-14), planned_days=14)  # ends D: overdue, not due
    released = register(engine, admin, 5, start_date=days(-12), planned_days=14)  # ends D+2 but released on D
    perform(engine, admin, quarantine.release, released, D)

    assert figures(engine)["due_next_3_days"] == 2


def test_overdue_counts_current_episodes_whose_planned_end_is_d_or_earlier(engine, admin):
    register(engine, admin, 1, start_date=days(-14), planned_days=14)  # ends D
    register(engine, admin, 2, start_date=days(-16), planned_days=14)  # ends D-2, still active
    released_on_d = register(engine, admin, 3, start_date=days(-16), planned_days=14)
    perform(engine, admin, quarantine.release, released_on_d, D)
    released_next_day = register(engine, admin, 4, start_date=days(-15), planned_days=14)  # ends D-1
    perform(engine, admin, quarantine.release, released_next_day, days(1))
    register(engine, admin, 5, start_date=days(-13), planned_days=14)  # ends D+1

    assert figures(engine)["overdue"] == 3


def test_followups_missing_counts_current_episodes_with_fewer_than_two_effective_followups_on_d(engine, admin):
    complete, morning_only, nothing, corrected, ended, yesterday_only = (
        register(engine, admin, n, start_date=days(-3)) for n in range(1, 7)
    )
    for episode in (complete, corrected, ended):
        followup(engine, admin, episode, days(-1), "AM")
    followup(engine, admin, complete, D, "AM")
    followup(engine, admin, complete, D, "PM")
    wrong = followup(engine, admin, corrected, D, "AM", 38.0)
    followup(engine, admin, corrected, D, "PM")
    perform(engine, admin, quarantine.correct_followup, wrong, {"temperature": 36.6}, "读数录错")
    followup(engine, admin, morning_only, D, "AM")
    followup(engine, admin, yesterday_only, days(-1), "AM")
    followup(engine, admin, yesterday_only, days(-1), "PM")
    perform(engine, admin, quarantine.release, ended, D)

    assert figures(engine)["followups_missing"] == 3
    with engine.connect() as conn:
        listed = quarantine.action_lists(conn, D)["followups_missing"]
    assert sorted(row["episode_id"] for row in listed) == sorted([morning_only, nothing, yesterday_only])


def test_fever_counts_effective_followups_on_d_at_or_above_the_threshold(engine, admin, monkeypatch):
    first, second, third = (register(engine, admin, n, start_date=days(-3)) for n in range(1, 4))
    followup(engine, admin, first, D, "AM", 37.3)
    followup(engine, admin, first, D, "PM", 37.2)
    wrong_fever = followup(engine, admin, second, D, "AM", 38.5)
    perform(engine, admin, quarantine.correct_followup, wrong_fever, {"temperature": 36.8}, "体温枪读数有误")
    missed_fever = followup(engine, admin, second, D, "PM", 36.5)
    perform(engine, admin, quarantine.correct_followup, missed_fever, {"temperature": 38.0}, "复测发热")
    followup(engine, admin, third, days(-1), "PM", 39.0)

    assert figures(engine)["fever_in_quarantine"] == 2
    monkeypatch.setenv("COMMAND_POST_FEVER_THRESHOLD", "38")
    assert figures(engine)["fever_in_quarantine"] == 1


def test_site_occupancy_is_current_centralized_episodes_over_capacity(engine, admin):
    site = add_site(engine, admin, capacity=4)
    add_site(engine, admin, "城西隔离点", capacity=5)
    register(engine, admin, 1, mode="centralized", site=site, start_date=days(-2))
    left = register(engine, admin, 2, mode="centralized", site="城东隔离点", start_date=days(-2))
    perform(engine, admin, quarantine.release, left, D)

    with engine.connect() as conn:
        occupancy = quarantine.site_occupancy(conn, D)
        before = quarantine.site_occupancy(conn, days(-1))
    assert [(row["name"], row["occupied"], row["capacity"], row["rate"]) for row in occupancy] == [
        ("城东隔离点", 1, 4, 0.25),
        ("城西隔离点", 0, 5, 0.0),
    ]
    assert before[0]["occupied"] == 2


def outlook(engine, day: date = D) -> dict[str, dict]:
    with engine.connect() as conn:
        return {site["name"]: site for site in quarantine.beds_outlook(conn, day)}


def test_beds_outlook_takes_off_planned_ends_and_adds_the_sites_average_admissions(engine, admin, monkeypatch):
    monkeypatch.setenv("COMMAND_POST_ADMISSIONS_DAYS", "4")
    add_site(engine, admin, "城东隔离点", capacity=6)
    add_site(engine, admin, "城西隔离点", capacity=3)
    register(engine, admin, 1, mode="centralized", site="城东隔离点", start_date=days(-6), planned_days=8)
    register(engine, admin, 2, mode="centralized", site="城东隔离点", start_date=days(-3), planned_days=5)
    register(engine, admin, 3, mode="centralized", site="城东隔离点", start_date=days(-1), planned_days=2)
    register(engine, admin, 4, mode="centralized", site="城东隔离点", start_date=days(-10), planned_days=9)
    left = register(engine, admin, 5, mode="centralized", site="城东隔离点", start_date=days(-2))
    perform(engine, admin, quarantine.release, left, days(-1))
    register(engine, admin, 6, start_date=days(-2), planned_days=3)
    register(engine, admin, 7, mode="centralized", site="城西隔离点", start_date=days(-20), planned_days=30)

    sites = outlook(engine)
    east, west = sites["城东隔离点"], sites["城西隔离点"]
    # 4 people at the east site on D; admitted D-3, D-2 (released since) and D-1: 3 in 4 days, 0.75 a day;
    # planned ends: D+1 (and the overdue one from D-1, expected first), two on D+2.
    assert (east["occupied"], east["free"], east["admissions_per_day"], east["full_in"]) == (4, 2, 0.8, None)
    assert [(day["day"], day["releases"], day["occupied"], day["free"]) for day in east["days"]] == [
        (days(1), 2, 3, 3),
        (days(2), 2, 2, 4),
        (days(3), 0, 2, 4),
        (days(4), 0, 3, 3),
        (days(5), 0, 4, 2),
        (days(6), 0, 5, 1),
        (days(7), 0, 5, 1),
    ]
    assert [(day["occupied"], day["releases"], day["free"]) for day in west["days"]] == [(1, 0, 2)] * 7
    assert [day["free"] for day in quarantine.free_beds_outlook(list(sites.values()))] == [5, 6, 6, 5, 4, 3, 3]


def test_beds_outlook_finds_the_first_day_a_site_runs_out_of_beds(engine, admin, monkeypatch):
    monkeypatch.setenv("COMMAND_POST_ADMISSIONS_DAYS", "1")
    add_site(engine, admin, "城东隔离点", capacity=3)
    add_site(engine, admin, "城西隔离点", capacity=8)
    closed = add_site(engine, admin, "城北隔离点", capacity=5)
    perform(engine, admin, quarantine.set_site_active, closed, False)
    for n in (1, 2):
        register(engine, admin, n, mode="centralized", site="城东隔离点", start_date=D)
    register(engine, admin, 3, mode="centralized", site="城西隔离点", start_date=D)

    sites = outlook(engine)
    assert sorted(sites) == ["城东隔离点", "城西隔离点"]
    assert [day["occupied"] for day in sites["城东隔离点"]["days"]][:2] == [4, 6]
    assert (sites["城东隔离点"]["full_in"], sites["城西隔离点"]["full_in"]) == (1, 7)
    with engine.connect() as conn:
        assert [site["name"] for site in quarantine.projected_full(quarantine.beds_outlook(conn, D))] == ["城东隔离点"]


def test_action_lists_match_the_figures_and_mask_phones_unless_the_actor_may_see(engine, admin, leader):
    due = register(engine, admin, 1, start_date=days(-12), planned_days=14)
    overdue = register(engine, admin, 2, start_date=days(-15), planned_days=14)
    followup(engine, admin, due, D, "AM", 38.1)
    followup(engine, admin, due, D, "PM", 36.4)

    with engine.connect() as conn:
        counted = quarantine.figures(conn, D)
        masked = quarantine.action_lists(conn, D, leader)
        shown = quarantine.action_lists(conn, D, admin)
    for name in ("due_next_3_days", "overdue", "followups_missing", "fever_in_quarantine"):
        assert len(masked[name]) == counted[name]
    assert [row["episode_id"] for row in masked["due_next_3_days"]] == [due]
    assert [row["episode_id"] for row in masked["overdue"]] == [overdue]
    assert [row["episode_id"] for row in masked["followups_missing"]] == [overdue]
    assert masked["fever_in_quarantine"][0]["temperature"] == 38.1
    assert masked["overdue"][0]["phone"] == "138****0002"
    assert shown["overdue"][0]["phone"] == "13800000002"


def test_action_list_heads_give_the_first_rows_in_list_order_and_the_count_of_all(engine, admin):
    overdue = [register(engine, admin, n, start_date=days(-20 + n), planned_days=14) for n in range(1, 5)]

    with engine.connect() as conn:
        heads = quarantine.action_list_heads(conn, D, admin, limit=2)
        whole = quarantine.action_lists(conn, D, admin)
    assert [row["episode_id"] for row in heads["overdue"]["rows"]] == overdue[:2]
    assert heads["overdue"]["total"] == len(whole["overdue"]) == 4
    assert heads["fever_in_quarantine"] == {"rows": [], "total": 0}


def test_daily_current_gives_the_current_figure_of_each_day(engine, admin):
    register(engine, admin, 1, start_date=days(-3))
    ended = register(engine, admin, 2, mode="monitoring", start_date=days(-2))
    perform(engine, admin, quarantine.release, ended, D)

    with engine.connect() as conn:
        trend = quarantine.daily_current(conn, D, days=5)
        expected = [quarantine.figures(conn, days(offset))["current"] for offset in range(-4, 1)]
    assert [row["day"] for row in trend] == [days(offset) for offset in range(-4, 1)]
    assert [{key: row[key] for key in ("centralized", "home", "monitoring", "total")} for row in trend] == expected
    assert [row["total"] for row in trend] == [0, 1, 2, 2, 1]


def test_register_rows_search_and_mask_numbers(engine, admin, leader):
    register(engine, admin, 1, name="张示例")
    register(engine, admin, 2, name="李示例")

    with engine.connect() as conn:
        found = quarantine.register_rows(conn, D, "张", actor=leader)
        everyone = quarantine.register_rows(conn, D, actor=admin)
    assert [row["name"] for row in found] == ["张示例"]
    assert found[0]["id_number"] == id_number(1)[:4] + "*" * 10 + id_number(1)[-4:]
    assert {row["id_number"] for row in everyone} == {id_number(1), id_number(2)}


def test_followup_sheet_shows_each_current_episode_with_its_effective_readings(engine, admin):
    site = add_site(engine, admin)
    at_site = register(engine, admin, 1, mode="centralized", site=site, start_date=days(-2))
    at_home = register(engine, admin, 2, start_date=days(-2))
    wrong = followup(engine, admin, at_site, D, "AM", 38.0)
    fixed = perform(engine, admin, quarantine.correct_followup, wrong, {"temperature": 36.6}, "录错")

    with engine.connect() as conn:
        sheet = quarantine.followup_sheet(conn, D)
        site_only = quarantine.followup_sheet(conn, D, site)
    rows = {row["episode_id"]: row for row in sheet}
    assert set(rows) == {at_site, at_home}
    assert rows[at_site]["AM"] == {"id": fixed, "temperature": 36.6, "symptoms": False}
    assert rows[at_site]["PM"] is None and rows[at_home]["AM"] is None
    assert [row["episode_id"] for row in site_only] == [at_site]


# --- privacy -----------------------------------------------------------------------------------------------------


def test_masks_keep_the_first_and_last_characters():
    assert quarantine.mask_id_number("11010519491231002X") == "1101**********002X"
    assert quarantine.mask_phone("13812345678") == "138****5678"


def test_present_person_shows_numbers_to_admins_only_and_no_name_to_the_wall(admin, leader):
    row = {"name": "张示例", "id_number": "11010519491231002X", "phone": "13812345678"}
    masked = {"name": "张示例", "id_number": "1101**********002X", "phone": "138****5678"}
    assert quarantine.present_person(row, admin) == row
    assert quarantine.present_person(row, Actor("c", "clerk", (("quarantine", frozenset()),))) == masked
    assert quarantine.present_person(row, leader) == masked
    assert quarantine.present_person(row, None)["phone"] == "138****5678"
    assert quarantine.present_person(row, Actor("w", "wall")) == {**masked, "name": quarantine.WITHHELD_NAME}


def register_search(engine, actor, term: str) -> list[str]:
    with engine.connect() as conn:
        return [row["name"] for row in quarantine.register_rows(conn, D, term, actor=actor)]


@pytest.mark.parametrize("role", ["leader", "clerk"])
def test_a_masked_search_cannot_match_the_hidden_digits_of_a_number(engine, admin, role):
    """Probing a hidden digit by pattern (``99000_________4346``) or by plain digits finds nobody."""
    full = id_number(346, prefix="99000119850312")
    register(engine, admin, 1, name="张示例", id_number=full, phone="13812345678")
    actor = Actor(f"{role}-test", role, (("quarantine", frozenset()),) if role == "clerk" else ())

    probes = [full[:5] + "_" * 9 + full[-4:], full[:5] + "%", "%" + full[-5:], full[4:10], "1234567", "1234"]
    assert {probe: register_search(engine, actor, probe) for probe in probes} == {probe: [] for probe in probes}
    assert register_search(engine, admin, full[4:10]) == ["张示例"]


@pytest.mark.parametrize("role", ["leader", "clerk"])
def test_a_masked_search_matches_the_visible_digits_the_name_and_a_whole_id_number(engine, admin, role):
    full = id_number(346, prefix="99000119850312")
    register(engine, admin, 1, name="张示例", id_number=full, phone="15912345678")
    register(engine, admin, 2, name="李示例")
    actor = Actor(f"{role}-test", role, (("quarantine", frozenset()),) if role == "clerk" else ())

    for term in (full[:4], full[-4:], "159", "5678", "张", full, full.lower()):
        assert register_search(engine, actor, term) == ["张示例"], term


def test_search_wildcards_are_characters_for_every_role(engine, admin):
    register(engine, admin, 1, name="张_示例")
    register(engine, admin, 2, name="李示例")
    assert register_search(engine, admin, "_") == ["张_示例"]
    assert register_search(engine, admin, "%") == []


def test_a_site_clerk_registering_someone_quarantined_elsewhere_is_not_told_their_name(engine, admin):
    mine, other = add_site(engine, admin), add_site(engine, admin, "城西隔离点")
    register(engine, admin, 1, name="王示例", mode="centralized", site=other, start_date=days(-2))
    clerk = Actor("clerk-test", "clerk", (("quarantine", frozenset({mine})),))

    error = assert_write_refused(
        engine, clerk, quarantine.register, person(1, name="某人", mode="centralized", site=mine), field="id_number"
    )
    for language in ("zh_CN", "en"):
        assert not any("王示例" in message for message in error.messages(language))
    assert error.errors[0].key == "quarantine.error.active_elsewhere"
    told = assert_write_refused(engine, admin, quarantine.register, person(1, name="某人"), field="id_number")
    assert any("王示例" in message for message in told.messages("zh_CN"))


# --- validation: one test per rule -------------------------------------------------------------------------------


def test_id_number_with_a_wrong_check_character_is_refused(engine, admin):
    wrong = id_number(1)[:17] + ("0" if id_number(1)[17] != "0" else "1")
    assert_write_refused(engine, admin, quarantine.register, person(1, id_number=wrong), field="id_number")


def test_phone_that_is_not_eleven_digits_starting_with_1_is_refused(engine, admin):
    assert_write_refused(engine, admin, quarantine.register, person(1, phone="2380000000"), field="phone")
    assert_write_refused(engine, admin, quarantine.register, person(1, phone="1380000"), field="phone")


def test_start_date_in_the_future_is_refused(engine, admin):
    assert_write_refused(
        engine, admin, quarantine.register, person(1, start_date=TODAY + timedelta(days=1)), field="start_date"
    )


@pytest.mark.parametrize("planned_days", [0, 61, "十四"])
def test_planned_days_outside_1_to_60_are_refused(engine, admin, planned_days):
    assert_write_refused(engine, admin, quarantine.register, person(1, planned_days=planned_days), field="planned_days")


def test_planned_days_default_comes_from_the_origin_category_setting(engine, admin, monkeypatch):
    monkeypatch.setenv("COMMAND_POST_PLANNED_DAYS", "in_province_other_city=7")
    short = register(engine, admin, 1, origin_category="in_province_other_city", mode="monitoring")
    normal = register(engine, admin, 2, origin_category="close_contact")

    with engine.connect() as conn:
        rows = {row["episode_id"]: row for row in quarantine.register_rows(conn, D, actor=admin)}
    assert rows[short]["planned_end"] == D + timedelta(days=7)
    assert rows[normal]["planned_end"] == D + timedelta(days=14)


def test_unknown_mode_and_origin_category_are_refused(engine, admin):
    assert_write_refused(engine, admin, quarantine.register, person(1, mode="hotel"), field="mode")
    assert_write_refused(engine, admin, quarantine.register, person(1, origin_category="mars"), field="origin_category")


def test_centralized_quarantine_without_a_site_is_refused(engine, admin):
    assert_write_refused(engine, admin, quarantine.register, person(1, mode="centralized"), field="site")
    assert_write_refused(
        engine, admin, quarantine.register, person(1, mode="centralized", site="无此隔离点"), field="site"
    )


def test_a_site_is_refused_for_home_quarantine(engine, admin):
    site = add_site(engine, admin)
    assert_write_refused(engine, admin, quarantine.register, person(1, site=site), field="site")


def test_a_full_site_is_refused_naming_the_site(engine, admin):
    site = add_site(engine, admin, capacity=1)
    register(engine, admin, 1, mode="centralized", site=site, start_date=days(-2))

    error = assert_write_refused(
        engine, admin, quarantine.register, person(2, mode="centralized", site=site), field="site"
    )
    assert "城东隔离点" in error.messages("zh_CN")[0]


def test_a_back_dated_admission_must_fit_on_every_later_day(engine, admin):
    site = add_site(engine, admin, capacity=1)
    earlier = register(engine, admin, 1, mode="centralized", site=site, start_date=days(-4))
    perform(engine, admin, quarantine.release, earlier, days(-2))
    register(engine, admin, 2, mode="centralized", site=site, start_date=days(-1))

    assert_write_refused(
        engine, admin, quarantine.register, person(3, mode="centralized", site=site, start_date=days(-2)), field="site"
    )


def test_an_inactive_site_is_refused(engine, admin):
    site = add_site(engine, admin)
    perform(engine, admin, quarantine.set_site_active, site, False)
    assert_write_refused(engine, admin, quarantine.register, person(1, mode="centralized", site=site), field="site")


def test_a_second_active_episode_for_the_same_person_is_refused(engine, admin):
    register(engine, admin, 1, start_date=days(-3))
    assert_write_refused(engine, admin, quarantine.register, person(1, mode="monitoring"), field="id_number")


def test_a_new_episode_may_not_start_before_the_previous_one_ended(engine, admin):
    first = register(engine, admin, 1, start_date=days(-4))
    perform(engine, admin, quarantine.release, first, days(-1))
    assert_write_refused(engine, admin, quarantine.register, person(1, start_date=days(-2)), field="start_date")


def test_a_released_person_is_registered_again_on_the_same_person_row(engine, admin):
    first = register(engine, admin, 1, start_date=days(-4))
    perform(engine, admin, quarantine.release, first, days(-1))
    second = register(engine, admin, 1, start_date=days(-1), phone="13900000001", mode="monitoring")

    assert second != first
    assert count_rows(engine, "persons") == 1
    with engine.connect() as conn:
        phone = conn.execute(sa.select(quarantine.persons.c.phone)).scalar_one()
        actions = conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars().all()
    assert phone == "13900000001"
    assert "quarantine.person_update" in actions


def test_an_end_date_before_the_start_or_in_the_future_is_refused(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    assert_write_refused(engine, admin, quarantine.release, episode, days(-3), field="end_date")
    assert_write_refused(
        engine, admin, quarantine.transfer_to_hospital, episode, TODAY + timedelta(days=1), "发热", field="end_date"
    )


def test_an_episode_that_has_ended_cannot_be_released_again(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    perform(engine, admin, quarantine.release, episode, D)
    assert_write_refused(engine, admin, quarantine.release, episode, days(1), field="episode")
    assert_write_refused(engine, admin, quarantine.release, 9999, D, field="episode")


def test_ending_for_another_reason_requires_a_reason(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    assert_write_refused(engine, admin, quarantine.end_other, episode, D, " ", field="reason")


def test_release_many_releases_all_or_nothing(engine, admin):
    good = register(engine, admin, 1, start_date=days(-3))
    late = register(engine, admin, 2, start_date=days(1))

    assert_write_refused(engine, admin, quarantine.release_many, [good, late], D, field="end_date")
    assert perform(engine, admin, quarantine.release_many, [good, late], days(2)) == 2
    assert figures(engine, days(2))["released"] == 2


def test_release_many_reports_its_progress_and_nothing_for_a_refused_batch(engine, admin):
    first, second, third = (register(engine, admin, number, start_date=days(-3)) for number in (1, 2, 3))
    late = register(engine, admin, 4, start_date=days(1))
    reports: list[tuple[int, int]] = []

    assert_write_refused(
        engine, admin, quarantine.release_many, [first, late], D, progress=reports.append, field="end_date"
    )
    assert reports == []
    perform(
        engine,
        admin,
        quarantine.release_many,
        [first, second, third, first],
        D,
        progress=lambda done, total: reports.append((done, total)),
    )
    assert reports == [(1, 3), (2, 3), (3, 3)]


def test_changing_the_planned_end_stays_within_1_to_60_days_and_needs_a_reason(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    change = quarantine.change_planned_end
    assert_write_refused(engine, admin, change, episode, "延长", new_end=days(59), field="new_end")
    assert_write_refused(engine, admin, change, episode, "缩短", new_end=days(-2), field="new_end")
    assert_write_refused(engine, admin, change, episode, "", planned_days=21, field="reason")
    assert_write_refused(engine, admin, change, episode, "不变", planned_days=14, field="new_end")
    assert_write_refused(engine, admin, change, episode, "两者都填", new_end=days(20), planned_days=21, field="new_end")


@pytest.mark.parametrize("temperature", [60, 33.9, "高"])
def test_temperature_outside_34_to_43_is_refused(engine, admin, temperature):
    episode = register(engine, admin, 1, start_date=days(-2))
    assert_write_refused(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episode, "date": D, "slot": "AM", "temperature": temperature, "by": "甲"},
        field="temperature",
    )


def test_a_slot_other_than_am_or_pm_is_refused(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    assert_write_refused(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episode, "date": D, "slot": "noon", "temperature": 36.5, "by": "甲"},
        field="slot",
    )


def test_a_second_followup_for_the_same_slot_is_refused(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    followup(engine, admin, episode, D, "AM")
    assert_write_refused(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": episode, "date": D, "slot": "AM", "temperature": 36.7, "by": "乙"},
        field="slot",
    )


def test_a_followup_outside_the_episode_period_or_in_the_future_is_refused(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    perform(engine, admin, quarantine.release, episode, D)
    for day in (days(-3), D):
        assert_write_refused(
            engine,
            admin,
            quarantine.add_followup,
            {"episode_id": episode, "date": day, "slot": "AM", "temperature": 36.5, "by": "甲"},
            field="date",
        )
    active = register(engine, admin, 2, start_date=days(-2))
    tomorrow = TODAY + timedelta(days=1)
    assert_write_refused(
        engine,
        admin,
        quarantine.add_followup,
        {"episode_id": active, "date": tomorrow, "slot": "AM", "temperature": 36.5, "by": "甲"},
        field="date",
    )


def test_a_days_grid_with_one_bad_row_stores_nothing_and_names_the_row(engine, admin):
    first, second = (register(engine, admin, n, start_date=days(-2)) for n in (1, 2))
    grid = [
        {"episode_id": first, "date": D, "slot": "AM", "temperature": 36.5, "by": "甲"},
        {"episode_id": second, "date": D, "slot": "AM", "temperature": 36.6, "by": "甲"},
        {"episode_id": second, "date": D, "slot": "AM", "temperature": 36.7, "by": "甲"},
        {"episode_id": first, "date": D, "slot": "PM", "temperature": 60, "by": "甲"},
    ]

    error = assert_write_refused(engine, admin, quarantine.add_followups, grid, field="temperature")
    assert [(item.field, item.params["row"]) for item in error.errors] == [("slot", 3), ("temperature", 4)]
    assert len(perform(engine, admin, quarantine.add_followups, grid[:2])) == 2


def test_site_rules_capacity_name_and_occupancy(engine, admin):
    assert_write_refused(engine, admin, quarantine.add_site, {"name": "新隔离点", "capacity": 0}, field="capacity")
    site = add_site(engine, admin, capacity=3)
    assert_write_refused(engine, admin, quarantine.add_site, {"name": "城东隔离点", "capacity": 5}, field="name")
    register(engine, admin, 1, mode="centralized", site=site, start_date=days(-1))
    register(engine, admin, 2, mode="centralized", site=site, start_date=days(-1))
    assert_write_refused(engine, admin, quarantine.set_site_capacity, site, 1, field="capacity")
    other = add_site(engine, admin, "城西隔离点")
    assert_write_refused(engine, admin, quarantine.rename_site, other, "城东隔离点", field="name")

    perform(engine, admin, quarantine.set_site_capacity, site, 2)
    perform(engine, admin, quarantine.rename_site, site, "城东一号隔离点")
    with engine.connect() as conn:
        sites = {row["name"]: row["capacity"] for row in quarantine.list_sites(conn)}
    assert sites == {"城东一号隔离点": 2, "城西隔离点": 10}


# --- changes and corrections keep their history ----------------------------------------------------------------


def test_extending_keeps_the_history_and_moves_the_episode_out_of_the_due_list(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-12), planned_days=14)
    assert figures(engine)["due_next_3_days"] == 1
    audited = audit_rows(engine)

    perform(engine, admin, quarantine.change_planned_end, episode, "密接复核，延长观察", planned_days=21)

    assert figures(engine)["due_next_3_days"] == 0
    assert audit_rows(engine) == audited + 2
    with engine.connect() as conn:
        history = quarantine.episode_history(conn, episode)
    assert [(row["kind"], row["old_planned_end"], row["new_planned_end"], row["reason"]) for row in history] == [
        ("extend", days(2), days(9), "密接复核，延长观察")
    ]


def test_release_and_transfer_are_recorded_as_history_rows(engine, admin):
    released, transferred = (register(engine, admin, n, start_date=days(-3)) for n in (1, 2))
    perform(engine, admin, quarantine.release, released, D)
    perform(engine, admin, quarantine.transfer_to_hospital, transferred, days(-1), "发热转定点医院")

    with engine.connect() as conn:
        history = conn.execute(
            sa.select(
                quarantine.episode_changes.c.kind,
                quarantine.episode_changes.c.old_status,
                quarantine.episode_changes.c.new_status,
                quarantine.episode_changes.c.end_date,
            ).order_by(quarantine.episode_changes.c.id)
        ).all()
    assert [tuple(row) for row in history] == [
        ("release", "active", "released", D),
        ("transfer", "active", "transferred", days(-1)),
    ]


def test_a_correction_supersedes_the_followup_and_keeps_the_old_row(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    wrong = followup(engine, admin, episode, D, "AM", 38.2)
    assert figures(engine)["fever_in_quarantine"] == 1

    fixed = perform(engine, admin, quarantine.correct_followup, wrong, {"temperature": 36.4}, "体温枪读数有误")

    assert figures(engine)["fever_in_quarantine"] == 0
    assert count_rows(engine, "quarantine_followups") == 2
    correct = quarantine.correct_followup
    assert_write_refused(engine, admin, correct, wrong, {"temperature": 36.5}, "再改", field="followup")
    assert_write_refused(engine, admin, correct, fixed, {"temperature": 36.5}, "", field="reason")
    with engine.connect() as conn:
        rows = [
            dict(row)
            for row in conn.execute(
                sa.select(quarantine.quarantine_followups).order_by(quarantine.quarantine_followups.c.id)
            ).mappings()
        ]
    assert rows[0]["temperature"] == 38.2
    assert (rows[1]["supersedes_id"], rows[1]["temperature"], rows[1]["slot"]) == (wrong, 36.4, "AM")


def test_a_grid_of_corrections_stores_one_superseding_row_each_with_its_audit_row(engine, admin):
    episodes = [register(engine, admin, n, start_date=days(-2)) for n in (1, 2, 3)]
    wrong = [followup(engine, admin, episode, D, "AM", 38.2) for episode in episodes]
    audited = audit_rows(engine)

    stored = perform(
        engine,
        admin,
        quarantine.save_followup_grid,
        [],
        [(reading, {"temperature": 36.4}) for reading in wrong],
        "体温枪读数有误",
    )

    assert stored == 3
    assert figures(engine)["fever_in_quarantine"] == 0
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(quarantine.quarantine_followups.c.supersedes_id, quarantine.quarantine_followups.c.reason).where(
                quarantine.quarantine_followups.c.supersedes_id.is_not(None)
            )
        ).all()
    assert sorted(rows) == [(reading, "体温枪读数有误") for reading in wrong]
    assert audit_rows(engine) == audited + 3


def test_a_grid_correcting_one_reading_twice_is_refused_whole(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    other = register(engine, admin, 2, start_date=days(-2))
    wrong = followup(engine, admin, episode, D, "AM", 38.2)
    fine = followup(engine, admin, other, D, "AM", 36.5)

    twice = [(fine, {"temperature": 36.6}), (wrong, {"temperature": 36.4}), (wrong, {"temperature": 36.3})]
    assert_write_refused(engine, admin, quarantine.save_followup_grid, [], twice, "录错", field="followup")


def test_corrections_in_a_grid_are_checked_as_if_each_earlier_one_were_stored(engine, admin):
    episode = register(engine, admin, 1, start_date=days(-2))
    morning = followup(engine, admin, episode, D, "AM", 36.5)
    afternoon = followup(engine, admin, episode, D, "PM", 36.6)
    to_yesterday = (afternoon, {"date": days(-1)})
    to_afternoon = (morning, {"slot": "PM"})

    assert_write_refused(
        engine, admin, quarantine.save_followup_grid, [], [to_afternoon, to_yesterday], "日期录错", field="slot"
    )
    stored = perform(engine, admin, quarantine.save_followup_grid, [], [to_yesterday, to_afternoon], "日期录错")

    assert stored == 2
    with engine.connect() as conn:
        followups = quarantine.quarantine_followups
        effective = conn.execute(sa.select(followups.c.date, followups.c.slot).where(followups.c.id > afternoon)).all()
    assert sorted(effective) == [(days(-1), "PM"), (D, "PM")]


# --- roles -------------------------------------------------------------------------------------------------------


def test_leader_and_wall_may_not_write(engine, admin, leader):
    site = add_site(engine, admin)
    episode = register(engine, admin, 1, start_date=days(-2))
    for actor in (leader, Actor("wall-test", "wall")):
        before = snapshot(engine)
        with pytest.raises(PermissionDenied):
            perform(engine, actor, quarantine.register, person(2))
        with pytest.raises(PermissionDenied):
            perform(
                engine,
                actor,
                quarantine.add_followup,
                {"episode_id": episode, "date": D, "slot": "AM", "temperature": 36.5, "by": "甲"},
            )
        with pytest.raises(PermissionDenied):
            perform(engine, actor, quarantine.release, episode, D)
        with pytest.raises(PermissionDenied):
            perform(engine, actor, quarantine.set_site_capacity, site, 20)
        assert snapshot(engine) == before


def test_a_site_clerk_writes_only_for_their_site(engine, admin):
    mine, other = add_site(engine, admin), add_site(engine, admin, "城西隔离点")
    clerk = Actor("clerk-test", "clerk", (("quarantine", frozenset({mine})),))
    elsewhere = register(engine, admin, 1, mode="centralized", site=other, start_date=days(-2))

    here = perform(engine, clerk, quarantine.register, person(2, mode="centralized", site=mine, start_date=days(-2)))
    followup(engine, clerk, here, D)
    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        perform(engine, clerk, quarantine.register, person(3, mode="centralized", site=other))
    with pytest.raises(PermissionDenied):
        followup(engine, clerk, elsewhere, D)
    with pytest.raises(PermissionDenied):
        perform(engine, clerk, quarantine.release, elsewhere, D)
    with pytest.raises(PermissionDenied):
        perform(engine, clerk, quarantine.add_site, {"name": "新隔离点", "capacity": 5})
    with pytest.raises(PermissionDenied):
        perform(engine, Actor("gate-clerk", "clerk", (("checkpoints", frozenset()),)), quarantine.register, person(4))
    assert snapshot(engine) == before


def test_people_at_no_site_are_written_for_only_by_clerks_of_the_whole_domain(engine, admin):
    site = add_site(engine, admin)
    site_clerk = Actor("site-clerk", "clerk", (("quarantine", frozenset({site})),))
    domain_clerk = Actor("domain-clerk", "clerk", (("quarantine", frozenset()),))
    at_home = register(engine, admin, 1, mode="home", start_date=days(-2))
    monitored = register(engine, admin, 2, mode="monitoring", start_date=days(-2))

    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        perform(engine, site_clerk, quarantine.register, person(3, mode="home"))
    with pytest.raises(PermissionDenied):
        followup(engine, site_clerk, at_home, D)
    with pytest.raises(PermissionDenied):
        perform(
            engine,
            site_clerk,
            quarantine.add_followups_batch,
            [{"id_number": id_number(2), "date": D, "slot": "AM", "temperature": 36.5, "by": "甲"}],
        )
    with pytest.raises(PermissionDenied):
        perform(engine, site_clerk, quarantine.release, monitored, D)
    with pytest.raises(PermissionDenied):
        perform(engine, site_clerk, quarantine.change_planned_end, at_home, "复核", planned_days=21)
    assert snapshot(engine) == before

    followup(engine, domain_clerk, at_home, D)
    perform(engine, domain_clerk, quarantine.release, monitored, D)
    assert perform(engine, domain_clerk, quarantine.register, person(3, mode="home"))


# --- import and export -------------------------------------------------------------------------------------------

SITE_ROWS = [["城东隔离点", "城东路1号", 10]]
EPISODE_ROWS = [
    [
        "张示例",
        id_number(1),
        "13800000001",
        "第一网格",
        "甲市",
        "high_risk_area",
        "centralized",
        "城东隔离点",
        days(-20).isoformat(),
        14,
        "released",
        days(-6).isoformat(),
    ],
    [
        "张示例",
        id_number(1),
        "13800000001",
        "第一网格",
        "甲市",
        "close_contact",
        "home",
        "",
        days(-3).isoformat(),
        "",
        "active",
        "",
    ],
    [
        "李示例",
        id_number(2),
        "13800000002",
        "第二网格",
        "乙市",
        "in_province_other_city",
        "monitoring",
        "",
        days(-2).isoformat(),
        7,
        "active",
        "",
    ],
]
FOLLOWUP_ROWS = [
    [id_number(1), D.isoformat(), "AM", 36.6, 0, "王网格员"],
    [id_number(1), D.isoformat(), "PM", 37.8, 1, "王网格员"],
    [id_number(2), D.isoformat(), "AM", 36.4, 0, "赵网格员"],
]
CHINESE_CODES = {
    "high_risk_area": "中高风险地区来人",
    "close_contact": "密切接触者",
    "in_province_other_city": "省内外市来人",
    "centralized": "集中隔离",
    "home": "居家隔离",
    "monitoring": "居家健康监测",
    "released": "已解除",
    "active": "隔离中",
    "AM": "上午",
    "PM": "下午",
}


def write_csv(path, header, rows) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])


def write_xlsx(path, header, rows) -> None:
    workbook = Workbook()
    for row in [header, *rows]:
        workbook.active.append(row)
    workbook.save(path)


def headers(kind: str, chinese: bool) -> list[str]:
    return [column.chinese if chinese else column.name for column in transfer.transfer_kind(kind).columns][
        : {"sites": 3, "quarantine": 12, "followups": 6}[kind]
    ]


def import_all(engine, admin, tmp_path, writer, suffix: str, *, chinese: bool) -> None:
    def shown(cell):
        return CHINESE_CODES.get(cell, cell) if chinese else cell

    for kind, rows in (("sites", SITE_ROWS), ("quarantine", EPISODE_ROWS), ("followups", FOLLOWUP_ROWS)):
        path = tmp_path / f"{kind}{suffix}"
        writer(path, headers(kind, chinese), [[shown(cell) for cell in row] for row in rows])
        assert transfer.import_file(engine, admin, kind, path) == len(rows)


def assert_imported(engine) -> None:
    current = figures(engine)
    assert current["current"] == {"centralized": 0, "home": 1, "monitoring": 1, "total": 2}
    assert current["fever_in_quarantine"] == 1
    assert current["followups_missing"] == 1
    assert figures(engine, days(-6))["released"] == 1


def test_import_csv_with_english_headers(engine, admin, tmp_path):
    import_all(engine, admin, tmp_path, write_csv, ".csv", chinese=False)
    assert_imported(engine)


def test_import_xlsx_with_chinese_headers_and_labels(engine, admin, tmp_path):
    import_all(engine, admin, tmp_path, write_xlsx, ".xlsx", chinese=True)
    assert_imported(engine)


def test_import_csv_with_chinese_headers_and_xlsx_with_english_headers(engine, admin, tmp_path):
    import_all(engine, admin, tmp_path, write_csv, ".csv", chinese=True)
    assert_imported(engine)
    path = tmp_path / "more-sites.xlsx"
    write_xlsx(path, headers("sites", False), [["城西隔离点", "城西路2号", 8]])
    assert transfer.import_file(engine, admin, "sites", path) == 1


def test_a_file_with_one_bad_row_writes_nothing_and_lists_the_row_and_column(engine, admin, tmp_path):
    import_all(engine, admin, tmp_path, write_csv, ".csv", chinese=False)
    before = snapshot(engine)
    bad = [
        *FOLLOWUP_ROWS[:1],
        [id_number(2), D.isoformat(), "PM", 60, 0, "赵网格员"],
        [id_number(3), D.isoformat(), "AM", 36.5, 0, "赵网格员"],
    ]
    bad[0] = [id_number(1), days(-1).isoformat(), "AM", 36.6, 0, "王网格员"]
    path = tmp_path / "bad.csv"
    write_csv(path, headers("followups", False), bad)

    with pytest.raises(ImportRejected) as rejected:
        transfer.import_file(engine, admin, "followups", path)

    assert [(error.row, error.column) for error in rejected.value.row_errors] == [(3, "temperature"), (4, "id_number")]
    assert "第 3 行" in rejected.value.messages("zh_CN")[0]
    assert snapshot(engine) == before


def test_export_then_import_gives_the_same_rows_with_full_numbers(engine, admin, tmp_path, database_factory):
    import_all(engine, admin, tmp_path, write_csv, ".csv", chinese=False)
    episode = register(engine, admin, 5, start_date=days(-4), reason="密接")
    perform(engine, admin, quarantine.change_planned_end, episode, "延长", planned_days=20)
    ended = register(engine, admin, 6, start_date=days(-4))
    perform(engine, admin, quarantine.end_other, ended, days(-1), "迁出本辖区")
    fixed = followup(engine, admin, episode, D, "AM", 38.0)
    perform(engine, admin, quarantine.correct_followup, fixed, {"temperature": 36.9}, "复测")
    copy = connect(database_factory.fresh_url())
    try:
        for kind, suffix in (("sites", ".xlsx"), ("quarantine", ".csv"), ("followups", ".xlsx")):
            path = tmp_path / f"export-{kind}{suffix}"
            transfer.export_file(engine, kind, path)
            transfer.import_file(copy, admin, kind, path)
            assert exported_rows(copy, kind) == exported_rows(engine, kind)
        assert id_number(1) in (tmp_path / "export-quarantine.csv").read_text(encoding="utf-8-sig")
        assert figures(copy) == figures(engine)
    finally:
        copy.dispose()


def exported_rows(engine, kind: str) -> list[list]:
    columns = transfer.transfer_kind(kind).columns
    with engine.connect() as conn:
        return [[row.get(column.name) for column in columns] for row in transfer.transfer_kind(kind).read_rows(conn)]


# --- sample ------------------------------------------------------------------------------------------------------


def test_sample_generator_builds_the_promised_scenario(engine, admin):
    community = Community(random.Random(20200123), TODAY, 30)
    perform(engine, admin, sample_quarantine.generate, community)

    with engine.connect() as conn:
        today = quarantine.figures(conn, TODAY)
        modes = dict(
            conn.execute(
                sa.select(quarantine.quarantine_episodes.c.mode, sa.func.count()).group_by(
                    quarantine.quarantine_episodes.c.mode
                )
            ).all()
        )
        statuses = dict(
            conn.execute(
                sa.select(quarantine.quarantine_episodes.c.status, sa.func.count()).group_by(
                    quarantine.quarantine_episodes.c.status
                )
            ).all()
        )
        past_fevers = sum(
            quarantine.figures(conn, TODAY - timedelta(days=offset))["fever_in_quarantine"] for offset in range(1, 30)
        )
        occupancy = [
            row for offset in range(30) for row in quarantine.site_occupancy(conn, TODAY - timedelta(days=offset))
        ]
        past_missing = quarantine.figures(conn, TODAY - timedelta(days=1))["followups_missing"]
    episodes = sum(modes.values())
    assert 200 <= episodes <= 400
    assert 0.05 <= modes["centralized"] / episodes <= 0.10
    assert modes["home"] > 0.3 * episodes and modes["monitoring"] > 0.3 * episodes
    assert statuses["released"] > 0.8 * episodes and statuses["transferred"] >= 1
    assert 1 <= today["due_next_3_days"] <= 10
    assert today["overdue"] == 2
    assert today["followups_missing"] >= 1 and past_missing == 0
    assert today["fever_in_quarantine"] >= 1 and past_fevers >= 3
    assert all(row["occupied"] <= row["capacity"] for row in occupancy)
    assert len({row["name"] for row in occupancy}) == 2
