"""Many writer processes at once against one store (a SQLite file in WAL mode, or PostgreSQL).

Each writer is a process of its own with its own engine, as each app process or command line is. Nothing may
be lost, nothing stored twice, no clerk may see "database is locked" (the data layer waits and retries), and
writers racing for the last units of a supply item may never take its stock below zero: exactly as many
issues succeed as there were units.

make test runs 8 writers × 60 entries; ``COMMAND_POST_TEST_WRITERS`` and ``COMMAND_POST_TEST_ENTRIES`` raise
it to issue 8's 20 × 500.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from data_layer import checkpoints, clock, enterprises, supplies
from data_layer.db import Actor, connect, perform
from data_layer.errors import DuplicateSubmission, ValidationError
from support import SPAWN, collect_results, count_rows, differences_from_rebuild, spawn_processes

WRITERS = int(os.environ.get("COMMAND_POST_TEST_WRITERS", "8"))
ENTRIES = int(os.environ.get("COMMAND_POST_TEST_ENTRIES", "60"))
ADMIN = Actor("admin-test", "admin")
TIMEOUT = 600
ENTERPRISES_EACH = 4


def _clerk(domain: str, unit: int) -> Actor:
    return Actor(f"clerk-{domain}-{unit}", "clerk", ((domain, frozenset({unit})),))


def _base_hour() -> datetime:
    return clock.now().replace(minute=0, second=0) - timedelta(days=1)


# --- the writer processes (module-level, so that a spawned process can find them) -----------------------------


def _enter_counts(url: str, checkpoint_id: int, entries: int, barrier, results) -> None:
    """Enter ``entries`` one-hour counts for one checkpoint, each with its own form token."""
    engine = connect(url)
    actor = _clerk("checkpoints", checkpoint_id)
    base = _base_hour()
    outcome = {"stored": 0, "errors": []}
    barrier.wait()
    for number in range(entries):
        start = base - timedelta(hours=number)
        data = {
            "checkpoint": checkpoint_id,
            "period_start": start,
            "period_end": start + timedelta(hours=1),
            "persons": number,
            "vehicles": checkpoint_id,
            "fever": 0,
            "turned_back": 0,
        }
        try:
            perform(engine, actor, checkpoints.add_count, data, token=f"count-{checkpoint_id}-{number}")
            outcome["stored"] += 1
        except Exception as error:  # everything a clerk would see is collected and asserted on
            outcome["errors"].append(f"{type(error).__name__}: {error}")
    engine.dispose()
    results.put(outcome)


def _submit_same_entry(url: str, checkpoint_id: int, token: str | None, barrier, results) -> None:
    """Submit one and the same shift entry (a double click, or two devices), with ``token`` or a token of its own."""
    engine = connect(url)
    start = _base_hour()
    data = {
        "checkpoint": checkpoint_id,
        "period_start": start,
        "period_end": start + timedelta(hours=8),
        "persons": 10,
        "vehicles": 2,
        "fever": 0,
        "turned_back": 0,
    }
    barrier.wait()
    try:
        perform(
            engine,
            _clerk("checkpoints", checkpoint_id),
            checkpoints.add_count,
            data,
            token=token or f"device-{os.getpid()}",
        )
        results.put("stored")
    except DuplicateSubmission:
        results.put("duplicate")
    except ValidationError as refusal:
        results.put("refused:" + ",".join(refusal.fields))
    except Exception as error:
        results.put(f"error: {type(error).__name__}: {error}")
    engine.dispose()


def _issue_units(url: str, writer: int, item_id: int, attempts: int, days: list[date], barrier, results) -> None:
    """Try ``attempts`` issues of one unit each, alternating between the given dates."""
    engine = connect(url)
    actor = _clerk("supplies", item_id)
    outcome = {"issued": 0, "refused": 0, "errors": []}
    barrier.wait()
    for number in range(attempts):
        data = {
            "item": item_id,
            "date": days[number % len(days)],
            "kind": "issue",
            "quantity": 1,
            "counterparty": f"卡口{writer}",
            "recipient_kind": "checkpoint",
        }
        try:
            perform(engine, actor, supplies.add_movement, data, token=f"issue-{writer}-{number}")
            outcome["issued"] += 1
        except ValidationError as refusal:
            if refusal.fields != ["quantity"]:
                outcome["errors"].append(f"refused on {refusal.fields}: {refusal}")
            outcome["refused"] += 1
        except Exception as error:
            outcome["errors"].append(f"{type(error).__name__}: {error}")
    engine.dispose()
    results.put(outcome)


def _move_enterprises(url: str, writer: int, barrier, results) -> None:
    """Register enterprises and move them through their statuses, dated today and back-dated, and inspect them
    with rectification items: every write lands in the enterprises' running totals the other writers add to."""
    engine = connect(url)
    today = clock.today()
    errors = []
    barrier.wait()
    for number in range(ENTERPRISES_EACH):
        name = f"企业{writer:02d}-{number:02d}"
        try:
            enterprise_id = perform(
                engine,
                ADMIN,
                enterprises.add_enterprise,
                {
                    "name": name,
                    "kind": "shop",
                    "sector": "零售",
                    "grid": "第一网格",
                    "employees": 3,
                    "status": "not_reopened",
                    "status_date": today - timedelta(days=6),
                    "reason": "workers_short",
                },
            )
            perform(engine, ADMIN, enterprises.change_status, enterprise_id, "applied", today - timedelta(days=4))
            back = today - timedelta(days=number)
            perform(engine, ADMIN, enterprises.change_status, enterprise_id, "not_reopened", back, "weak_demand")
            rectification = {"item": "测温点未设", "deadline": today - timedelta(days=2)}
            perform(
                engine,
                ADMIN,
                enterprises.add_inspection,
                enterprise_id,
                today - timedelta(days=3),
                "督查组",
                [rectification],
            )
        except Exception as error:
            errors.append(f"{type(error).__name__}: {error}")
    engine.dispose()
    results.put(errors)


