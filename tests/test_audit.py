"""The audit log page's queries: filters by user, table, action and command-post day, paging, export."""

from __future__ import annotations

import csv
from datetime import date, datetime, timedelta

import pytest

from data_layer import checkpoints, clock, supplies
from data_layer.audit import (
    AuditFilter,
    audit_count,
    audit_entries,
    audit_tables,
    audit_usernames,
    export_audit,
)
from data_layer.db import Actor, perform
from data_layer.transfer import read_table

DAY = date(2026, 11, 20)


@pytest.fixture
def history(engine, admin, monkeypatch) -> dict[str, int]:
    """Three checkpoints added by the admin on DAY, an item by another admin the day after, a rename."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 20, 23, 30))
    ids = {
        name: perform(engine, admin, checkpoints.add_checkpoint, {"name": name, "grid": "一网格", "kind": "road"})
        for name in ("东门", "西门", "南门")
    }
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 21, 0, 10))
    ids["口罩"] = perform(
        engine, Actor("wang", "admin"), supplies.add_item, {"name": "口罩", "unit": "个", "safety_stock": 100}
    )
    perform(engine, admin, checkpoints.rename_checkpoint, ids["东门"], "东大门")
    return ids


def read_all(engine, chosen: AuditFilter, limit: int = 50, offset: int = 0) -> list[dict]:
    with engine.connect() as conn:
        return audit_entries(conn, chosen, limit, offset)


def count(engine, chosen: AuditFilter) -> int:
    with engine.connect() as conn:
        return audit_count(conn, chosen)


def test_newest_first_with_before_and_after_parsed(engine, history):
    entries = read_all(engine, AuditFilter())
    assert [entry["id"] for entry in entries] == sorted((entry["id"] for entry in entries), reverse=True)
    rename = entries[0]
    assert rename["table_name"] == "checkpoints"
    assert rename["row_id"] == str(history["东门"])
    assert rename["before"] == {"name": "东门"}
    assert rename["after"] == {"name": "东大门"}
    assert entries[-1]["before"] is None and entries[-1]["after"]["name"] == "东门"


def test_filters_by_user_table_action_and_command_post_day(engine, history):
    assert {entry["username"] for entry in read_all(engine, AuditFilter(username="wang"))} == {"wang"}
    assert count(engine, AuditFilter(username="wang")) == 1
    assert count(engine, AuditFilter(table="supply_items")) == 1
    assert count(engine, AuditFilter(table="checkpoints")) == 4
    on_the_day = read_all(engine, AuditFilter(start=DAY, end=DAY))
    assert sorted(entry["after"]["name"] for entry in on_the_day) == ["东门", "南门", "西门"]
    assert count(engine, AuditFilter(start=DAY + timedelta(days=1))) == 2
    assert count(engine, AuditFilter(end=DAY - timedelta(days=1))) == 0
    rename_action = read_all(engine, AuditFilter())[0]["action"]
    assert count(engine, AuditFilter(action=rename_action, username="admin-test")) == 1
    assert count(engine, AuditFilter(action=rename_action.split(".")[0] + ".")) == 4
    assert count(engine, AuditFilter(action="%")) == 0


def test_paging_walks_every_row_once(engine, history):
    total = count(engine, AuditFilter())
    pages = [read_all(engine, AuditFilter(), limit=2, offset=offset) for offset in range(0, total, 2)]
    ids = [entry["id"] for page in pages for entry in page]
    assert len(ids) == total == 5
    assert len(set(ids)) == total
    assert [len(page) for page in pages] == [2, 2, 1]


def test_filter_choices_list_who_and_what_appear(engine, history):
    with engine.connect() as conn:
        assert audit_usernames(conn) == ["admin-test", "wang"]
        assert audit_tables(conn) == ["checkpoints", "supply_items"]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_round_trips_the_filtered_rows(engine, history, tmp_path, suffix):
    path = tmp_path / f"audit{suffix}"
    written = export_audit(engine, AuditFilter(table="checkpoints"), path)
    header, rows = read_table(path)
    rows = [dict(zip(header, cells, strict=True)) for _, cells in rows]
    assert written == len(rows) == 4
    assert header[:5] == ["id", "at", "username", "action", "table_name"]
    assert [str(row["id"]) for row in rows] == [
        str(entry["id"]) for entry in read_all(engine, AuditFilter(table="checkpoints"))
    ]
    assert '"东大门"' in rows[0]["after"]
    if suffix == ".csv":
        assert list(csv.reader(path.open(encoding="utf-8-sig")))[1][1] == "2026-11-21 00:10:00"
