"""The follow-up round of quick entry in the data layer: the round proposed for the time of day, the places a
clerk follows up (their sites; the grids of people at no site only for a clerk of the whole domain), a place's
people with those still to follow up first, and a round stored in one transaction whose refusal names the person."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from data_layer import clock, quarantine
from data_layer.db import Actor, perform
from data_layer.errors import PermissionDenied
from data_layer.quarantine import Place
from support import assert_write_refused, audit_rows, count_rows, register_person, snapshot

TODAY = clock.today()
START = TODAY - timedelta(days=2)


@pytest.mark.parametrize(
    ("clock_time", "slot"),
    [(time(0, 30), "AM"), (time(10, 59), "AM"), (time(11), "PM"), (time(16, 59), "PM"), (time(23, 30), "PM")],
)
def test_the_round_proposed_is_the_next_one_due_and_the_last_one_after_its_due_time(clock_time, slot):
    assert quarantine.proposed_slot(datetime.combine(TODAY, clock_time)) == slot


@pytest.fixture
def places(engine, admin) -> dict[str, int]:
    """Two sites with two and one people, and three people at home in two grids."""
    sites = {
        name: perform(engine, admin, quarantine.add_site, {"name": name, "capacity": 10}) for name in ("东点", "西点")
    }
    people = {
        "东1": register_person(engine, admin, 1, START, mode="centralized", site=sites["东点"], name="东甲"),
        "东2": register_person(engine, admin, 2, START, mode="centralized", site=sites["东点"], name="东乙"),
        "西1": register_person(engine, admin, 3, START, mode="centralized", site=sites["西点"], name="西甲"),
        "家1": register_person(engine, admin, 4, START, grid="第一网格", name="家甲"),
        "家2": register_person(engine, admin, 5, START, grid="第一网格", name="家乙"),
        "家3": register_person(engine, admin, 6, START, mode="monitoring", grid="第二网格", name="家丙"),
    }
    return {**sites, **people}


def reading(episode_id: int, temperature: object, slot: str = "AM", **fields: object) -> dict[str, object]:
    return {"episode_id": episode_id, "date": TODAY, "slot": slot, "temperature": temperature, "by": "网格员", **fields}


def places_of(engine, actor: Actor) -> list[tuple]:
    with engine.connect() as conn:
        return [
            (row["name"] or row["place"].grid, row["people"], row["pending"])
            for row in quarantine.round_places(conn, TODAY, actor)
        ]


def test_a_clerk_of_the_whole_domain_follows_up_every_site_and_the_grids_of_people_at_no_site(engine, admin, places):
    perform(engine, admin, quarantine.add_followups, [reading(places["东1"], 36.5), reading(places["家3"], 36.4, "PM")])
    whole = Actor("whole", "clerk", (("quarantine", frozenset()),))
    expected = [
        ("东点", 2, {"AM": 1, "PM": 2}),
        ("西点", 1, {"AM": 1, "PM": 1}),
        ("第一网格", 2, {"AM": 2, "PM": 2}),
        ("第二网格", 1, {"AM": 1, "PM": 0}),
    ]
    assert places_of(engine, whole) == expected
    assert places_of(engine, admin) == expected


def test_a_site_clerk_follows_up_only_their_sites_and_nobody_at_home(engine, places):
    site_clerk = Actor("west", "clerk", (("quarantine", frozenset({places["西点"]})),))
    checkpoint_clerk = Actor("gate", "clerk", (("checkpoints", frozenset()),))
    assert places_of(engine, site_clerk) == [("西点", 1, {"AM": 1, "PM": 1})]
    assert places_of(engine, checkpoint_clerk) == []
    with engine.connect() as conn:
        assert quarantine.followup_round(conn, TODAY, "AM", Place(None, "第一网格"), site_clerk) == []
        assert quarantine.followup_round(conn, TODAY, "AM", Place(places["东点"], None), site_clerk) == []


def test_a_round_lists_the_people_not_yet_followed_up_first_with_numbers_masked(engine, admin, places):
    first = perform(engine, admin, quarantine.add_followup, reading(places["东1"], 36.5))
    clerk = Actor("whole", "clerk", (("quarantine", frozenset()),))
    with engine.connect() as conn:
        morning = quarantine.followup_round(conn, TODAY, "AM", Place(places["东点"], None), clerk)
        evening = quarantine.followup_round(conn, TODAY, "PM", Place(places["东点"], None), clerk)
        at_home = quarantine.followup_round(conn, TODAY, "AM", Place(None, "第一网格"), clerk)
    assert [(row["name"], row["reading"]) for row in morning] == [
        ("东乙", None),
        ("东甲", {"id": first, "temperature": 36.5, "symptoms": False}),
    ]
    assert {row["name"] for row in evening} == {"东甲", "东乙"} and not [row for row in evening if row["reading"]]
    assert {row["name"] for row in at_home} == {"家甲", "家乙"}
    assert all("*" in row["phone"] for row in morning + at_home)


def test_a_round_is_stored_in_one_transaction_with_an_audit_row_per_reading(engine, admin, places):
    audited = audit_rows(engine)
    rows = [reading(places["东1"], 36.5), reading(places["东2"], 37.8, symptoms=True)]
    assert perform(engine, admin, quarantine.save_followup_grid, rows, []) == 2
    assert audit_rows(engine) == audited + 2
    assert count_rows(engine, "quarantine_followups") == count_rows(engine, "quarantine_followup_days") == 2


@pytest.mark.parametrize("temperature", [45.2, "三十六"])
def test_a_bad_temperature_refuses_the_whole_round_naming_the_person(engine, admin, places, temperature):
    rows = [reading(places["东1"], 36.5), reading(places["东2"], temperature)]
    refusal = assert_write_refused(engine, admin, quarantine.save_followup_grid, rows, [], field="temperature")
    assert [(error.subject, error.params["row"]) for error in refusal.errors] == [("东乙", 2)]
    assert refusal.messages("zh_CN")[0].startswith("东乙 · 体温（℃）：")
    assert refusal.messages("en")[0].startswith("东乙 · ")


def test_a_single_followup_refusal_names_only_the_field(engine, admin, places):
    refusal = assert_write_refused(
        engine, admin, quarantine.add_followup, reading(places["东1"], 50), field="temperature"
    )
    assert refusal.messages("zh_CN")[0].startswith("体温（℃）：")


def test_a_site_clerk_cannot_store_a_round_for_another_site(engine, places):
    west_clerk = Actor("west", "clerk", (("quarantine", frozenset({places["西点"]})),))
    before = snapshot(engine)
    with pytest.raises(PermissionDenied):
        perform(engine, west_clerk, quarantine.save_followup_grid, [reading(places["东1"], 36.5)], [])
    assert snapshot(engine) == before


def test_a_refused_correction_in_a_round_names_the_person_and_stores_nothing(engine, admin, places):
    first = perform(engine, admin, quarantine.add_followup, reading(places["东2"], 36.5))
    refusal = assert_write_refused(
        engine, admin, quarantine.save_followup_grid, [], [(first, {"temperature": 36.9})], None, field="reason"
    )
    assert refusal.messages("zh_CN")[0].startswith("东乙 · ")
    single = assert_write_refused(
        engine, admin, quarantine.correct_followup, first, {"temperature": 36.9}, None, field="reason"
    )
    assert not single.messages("zh_CN")[0].startswith("东乙")
