"""The per-day tables the briefing reads (checkpoint daily totals, daily stock, enterprise status and
rectification days, follow-ups per episode and day) always give the figures the ledgers give: after entries,
back-dated entries, corrections, reversals, stock counts, status changes, closures and imports, the figures of
every day equal both the figures computed in the test straight from the ledger rows and those read after
rebuilding the tables from scratch (what the migration and the district loader do)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from data_layer import checkpoints as cp
from data_layer import clock
from data_layer import enterprises as en
from data_layer import quarantine as qu
from data_layer import supplies as su
from data_layer.db import perform
from data_layer.derived import rebuild_all
from data_layer.transfer import import_file
from support import ago, id_number, register_enterprise, register_person

TODAY = clock.today()


def at(days_ago: int, hour: int) -> datetime:
    return datetime.combine(ago(days_ago), time(hour))


def days_around(first: int, last: int = -2) -> list[date]:
    """Every day from ``first`` days ago to ``-last`` days ahead, so that days without rows are asked too."""
    return [ago(offset) for offset in range(first, last - 1, -1)]


def figures_after_rebuild(engine, figures: Callable, rebuild: Callable, days: list[date]) -> list:
    """The figures of ``days`` read after rebuilding the derived tables from the ledger, rolled back after."""
    with engine.connect() as conn:
        rebuild(conn)
        rebuilt = [figures(conn, day) for day in days]
        conn.rollback()
    return rebuilt


def figures_of(engine, figures: Callable, days: list[date]) -> list:
    with engine.connect() as conn:
        return [figures(conn, day) for day in days]


# --- checkpoints ----------------------------------------------------------------------------------------------


def count(engine, admin, checkpoint: str, start: datetime, hours: int, persons: int, fever: int = 0) -> int:
    return perform(
        engine,
        admin,
        cp.add_count,
        {
            "checkpoint": checkpoint,
            "period_start": start,
            "period_end": start + timedelta(hours=hours),
            "persons": persons,
            "vehicles": persons // 3,
            "fever": fever,
            "turned_back": persons // 10,
        },
    )


def checkpoint_sums_from_ledger(engine, day: date) -> tuple[dict, dict]:
    """The day's and the cumulative sums of effective entries, computed here from the ledger rows."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(cp.checkpoint_counts)).mappings().all()
    superseded = {row["supersedes_id"] for row in rows}
    effective = [row for row in rows if row["id"] not in superseded]
    on_day = {
        name: sum(row[name] for row in effective if row["period_start"].date() == day) for name in cp.COUNT_FIELDS
    }
    cumulative = {
        name: sum(row[name] for row in effective if row["period_start"].date() <= day) for name in cp.COUNT_FIELDS
    }
    return on_day, cumulative


def test_checkpoint_daily_totals_give_the_ledgers_figures_after_entries_corrections_and_imports(
    engine, admin, tmp_path
):
    for name in ("东门", "南路口", "西门"):
        perform(engine, admin, cp.add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})
    count(engine, admin, "东门", at(5, 8), 8, 120, fever=1)
    count(engine, admin, "东门", at(3, 8), 8, 90)
    count(engine, admin, "南路口", at(3, 23), 8, 40)
    count(engine, admin, "东门", at(6, 8), 8, 70)
    count(engine, admin, "西门", at(4, 0), 8, 0)
    typo = count(engine, admin, "南路口", at(2, 8), 8, 1000, fever=2)
    moved = count(engine, admin, "西门", at(3, 16), 8, 55)
    perform(engine, admin, cp.correct_count, typo, {"persons": 100, "vehicles": 30, "reason": "多打了一个0"})
    perform(
        engine,
        admin,
        cp.correct_count,
        moved,
        {"period_start": at(1, 16), "period_end": at(1, 23), "reason": "日期登记错误"},
    )
    (tmp_path / "counts.csv").write_text(
        "checkpoint,period_start,period_end,persons,vehicles,fever,turned_back,note\n"
        f"东门,{at(7, 8):%Y-%m-%d %H:%M},{at(7, 16):%Y-%m-%d %H:%M},33,3,0,1,\n"
        f"西门,{at(1, 0):%Y-%m-%d %H:%M},{at(1, 8):%Y-%m-%d %H:%M},12,4,1,0,\n",
        encoding="utf-8",
    )
    assert import_file(engine, admin, "checkpoint_counts", tmp_path / "counts.csv") == 2
    (tmp_path / "later.csv").write_text(  # rebuilds from its day on, carrying the sums of the days before
        "checkpoint,period_start,period_end,persons,vehicles,fever,turned_back,note\n"
        f"南路口,{at(1, 8):%Y-%m-%d %H:%M},{at(1, 16):%Y-%m-%d %H:%M},21,2,0,0,\n"
        f"东门,{at(2, 8):%Y-%m-%d %H:%M},{at(2, 16):%Y-%m-%d %H:%M},8,1,0,0,\n",
        encoding="utf-8",
    )
    assert import_file(engine, admin, "checkpoint_counts", tmp_path / "later.csv") == 2

    days = days_around(9)
    stored = figures_of(engine, cp.figures, days)
    for day, figures in zip(days, stored, strict=True):
        on_day, cumulative = checkpoint_sums_from_ledger(engine, day)
        assert ({name: figures[name] for name in cp.COUNT_FIELDS}, figures["cumulative"]) == (on_day, cumulative)
    assert stored == figures_after_rebuild(engine, cp.figures, cp.rebuild_checkpoint_daily_totals, days)
    assert stored[days.index(ago(3))]["cumulative"]["persons"] == 70 + 120 + 90 + 40 + 33
    assert stored[days.index(ago(4))]["reported_checkpoints"] == 1


