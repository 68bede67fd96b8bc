"""Freshness per unit: a checkpoint silent for longer than ``COMMAND_POST_SILENT_HOURS``, a quarantine site whose
follow-up round is past due for someone in it, and a store whose ledger is silent that long into its day while
stock is moving, are alerts on the wall, in the briefing's actions and in pushes, judged on a frozen clock at the
time of the figures; a day that is over has no such alert."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from data_layer import checkpoints, clock, quarantine, situation, supplies
from data_layer.db import Actor, perform
from data_layer.notify import alert_rules
from support import id_number, open_page

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


def silence_lines(engine, day: date | None = None, key: str = "situation.alert.unit_silent") -> list[str]:
    with engine.connect() as conn:
        return [
            situation.alert_text(alert, "zh_CN")
            for alert in situation.alerts(conn, day or DAY.date())
            if alert.key == key
        ]


SITE_SILENT, STORE_SILENT = "situation.alert.site_silent", "situation.alert.store_silent"
EAST_SITE, WEST_SITE, EMPTY_SITE = "城东隔离点", "城西隔离点", "城北隔离点"


def admit(engine, n: int, site: str, start: date) -> int:
    return perform(
        engine,
        ADMIN,
        quarantine.register,
        {
            "name": f"测试{n}",
            "id_number": id_number(n),
            "phone": f"1380000{n:04d}",
            "grid": "第一网格",
            "origin_category": "other_province",
            "mode": "centralized",
            "site": site,
            "start_date": start,
        },
    )


def follow_up(engine, frozen: FrozenClock, episode: int, slot: str, at: datetime) -> None:
    frozen.moment = at
    perform(
        engine,
        ADMIN,
        quarantine.add_followup,
        {"episode_id": episode, "date": at.date(), "slot": slot, "temperature": 36.5, "by": "医护甲"},
    )


@pytest.fixture
def sites(engine, frozen) -> dict[str, int]:
    """Two people at the east site since the day before, one at the west site, none at the north site; by 10:30
    the east site has taken the morning round for one of its two, the west site for its one."""
    for name in (EAST_SITE, WEST_SITE, EMPTY_SITE):
        perform(engine, ADMIN, quarantine.add_site, {"name": name, "address": "城东路1号", "capacity": 10})
    frozen.moment = DAY.replace(hour=6)
    before = DAY.date() - timedelta(days=1)
    episodes = {"east-1": admit(engine, 1, EAST_SITE, before), "east-2": admit(engine, 2, EAST_SITE, before)}
    episodes["west"] = admit(engine, 3, WEST_SITE, before)
    follow_up(engine, frozen, episodes["east-1"], "AM", DAY.replace(hour=9, minute=40))
    follow_up(engine, frozen, episodes["west"], "AM", DAY.replace(hour=10, minute=30))
    return episodes


def test_a_site_missing_a_due_round_for_anyone_in_it_is_silent_and_an_empty_site_never(engine, sites, frozen):
    frozen.moment = DAY.replace(hour=10, minute=59)
    assert silence_lines(engine, key=SITE_SILENT) == []
    frozen.moment = DAY.replace(hour=11)
    assert silence_lines(engine, key=SITE_SILENT) == ["1 个隔离点 11 时前应报的随访未报齐：城东隔离点"]
    follow_up(engine, frozen, sites["east-2"], "AM", DAY.replace(hour=11, minute=20))
    assert silence_lines(engine, key=SITE_SILENT) == []


def test_the_afternoon_round_makes_sites_silent_again_the_longest_silent_first(engine, sites, frozen):
    follow_up(engine, frozen, sites["east-2"], "AM", DAY.replace(hour=11, minute=20))
    frozen.moment = DAY.replace(hour=17, minute=5)
    assert silence_lines(engine, key=SITE_SILENT) == ["2 个隔离点 17 时前应报的随访未报齐：城西隔离点、城东隔离点"]
    with engine.connect() as conn:
        silent = quarantine.silent_sites(conn, frozen.moment)
    assert [(row["name"], row["missing"], row["last_entry_at"]) for row in silent] == [
        (WEST_SITE, 1, DAY.replace(hour=10, minute=30)),
        (EAST_SITE, 2, DAY.replace(hour=11, minute=20)),
    ]


def test_people_admitted_on_the_day_are_not_expected_in_its_rounds(engine, frozen):
    perform(engine, ADMIN, quarantine.add_site, {"name": EAST_SITE, "address": "城东路1号", "capacity": 10})
    admit(engine, 1, EAST_SITE, DAY.date())
    frozen.moment = DAY.replace(hour=18)
    assert silence_lines(engine, key=SITE_SILENT) == []
    frozen.moment = DAY.replace(day=DAY.day + 1, hour=11)
    assert silence_lines(engine, frozen.moment.date(), key=SITE_SILENT) == [
        "1 个隔离点 11 时前应报的随访未报齐：城东隔离点"
    ]


def test_each_site_gives_the_time_of_its_last_follow_up_of_the_day(engine, sites, frozen):
    with engine.connect() as conn:
        occupancy = {row["name"]: row["last_entry_at"] for row in quarantine.site_occupancy(conn, DAY.date())}
    assert occupancy == {
        EAST_SITE: DAY.replace(hour=9, minute=40),
        WEST_SITE: DAY.replace(hour=10, minute=30),
        EMPTY_SITE: None,
    }


@pytest.fixture
def store(engine, frozen) -> None:
    """Masks received and issued two days before; the store's last entry is the issue at 18:00 that day."""
    perform(engine, ADMIN, supplies.add_item, {"name": "口罩", "unit": "个", "category": "防护用品", "safety_stock": 0})
    before = DAY - timedelta(days=2)
    for kind, hour in (("purchase", 9), ("issue", 18)):
        frozen.moment = before.replace(hour=hour)
        perform(
            engine,
            ADMIN,
            supplies.add_movement,
            {
                "item": "口罩",
                "date": before.date(),
                "kind": kind,
                "quantity": 100 if kind == "purchase" else 10,
                "counterparty": "城东仓",
            },
        )


