"""Every derived per-day table listed in :data:`data_layer.derived.DERIVED_TABLES` equals its rebuild from the
ledger after every kind of write that touches the ledger: a single entry, a correction or reversal, a batch or
grid, an import file and a status change or release. The table is read, rebuilt in the same connection and read
again; the rebuild is rolled back. A table added to the list is checked after every write below without a new
test; each is named ``update_<table>`` / ``rebuild_<table>`` in its domain's module."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from data_layer import checkpoints as cp
from data_layer import clock
from data_layer import enterprises as en
from data_layer import quarantine as qu
from data_layer import supplies as su
from data_layer.db import Actor, perform
from data_layer.derived import DERIVED_TABLES
from data_layer.transfer import import_file
from support import differences_from_rebuild, id_number

TODAY = clock.today()


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def shift(days_ago: int, hour: int, hours: int = 8) -> dict[str, datetime]:
    start = datetime.combine(ago(days_ago), time(hour))
    return {"period_start": start, "period_end": start + timedelta(hours=hours)}


@dataclass
class Ledgers:
    """The ids of the rows every ledger holds before the write under test."""

    count: int
    moved_count: int
    receipt: int
    enterprise: int
    rectification: int
    episode: int
    followup: int


def fill_every_ledger(engine, admin: Actor) -> Ledgers:
    """Master data and a few rows in every ledger, each stored through its write function."""
    perform(engine, admin, cp.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    counts = {"persons": 90, "vehicles": 30, "fever": 1, "turned_back": 2}
    count = perform(engine, admin, cp.add_count, {"checkpoint": "东门", **shift(4, 8), **counts})
    moved_count = perform(engine, admin, cp.add_count, {"checkpoint": "东门", **shift(3, 8), **counts})
    perform(engine, admin, su.add_item, {"name": "口罩", "unit": "个", "safety_stock": 100})
    perform(
        engine,
        admin,
        su.add_movement,
        {"item": "口罩", "date": ago(6), "kind": "purchase", "quantity": 500, "counterparty": "某公司"},
    )
    receipt = perform(
        engine,
        admin,
        su.add_movement,
        {"item": "口罩", "date": ago(3), "kind": "donation", "quantity": 80, "counterparty": "某单位"},
    )
    perform(
        engine,
        admin,
        su.add_movement,
        {"item": "口罩", "date": ago(2), "kind": "issue", "quantity": 40, "counterparty": "东门"},
    )
    enterprise = perform(
        engine,
        admin,
        en.add_enterprise,
        {
            "name": "甲面馆",
            "kind": "shop",
            "sector": "餐饮",
            "grid": "第一网格",
            "employees": 3,
            "status": "not_reopened",
            "status_date": ago(8),
            "reason": "ppe_short",
        },
    )
    inspection = perform(
        engine, admin, en.add_inspection, enterprise, ago(5), "督查组", [{"item": "消毒记录不全", "deadline": ago(3)}]
    )
    with engine.connect() as conn:
        rectification = en.inspection_items(conn, inspection)[0]["id"]
    episode = perform(
        engine,
        admin,
        qu.register,
        {
            "name": "测试一",
            "id_number": id_number(1),
            "phone": "13800000001",
            "grid": "第一网格",
            "address": "示例小区1栋",
            "origin": "外省示例市",
            "origin_category": "other_province",
            "mode": "home",
            "start_date": ago(6),
        },
    )
    followup = perform(
        engine,
        admin,
        qu.add_followup,
        {"episode_id": episode, "date": ago(4), "slot": "AM", "temperature": 36.5, "by": "网格员甲"},
    )
    return Ledgers(count, moved_count, receipt, enterprise, rectification, episode, followup)


def imported(engine, admin: Actor, folder: Path, kind: str, text: str) -> None:
    path = folder / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    import_file(engine, admin, kind, path)


# --- the kinds of write, one per ledger path ---------------------------------------------------------------------


def add_count(engine, admin, ledgers, folder) -> None:
    perform(
        engine,
        admin,
        cp.add_count,
        {"checkpoint": "东门", **shift(5, 8), "persons": 10, "vehicles": 1, "fever": 0, "turned_back": 0},
    )


def add_zero_report(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, cp.add_zero_report, "东门", shift(4, 16)["period_start"], shift(4, 16)["period_end"])


def correct_count_figures(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, cp.correct_count, ledgers.count, {"persons": 100, "reason": "少记了"})


def correct_count_to_another_day(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, cp.correct_count, ledgers.moved_count, {**shift(1, 8), "reason": "日期登记错误"})


def import_counts(engine, admin, ledgers, folder) -> None:
    imported(
        engine,
        admin,
        folder,
        "checkpoint_counts",
        "checkpoint,period_start,period_end,persons,vehicles,fever,turned_back,note\n"
        f"东门,{ago(7)} 08:00,{ago(7)} 16:00,33,3,0,1,\n"
        f"东门,{ago(2)} 00:00,{ago(2)} 08:00,12,4,1,0,\n",
    )


def add_movement(engine, admin, ledgers, folder) -> None:
    perform(
        engine,
        admin,
        su.add_movement,
        {"item": "口罩", "date": ago(4), "kind": "issue", "quantity": 30, "counterparty": "南路口"},
    )


def reverse_movement(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, su.reverse_movement, ledgers.receipt, "重复登记")


def record_stock_count(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, su.record_stock_count, "口罩", ago(5), 450, "月中盘点")


def import_movements(engine, admin, ledgers, folder) -> None:
    imported(
        engine,
        admin,
        folder,
        "supply_movements",
        "item,date,kind,quantity,counterparty,note\n"
        f"口罩,{ago(1)},issue,15,东门,\n"
        f"口罩,{ago(7)},purchase,40,某公司,\n"
        f"口罩,{ago(1)},reversal,15,东门,领错了\n",
    )


def register_enterprise(engine, admin, ledgers, folder) -> None:
    perform(
        engine,
        admin,
        en.add_enterprise,
        {
            "name": "乙超市",
            "kind": "shop",
            "sector": "零售",
            "grid": "第一网格",
            "employees": 5,
            "status": "reopened",
            "status_date": ago(2),
        },
    )


def change_status(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, en.change_status, ledgers.enterprise, "applied", ago(4))


def inspect(engine, admin, ledgers, folder) -> None:
    perform(
        engine,
        admin,
        en.add_inspection,
        ledgers.enterprise,
        ago(2),
        "督查组",
        [{"item": "缺隔离室", "deadline": ago(1)}, {"item": "测温点未设", "deadline": TODAY}],
    )


def close_rectification(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, en.close_rectification, ledgers.rectification, ago(1), "督查组")


def import_enterprises(engine, admin, ledgers, folder) -> None:
    imported(
        engine,
        admin,
        folder,
        "enterprises",
        "name,kind,sector,grid,employees,status,status_date,reason\n"
        f"丁五金,shop,零售,第二网格,2,not_reopened,{ago(5)},weak_demand\n"
        f"甲面馆,shop,餐饮,第一网格,3,applied,{ago(1)},\n",
    )


def add_followup(engine, admin, ledgers, folder) -> None:
    perform(
        engine,
        admin,
        qu.add_followup,
        {"episode_id": ledgers.episode, "date": ago(4), "slot": "PM", "temperature": 36.6, "by": "网格员甲"},
    )


def correct_followup_to_another_day(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, qu.correct_followup, ledgers.followup, {"date": ago(3)}, "日期登记错误")


def save_followup_grid(engine, admin, ledgers, folder) -> None:
    perform(
        engine,
        admin,
        qu.save_followup_grid,
        [{"episode_id": ledgers.episode, "date": ago(2), "slot": "AM", "temperature": 36.4, "by": "网格员乙"}],
        [(ledgers.followup, {"temperature": 36.9})],
        "体温登记错误",
    )


def import_followups(engine, admin, ledgers, folder) -> None:
    imported(
        engine,
        admin,
        folder,
        "followups",
        "id_number,date,slot,temperature,symptoms,by,symptom_text\n"
        f"{id_number(1)},{ago(1)},AM,36.5,否,网格员丙,\n"
        f"{id_number(1)},{ago(1)},PM,36.7,否,网格员丙,\n",
    )


def release(engine, admin, ledgers, folder) -> None:
    perform(engine, admin, qu.release, ledgers.episode, ago(1))


WRITES: tuple[Callable, ...] = (
    add_count,
    add_zero_report,
    correct_count_figures,
    correct_count_to_another_day,
    import_counts,
    add_movement,
    reverse_movement,
    record_stock_count,
    import_movements,
    register_enterprise,
    change_status,
    inspect,
    close_rectification,
    import_enterprises,
    add_followup,
    correct_followup_to_another_day,
    save_followup_grid,
    import_followups,
    release,
)


@pytest.mark.parametrize("write", WRITES, ids=[write.__name__ for write in WRITES])
def test_every_derived_table_equals_its_rebuild_after_each_kind_of_write(engine, admin, tmp_path, write):
    ledgers = fill_every_ledger(engine, admin)
    assert differences_from_rebuild(engine) == {}

    write(engine, admin, ledgers, tmp_path)

    assert differences_from_rebuild(engine) == {}


def test_the_ledgers_filled_before_each_write_give_every_derived_table_rows(engine, admin):
    fill_every_ledger(engine, admin)
    with engine.connect() as conn:
        empty = [derived.table.name for derived in DERIVED_TABLES if not derived.content(conn)]
    assert empty == []


@pytest.mark.parametrize("derived", DERIVED_TABLES, ids=[derived.table.name for derived in DERIVED_TABLES])
def test_each_derived_table_has_an_updater_and_a_rebuild_named_after_it_in_one_module(derived):
    module = importlib.import_module(derived.rebuild.__module__)
    assert derived.rebuild.__name__ == f"rebuild_{derived.table.name}"
    assert callable(getattr(module, f"update_{derived.table.name}", None))