def test_a_correction_that_empties_a_day_leaves_its_checkpoint_not_reported_that_day(engine, admin):
    perform(engine, admin, cp.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    entry = count(engine, admin, "东门", at(2, 8), 8, 50)
    perform(
        engine,
        admin,
        cp.correct_count,
        entry,
        {"period_start": at(1, 8), "period_end": at(1, 16), "reason": "日期登记错误"},
    )
    with engine.connect() as conn:
        earlier, later = cp.figures(conn, ago(2)), cp.figures(conn, ago(1))
    assert (earlier["not_reported"], earlier["persons"], earlier["cumulative"]["persons"]) == (["东门"], 0, 0)
    assert (later["reported_checkpoints"], later["persons"], later["cumulative"]["persons"]) == (1, 50, 50)


# --- supplies -------------------------------------------------------------------------------------------------


def move(engine, admin, item: str, day: date, kind: str, quantity: int, counterparty: str | None = "某单位") -> int:
    return perform(
        engine,
        admin,
        su.add_movement,
        {
            "item": item,
            "date": day,
            "kind": kind,
            "quantity": quantity,
            "counterparty": counterparty,
            "note": "盘点" if kind == "adjustment" else None,
        },
    )


def stock_from_ledger(engine, item: str, day: date) -> dict:
    """On hand, in, out and the week's issues of one item, computed here from the ledger rows."""
    with engine.connect() as conn:
        rows = (
            conn.execute(sa.select(su.supply_movements).join(su.supply_items).where(su.supply_items.c.name == item))
            .mappings()
            .all()
        )
    reversed_ids = {row["reverses_id"] for row in rows}
    counted = [row for row in rows if row["kind"] != "reversal" and row["id"] not in reversed_ids]
    issued = -sum(
        row["quantity"]
        for row in counted
        if row["kind"] == "issue" and day - timedelta(days=su.BURN_DAYS) < row["date"] <= day
    )
    return {
        "on_hand": sum(row["quantity"] for row in rows if row["date"] <= day),
        "in_today": sum(row["quantity"] for row in counted if row["date"] == day and row["kind"] in su.IN_KINDS),
        "out_today": -sum(row["quantity"] for row in counted if row["date"] == day and row["kind"] in su.OUT_KINDS),
        "burn_rate": round(issued / su.BURN_DAYS, 2),
    }


def test_daily_stock_gives_the_ledgers_figures_after_movements_reversals_counts_and_imports(engine, admin, tmp_path):
    for name in ("口罩", "酒精"):
        perform(engine, admin, su.add_item, {"name": name, "unit": "个", "safety_stock": 100})
    move(engine, admin, "口罩", ago(9), "purchase", 1000)
    move(engine, admin, "口罩", ago(6), "issue", 200)
    move(engine, admin, "口罩", ago(3), "issue", 150)
    move(engine, admin, "口罩", ago(7), "issue", 50)
    wrong_receipt = move(engine, admin, "口罩", ago(2), "donation", 300)
    wrong_issue = move(engine, admin, "口罩", ago(5), "issue", 80)
    move(engine, admin, "口罩", ago(1), "scrap", 20, counterparty=None)
    move(engine, admin, "酒精", ago(4), "allocation", 60)
    move(engine, admin, "酒精", ago(4), "transfer_out", 10)
    perform(engine, admin, su.reverse_movement, wrong_receipt, "重复登记")
    perform(engine, admin, su.reverse_movement, wrong_issue, "未实际发放")
    perform(engine, admin, su.record_stock_count, "口罩", ago(4), 700, "月中盘点")
    (tmp_path / "moves.csv").write_text(
        "item,date,kind,quantity,counterparty,note\n"
        f"酒精,{ago(2)},issue,15,东门,\n"
        f"酒精,{ago(8)},purchase,40,康宁医疗器械有限公司,\n"
        f"酒精,{ago(2)},reversal,15,东门,领错了\n",
        encoding="utf-8",
    )
    assert import_file(engine, admin, "supply_movements", tmp_path / "moves.csv") == 3

    days = days_around(10)
    stored = figures_of(engine, su.figures, days)
    for day, entries in zip(days, stored, strict=True):
        for entry in entries:
            assert {key: entry[key] for key in ("on_hand", "in_today", "out_today", "burn_rate")} == stock_from_ledger(
                engine, entry["item"], day
            ), (day, entry["item"])
    with engine.connect() as conn:  # a day without a movement, and before the first, read from the per-day stock
        item_ids = dict(conn.execute(sa.select(su.supply_items.c.name, su.supply_items.c.id)).all())
        assert [su.stock_on(conn, item_ids["酒精"], day) for day in days] == [
            stock_from_ledger(engine, "酒精", day)["on_hand"] for day in days
        ]
        assert su.stock_on(conn, item_ids["口罩"], ago(30)) == 0
    assert stored == figures_after_rebuild(engine, su.figures, su.rebuild_supply_daily_stock, days)
    assert [entry["on_hand"] for entry in stored[-1]] == [1000 - 200 - 150 - 50 - 20 - 50, 60 - 10 + 40]


# --- enterprises ----------------------------------------------------------------------------------------------


def enterprise_figures_from_history(conn, day: date) -> dict:
    """Statuses and rectification items of ``day`` as the history tables give them (each enterprise's
    newest change in force, the open and overdue item lists)."""
    held = en._statuses(day).subquery()
    counts = conn.execute(
        sa.select(held.c.status, held.c.reason, sa.func.count()).group_by(held.c.status, held.c.reason)
    ).all()
    by_status = {status: sum(number for code, _, number in counts if code == status) for status in en.STATUSES}
    by_reason = {
        reason: sum(number for code, why, number in counts if why == reason and code in en.STATUSES_WITH_REASON)
        for reason in en.REASONS
    }
    return {
        **{status: by_status[status] for status in en.STATUSES if status != "closed"},
        "closed": by_status["closed"],
        "by_reason": by_reason,
        "rectifications_open": len(en.open_rectifications(conn, day)),
        "rectifications_overdue": len(en.overdue_rectifications(conn, day)),
    }


def test_enterprise_status_and_rectification_days_give_the_historys_figures(engine, admin, tmp_path):
    first = register_enterprise(engine, admin, "甲面馆", "not_reopened", ago(9), "ppe_short")
    second = register_enterprise(engine, admin, "乙超市", "reopened", ago(8))
    register_enterprise(engine, admin, "丙茶室", "applied", ago(3))
    perform(engine, admin, en.change_status, first, "applied", ago(6))
    perform(engine, admin, en.change_status, first, "not_reopened", ago(4), "workers_short")
    perform(engine, admin, en.change_status, first, "closed", ago(2))
    perform(engine, admin, en.change_status, second, "suspended", ago(5), "materials_short")
    perform(engine, admin, en.change_status, second, "applied", ago(3))
    late = perform(
        engine,
        admin,
        en.add_inspection,
        second,
        ago(7),
        "督查组王",
        [
            {"item": "消毒记录不全", "deadline": ago(5)},
            {"item": "缺隔离室", "deadline": ago(1)},
            {"item": "测温点未设", "deadline": ago(6)},
        ],
    )
    with engine.connect() as conn:
        items = [row["id"] for row in en.inspection_items(conn, late)]
    perform(engine, admin, en.close_rectification, items[0], ago(3), "督查组王")
    perform(engine, admin, en.close_rectification, items[1], ago(4), "督查组王")
    perform(engine, admin, en.add_inspection, first, ago(2), "督查组李", [{"item": "登记不规范", "deadline": TODAY}])
    (tmp_path / "enterprises.csv").write_text(
        "name,kind,sector,grid,employees,status,status_date,reason\n"
        f"丁五金,shop,零售,第二网格,2,not_reopened,{ago(5)},weak_demand\n"
        f"丙茶室,shop,餐饮,第一网格,3,not_reopened,{ago(1)},sector_restricted\n",
        encoding="utf-8",
    )
    assert import_file(engine, admin, "enterprises", tmp_path / "enterprises.csv") == 2

    days = days_around(11)
    stored = figures_of(engine, en.figures, days)
    expected = figures_of(engine, enterprise_figures_from_history, days)
    for figures, history in zip(stored, expected, strict=True):
        assert {key: figures[key] for key in history} == history
    assert stored == figures_after_rebuild(engine, en.figures, rebuild_all, days)
    assert (stored[days.index(ago(5))]["rectifications_overdue"], stored[-1]["rectifications_open"]) == (1, 2)


# --- quarantine follow-ups ----------------------------------------------------------------------------------------


def followed_up(engine, admin, episode_id: int, day: date, slot: str) -> int:
    return perform(
        engine,
        admin,
        qu.add_followup,
        {"episode_id": episode_id, "date": day, "slot": slot, "temperature": 36.5, "by": "网格员甲"},
    )


def followups_missing_from_ledger(conn, day: date) -> int:
    """Current episodes of ``day`` with fewer than two effective follow-ups dated ``day``, counted here from
    the follow-up rows themselves."""
    rows = conn.execute(sa.select(qu.quarantine_followups)).mappings().all()
    superseded = {row["supersedes_id"] for row in rows}
    readings = [(row["episode_id"], row["date"]) for row in rows if row["id"] not in superseded]
    current = conn.execute(sa.select(qu.quarantine_episodes.c.id).where(qu._current_on(day))).scalars()
    return sum(1 for episode_id in current if readings.count((episode_id, day)) < qu.FOLLOWUPS_PER_DAY)


def test_followup_days_give_the_ledgers_missing_followups_after_follow_ups_corrections_and_imports(
    engine, admin, tmp_path
):
    first, second, third = (register_person(engine, admin, n, ago(6)) for n in (1, 2, 3))
    for day in (ago(5), ago(4), ago(3)):
        followed_up(engine, admin, first, day, "AM")
        followed_up(engine, admin, first, day, "PM")
    followed_up(engine, admin, second, ago(4), "AM")
    moved = followed_up(engine, admin, second, ago(3), "PM")
    retimed = followed_up(engine, admin, third, ago(4), "AM")
    perform(engine, admin, qu.correct_followup, moved, {"date": ago(4)}, "日期登记错误")
    correction = perform(engine, admin, qu.correct_followup, retimed, {"slot": "PM"}, "时段登记错误")
    perform(engine, admin, qu.correct_followup, correction, {"temperature": 36.8}, "体温登记错误")
    perform(
        engine,
        admin,
        qu.save_followup_grid,
        [
            {"episode_id": third, "date": ago(2), "slot": "AM", "temperature": 36.4, "by": "网格员乙"},
            {"episode_id": third, "date": ago(2), "slot": "PM", "temperature": 36.6, "by": "网格员乙"},
        ],
        [],
    )
    (tmp_path / "followups.csv").write_text(
        "id_number,date,slot,temperature,symptoms,by,symptom_text\n"
        f"{id_number(2)},{ago(2)},AM,36.5,否,网格员丙,\n"
        f"{id_number(2)},{ago(2)},PM,36.7,否,网格员丙,\n"
        f"{id_number(3)},{ago(4)},AM,36.5,否,网格员丙,\n",
        encoding="utf-8",
    )
    assert import_file(engine, admin, "followups", tmp_path / "followups.csv") == 3
    perform(engine, admin, qu.release, first, ago(1))

    days = days_around(7)
    stored = figures_of(engine, qu.figures, days)
    expected = figures_of(engine, followups_missing_from_ledger, days)
    assert [figures["followups_missing"] for figures in stored] == expected
    assert stored == figures_after_rebuild(engine, qu.figures, qu.rebuild_quarantine_followup_days, days)
    assert [stored[days.index(ago(offset))]["followups_missing"] for offset in (5, 4, 3, 2)] == [2, 0, 2, 1]