def run_processes(target: Callable, argument_lists: list[tuple]) -> list:
    """Start one spawned process per argument tuple, released together by a barrier; their results."""
    barrier = SPAWN.Barrier(len(argument_lists))
    results = SPAWN.Queue()
    processes = spawn_processes(target, [(*arguments, barrier, results) for arguments in argument_lists])
    collected = collect_results(processes, results, TIMEOUT)
    assert all(process.exitcode == 0 for process in processes), [process.exitcode for process in processes]
    return collected


# --- tests --------------------------------------------------------------------------------------------------------


def add_checkpoints(url: str, count: int) -> list[int]:
    engine = connect(url)
    ids = [
        perform(
            engine, ADMIN, checkpoints.add_checkpoint, {"name": f"卡口{number:02d}", "grid": "第一网格", "kind": "road"}
        )
        for number in range(1, count + 1)
    ]
    engine.dispose()
    return ids


def test_concurrent_writers_store_every_entry_once_and_never_show_a_lock(db_url):
    ids = add_checkpoints(db_url, WRITERS)
    outcomes = run_processes(_enter_counts, [(db_url, checkpoint_id, ENTRIES) for checkpoint_id in ids])

    errors = [error for outcome in outcomes for error in outcome["errors"]]
    assert errors == [], errors[:5]
    assert not any("locked" in error.lower() for error in errors)
    assert sum(outcome["stored"] for outcome in outcomes) == WRITERS * ENTRIES
    engine = connect(db_url)
    with engine.connect() as conn:
        per_checkpoint = dict(
            conn.execute(
                sa.select(checkpoints.checkpoint_counts.c.checkpoint_id, sa.func.count()).group_by(
                    checkpoints.checkpoint_counts.c.checkpoint_id
                )
            ).all()
        )
        distinct = conn.execute(
            sa.select(sa.func.count()).select_from(
                sa.select(checkpoints.checkpoint_counts.c.checkpoint_id, checkpoints.checkpoint_counts.c.period_start)
                .distinct()
                .subquery()
            )
        ).scalar_one()
        audited = conn.execute(
            sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'checkpoints.add_count'")
        ).scalar_one()
    assert per_checkpoint == dict.fromkeys(ids, ENTRIES)
    assert distinct == WRITERS * ENTRIES
    assert audited == WRITERS * ENTRIES
    assert count_rows(engine, "submission_tokens") == WRITERS * ENTRIES
    engine.dispose()


@pytest.mark.parametrize("same_token", [True, False], ids=["double-submit", "two-devices"])
def test_the_same_entry_sent_at_once_is_stored_once(db_url, same_token):
    """A form sent again with its token is a duplicate; the same shift from another device overlaps. Either way
    exactly one of the racing submissions is stored and the others are told why."""
    [checkpoint_id] = add_checkpoints(db_url, 1)
    racers = max(4, WRITERS // 2)
    outcomes = run_processes(_submit_same_entry, [(db_url, checkpoint_id, "one-form" if same_token else None)] * racers)

    assert outcomes.count("stored") == 1, outcomes
    expected = "duplicate" if same_token else "refused:period_start"
    assert outcomes.count(expected) == racers - 1, outcomes
    engine = connect(db_url)
    assert count_rows(engine, "checkpoint_counts") == 1
    engine.dispose()


def test_writers_racing_for_the_last_units_never_take_stock_below_zero(db_url):
    stock, attempts = WRITERS * 3, 6
    engine = connect(db_url)
    today = clock.today()
    item_id = perform(engine, ADMIN, supplies.add_item, {"name": "N95口罩", "unit": "只", "safety_stock": 0})
    perform(
        engine,
        ADMIN,
        supplies.add_movement,
        {"item": item_id, "date": today - timedelta(days=2), "kind": "purchase", "quantity": stock},
    )
    days = [today, today - timedelta(days=1)]  # back-dated issues must leave every later day's stock ≥ 0 too
    outcomes = run_processes(_issue_units, [(db_url, writer, item_id, attempts, days) for writer in range(WRITERS)])

    errors = [error for outcome in outcomes for error in outcome["errors"]]
    assert errors == [], errors[:5]
    assert sum(outcome["issued"] for outcome in outcomes) == stock
    assert sum(outcome["refused"] for outcome in outcomes) == WRITERS * attempts - stock
    with engine.connect() as conn:
        movements = supplies.supply_movements
        by_day = conn.execute(
            sa.select(movements.c.date, sa.func.sum(movements.c.quantity))
            .where(movements.c.item_id == item_id)
            .group_by(movements.c.date)
            .order_by(movements.c.date)
        ).all()
        running = 0
        for day, change in by_day:
            running += change
            assert running >= 0, f"stock {running} at the end of {day}"
        assert running == 0
        assert supplies.stock_on(conn, item_id, today) == 0
    engine.dispose()


def test_writers_moving_enterprises_at_once_keep_the_running_totals_equal_to_the_history(db_url):
    outcomes = run_processes(_move_enterprises, [(db_url, writer) for writer in range(WRITERS)])

    assert [error for errors in outcomes for error in errors] == []
    engine = connect(db_url)
    assert differences_from_rebuild(engine) == {}
    with engine.connect() as conn:
        figures = enterprises.figures(conn, clock.today())
    engine.dispose()
    assert figures["not_reopened"] == figures["by_reason"]["weak_demand"] == WRITERS * ENTERPRISES_EACH
    assert figures["rectifications_open"] == figures["rectifications_overdue"] == WRITERS * ENTERPRISES_EACH