def test_the_store_is_silent_once_its_day_has_gone_the_interval_without_an_entry_while_stock_moves(
    engine, store, frozen
):
    frozen.moment = DAY.replace(hour=10, minute=59)
    assert silence_lines(engine, key=STORE_SILENT) == []
    frozen.moment = DAY.replace(hour=11, minute=1)
    assert silence_lines(engine, key=STORE_SILENT) == ["物资仓库超过 3 小时未录入出入库"]
    with engine.connect() as conn:
        assert supplies.last_entry_at(conn, frozen.moment) == (DAY - timedelta(days=2)).replace(hour=18)


def test_a_store_entry_within_the_interval_keeps_it_from_being_silent(engine, store, frozen):
    frozen.moment = DAY.replace(hour=9)
    perform(
        engine,
        ADMIN,
        supplies.add_movement,
        {"item": "口罩", "date": DAY.date(), "kind": "issue", "quantity": 5, "counterparty": "东门卡口"},
    )
    frozen.moment = DAY.replace(hour=11, minute=59)
    assert silence_lines(engine, key=STORE_SILENT) == []
    frozen.moment = DAY.replace(hour=12, minute=1)
    assert silence_lines(engine, key=STORE_SILENT) == ["物资仓库超过 3 小时未录入出入库"]


def test_a_store_whose_stock_has_not_moved_for_a_week_is_not_silent(engine, store, frozen):
    frozen.moment = DAY.replace(hour=20)
    assert silence_lines(engine, key=STORE_SILENT) == ["物资仓库超过 3 小时未录入出入库"]
    frozen.moment = DAY.replace(day=DAY.day + 6, hour=20)
    assert silence_lines(engine, frozen.moment.date(), key=STORE_SILENT) == []


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


def test_the_silence_of_sites_and_of_the_store_are_push_rules_of_their_own():
    assert {"site_silent", "store_silent"} <= set(alert_rules())


def test_no_silence_of_sites_or_the_store_once_the_day_is_over(engine, sites, store, frozen):
    frozen.moment = DAY.replace(hour=17, minute=5)
    assert len(silence_lines(engine, key=SITE_SILENT) + silence_lines(engine, key=STORE_SILENT)) == 2
    frozen.moment = DAY.replace(day=11, hour=13)
    assert silence_lines(engine, DAY.date(), key=SITE_SILENT) == []
    assert silence_lines(engine, DAY.date(), key=STORE_SILENT) == []


def test_the_wall_raises_the_silence_alert_as_time_passes_without_any_new_entry(monkeypatch, db_url, reports, frozen):
    frozen.moment = DAY.replace(hour=11, minute=59)
    app = open_page(monkeypatch, db_url, Actor("wall", "wall"), "pages/overview.py")
    assert not any("东门卡口" in element.proto.body for element in app.get("html"))
    frozen.moment = DAY.replace(hour=13, minute=30)
    app.run()
    assert any("2 个卡口超过 3 小时未报数：北门卡口、东门卡口" in element.proto.body for element in app.get("html"))


def test_the_quarantine_page_gives_each_site_the_time_of_its_last_follow_up(monkeypatch, db_url, sites, frozen):
    frozen.moment = DAY.replace(hour=12)
    app = open_page(monkeypatch, db_url, Actor("leader", "leader"), "pages/quarantine.py")
    occupancy = next(frame.value for frame in app.dataframe if "最近录入" in frame.value.columns)
    assert dict(zip(occupancy.iloc[:, 0], occupancy["最近录入"], strict=True)) == {
        EAST_SITE: "2026-03-10 09:40",
        WEST_SITE: "2026-03-10 10:30",
        EMPTY_SITE: "—",
    }


def test_the_supplies_page_gives_the_store_s_last_entry(monkeypatch, db_url, store, frozen):
    frozen.moment = DAY.replace(hour=12)
    app = open_page(monkeypatch, db_url, Actor("leader", "leader"), "pages/supplies.py")
    assert any(caption.value == "仓库最近录入：2026/3/8 18:00" for caption in app.caption)


def test_the_wall_raises_the_silence_of_a_site_and_of_the_store(monkeypatch, db_url, sites, store, frozen):
    frozen.moment = DAY.replace(hour=11, minute=30)
    app = open_page(monkeypatch, db_url, Actor("wall", "wall"), "pages/overview.py")
    body = " ".join(element.proto.body for element in app.get("html"))
    assert "1 个隔离点 11 时前应报的随访未报齐：城东隔离点" in body and "物资仓库超过 3 小时未录入出入库" in body
