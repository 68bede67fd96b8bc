"""An import file is one audited write: one audit row for the file (who, when, the kind, the file's name and
SHA-256, the rows stored, a batch id) and that batch id on every row it stored, whether the kind stores its
rows in one batch or row by row; the data version moves on; a change to a row that was there before keeps its
own audit row; rows loaded before imports were audited per file are still told from corrections."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data_layer import checkpoints as cp
from data_layer import clock, supplies
from data_layer.audit import AuditFilter, audit_entries
from data_layer.db import IMPORT_BATCH, Actor, audit_log, data_version, load_schema, perform, write
from data_layer.errors import ImportRejected
from data_layer.review import figure_corrections
from data_layer.transfer import import_file, import_ledger
from support import id_number, register_enterprise

NOW = datetime(2025, 3, 12, 12, 0)
ADMIN = Actor("admin-test", "admin")
COUNTS_CSV = (
    "checkpoint,period_start,period_end,persons,vehicles,fever,turned_back,note\n"
    "东门,2025-03-10 08:00,2025-03-10 16:00,30,3,0,0,\n"
    "东门,2025-03-10 16:00,2025-03-10 23:59,12,1,1,0,夜班\n"
    "南路口,2025-03-10 08:00,2025-03-10 16:00,7,0,0,1,\n"
)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clock, "now", lambda: NOW)
    monkeypatch.setattr(clock, "today", lambda: NOW.date())


@pytest.fixture
def gates(engine: Engine) -> None:
    for name in ("东门", "南路口"):
        perform(engine, ADMIN, cp.add_checkpoint, {"name": name, "grid": "第一网格", "kind": "road"})


def stamped_tables() -> list[sa.Table]:
    return [table for table in load_schema().sorted_tables if IMPORT_BATCH in table.c and table.name != "audit_log"]


def batches_by_table(engine: Engine) -> dict[str, list[str | None]]:
    """Each stamped table's rows' batch ids, in id order."""
    with engine.connect() as conn:
        return {
            table.name: list(conn.execute(sa.select(table.c[IMPORT_BATCH]).order_by(table.c.id)).scalars())
            for table in stamped_tables()
        }


def audit_since(engine: Engine, first_id: int) -> list[dict]:
    """The audit rows written after the one numbered ``first_id``, oldest first."""
    with engine.connect() as conn:
        query = sa.select(audit_log).where(audit_log.c.id > first_id).order_by(audit_log.c.id)
        return [dict(row) for row in conn.execute(query).mappings()]


def test_an_import_writes_one_audit_row_naming_the_file_its_hash_and_row_count(engine, gates, tmp_path):
    path = tmp_path / "三月卡口.csv"
    path.write_text(COUNTS_CSV, encoding="utf-8")
    version = data_version(engine)

    assert import_file(engine, ADMIN, "checkpoint_counts", path) == 3

    [entry] = audit_since(engine, version)
    assert data_version(engine) == entry["id"] == version + 1
    assert (entry["username"], entry["action"], entry["table_name"], entry["batch"], entry["at"]) == (
        ADMIN.username,
        "import.checkpoint_counts",
        "checkpoint_counts",
        "import:checkpoint_counts",
        NOW,
    )
    assert re.fullmatch("[0-9a-f]{32}", entry[IMPORT_BATCH])
    [shown] = audit_entries(engine.connect(), AuditFilter(action="import."))
    assert shown["after"] == {
        "file": "三月卡口.csv",
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": 3,
    }


def test_every_row_an_import_stores_carries_the_batch_of_the_files_audit_row(engine, gates, tmp_path):
    perform(
        engine,
        ADMIN,
        cp.add_count,
        {
            "checkpoint": "东门",
            "period_start": "2025-03-09 08:00",
            "period_end": "2025-03-09 16:00",
            "persons": 5,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
    )
    before = audit_since(engine, 0)[-1]["id"]
    first = import_ledger(engine, ADMIN, "checkpoint_counts", COUNTS_CSV.encode(), "counts.csv")
    register = (
        "name,id_number,phone,grid,origin,origin_category,mode,site,start_date,planned_days,status,end_date\n"
        f"张三,{id_number(1)},13800000001,第一网格,外省示例市,other_province,home,,2025-03-01,14,released,2025-03-11\n"
        f"李四,{id_number(2)},13800000002,第一网格,外省示例市,other_province,home,,2025-03-05,14,,\n"
    )
    second = import_ledger(engine, ADMIN, "quarantine", register.encode(), "register.csv")

    assert (first.rows, second.rows) == (3, 2)
    files = [entry for entry in audit_since(engine, before) if entry["action"].startswith("import.")]
    assert [entry["after"] for entry in files] == [
        f'{{"file": "counts.csv", "rows": 3, "sha256": "{hashlib.sha256(COUNTS_CSV.encode()).hexdigest()}"}}',
        f'{{"file": "register.csv", "rows": 2, "sha256": "{hashlib.sha256(register.encode()).hexdigest()}"}}',
    ]
    counts_batch, register_batch = (entry[IMPORT_BATCH] for entry in files)
    stamps = batches_by_table(engine)
    assert stamps["checkpoint_counts"] == [None, counts_batch, counts_batch, counts_batch]
    assert stamps["persons"] == stamps["quarantine_episodes"] == [register_batch, register_batch]
    assert stamps["episode_changes"] == [register_batch]
    assert stamps["checkpoints"] == [None, None]


def test_an_import_adds_no_audit_row_per_stored_row(engine, gates, tmp_path):
    before = audit_since(engine, 0)[-1]["id"]
    import_ledger(engine, ADMIN, "checkpoint_counts", COUNTS_CSV.encode(), "counts.csv")
    perform(engine, ADMIN, supplies.add_item, {"name": "口罩", "unit": "个", "safety_stock": 10})
    import_ledger(
        engine,
        ADMIN,
        "supply_movements",
        "item,date,kind,quantity,counterparty,note\n口罩,2025-03-10,purchase,100,康宁,\n口罩,2025-03-11,issue,30,东门,\n".encode(),
        "moves.csv",
    )

    assert [entry["action"] for entry in audit_since(engine, before)] == [
        "import.checkpoint_counts",
        "supplies.item.add",
        "import.supply_movements",
    ]


def test_an_import_that_changes_a_stored_row_keeps_its_before_and_after_with_the_batch(engine):
    register_enterprise(engine, ADMIN, "惠民超市", "reopened", NOW.date().replace(day=1))
    before = audit_since(engine, 0)[-1]["id"]
    import_ledger(
        engine,
        ADMIN,
        "enterprises",
        "name,kind,sector,grid,employees,status,status_date,reason\n"
        "惠民超市,shop,餐饮,第一网格,25,reopened,2025-03-01,\n"
        "平安药房,shop,医药,第二网格,8,reopened,2025-03-02,\n".encode(),
        "enterprises.csv",
    )

    update, file = audit_since(engine, before)
    assert (update["action"], update["before"], update["after"]) == (
        "enterprises.update",
        '{"employees": 3}',
        '{"employees": 25}',
    )
    assert update[IMPORT_BATCH] == file[IMPORT_BATCH] is not None
    assert batches_by_table(engine)["enterprises"] == [None, file[IMPORT_BATCH]]


def test_a_refused_import_leaves_no_audit_row_and_no_batch(engine, gates):
    before = audit_since(engine, 0)[-1]["id"]
    bad = COUNTS_CSV + "北门,2025-03-10 08:00,2025-03-10 16:00,1,0,0,0,\n"
    with pytest.raises(ImportRejected):
        import_ledger(engine, ADMIN, "checkpoint_counts", bad.encode(), "counts.csv")

    assert audit_since(engine, before) == []
    assert batches_by_table(engine)["checkpoint_counts"] == []


def test_a_ledger_loaded_before_imports_were_audited_per_file_is_still_no_correction(engine):
    """Such rows carry no batch id; their own audit rows name the load, as every import's did."""
    perform(engine, ADMIN, supplies.add_item, {"name": "口罩", "unit": "个", "safety_stock": 10})
    day = NOW.date()
    perform(
        engine,
        ADMIN,
        supplies.add_movement,
        {"item": "口罩", "date": day.replace(day=10), "kind": "purchase", "quantity": 100, "counterparty": "康宁"},
    )
    row = {"item": "口罩", "date": day.replace(day=10), "kind": "adjustment", "quantity": -5, "note": "盘点短少"}
    write(engine, ADMIN, lambda ctx: supplies.add_movements_batch(ctx, [row]), batch="import:supply_movements")

    assert batches_by_table(engine)["supply_movements"] == [None, None]
    with engine.connect() as conn:
        assert figure_corrections(conn, day.replace(day=10)) == []
    perform(engine, ADMIN, supplies.record_stock_count, "口罩", day.replace(day=10), 90, "盘点短少")
    with engine.connect() as conn:
        assert figure_corrections(conn, day.replace(day=10)) != []


def test_every_table_an_import_writes_can_carry_a_batch() -> None:
    """The import kinds store into these tables (a row without the column would fail the import)."""
    assert {table.name for table in stamped_tables()} == {
        "checkpoints",
        "checkpoint_counts",
        "quarantine_sites",
        "persons",
        "quarantine_episodes",
        "episode_changes",
        "quarantine_followups",
        "supply_items",
        "supply_movements",
        "enterprises",
        "enterprise_status_changes",
    }


def test_the_batch_column_is_the_last_of_each_table_so_an_older_archive_still_lines_up() -> None:
    assert all(list(table.c)[-1].name == IMPORT_BATCH for table in stamped_tables())
