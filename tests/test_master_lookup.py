"""A row of master data (a checkpoint, a supply item, a quarantine site, an enterprise) is found by one helper,
:class:`data_layer.db.MasterLookup`: by name or by id alike in every domain, a missing or unknown reference
refused with the same words naming the domain's field, and the row found locked when the write asks."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from data_layer import checkpoints as cp
from data_layer import enterprises as en
from data_layer import quarantine as qu
from data_layer import supplies as su
from data_layer.checkpoints.master import CHECKPOINTS
from data_layer.db import perform
from data_layer.enterprises.master import ENTERPRISES
from data_layer.errors import ValidationError
from data_layer.quarantine.master import SITES
from data_layer.supplies.master import ITEMS
from support import BACKEND

DATA_LAYER = Path(__file__).resolve().parent.parent / "data_layer"


def add_one_of_each(engine, admin) -> None:
    perform(engine, admin, cp.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})
    perform(engine, admin, su.add_item, {"name": "口罩", "unit": "个", "safety_stock": 100})
    perform(engine, admin, qu.add_site, {"name": "一号隔离点", "capacity": 10})
    perform(
        engine,
        admin,
        en.add_enterprise,
        {
            "name": "甲面馆",
            "kind": "shop",
            "sector": "餐饮",
            "grid": "第一网格",
            "employees": 3,
            "status": "reopened",
            "status_date": "2020-02-03",
        },
    )


LOOKUPS = {
    "checkpoints": (CHECKPOINTS, "东门"),
    "supply_items": (ITEMS, "口罩"),
    "quarantine_sites": (SITES, "一号隔离点"),
    "enterprises": (ENTERPRISES, "甲面馆"),
}


def test_every_master_table_finds_its_row_by_name_by_id_and_by_a_padded_name(engine, admin):
    add_one_of_each(engine, admin)
    with engine.connect() as conn:
        found = {
            table: [
                None if row is None else row["id"]
                for row in (
                    lookup.find(conn, name),
                    lookup.find(conn, 1),
                    lookup.find(conn, f" {name} "),
                    lookup.find(conn, "无此名"),
                    lookup.find(conn, "  "),
                    lookup.find(conn, None),
                )
            ]
            for table, (lookup, name) in LOOKUPS.items()
        }
    assert found == {table: [1, 1, 1, None, None, None] for table in LOOKUPS}


def test_digits_name_an_id_except_for_enterprises_whose_import_registers_any_unknown_name(engine, admin):
    add_one_of_each(engine, admin)
    with engine.connect() as conn:
        found = {table: lookup.find(conn, "1") is not None for table, (lookup, _) in LOOKUPS.items()}
    assert found == {"checkpoints": True, "supply_items": True, "quarantine_sites": True, "enterprises": False}


def refusal(engine, admin, operation, *args) -> list[tuple[str, str, dict]]:
    with pytest.raises(ValidationError) as refused:
        perform(engine, admin, operation, *args)
    return [
        (error.field, error.key, error.params)
        for error in refused.value.errors
        if error.key in ("error.unknown_name", "error.required")
    ]


def test_an_unknown_reference_is_refused_in_every_domain_naming_its_field_and_the_trimmed_reference(engine, admin):
    add_one_of_each(engine, admin)
    unknown = " 无此名 "
    refusals = [
        refusal(
            engine,
            admin,
            cp.add_count,
            {
                "checkpoint": unknown,
                "period_start": "2020-02-03 08:00",
                "period_end": "2020-02-03 16:00",
                "persons": 1,
                "vehicles": 0,
                "fever": 0,
                "turned_back": 0,
            },
        ),
        refusal(
            engine, admin, su.add_movement, {"item": unknown, "date": "2020-02-03", "kind": "purchase", "quantity": 5}
        ),
        refusal(engine, admin, qu.set_site_capacity, unknown, 5),
        refusal(engine, admin, en.change_status, unknown, "suspended", "2020-02-04", "ppe_short"),
    ]
    assert refusals == [
        [(field, "error.unknown_name", {"value": "无此名"})] for field in ("checkpoint", "item", "site", "enterprise")
    ]


def test_a_blank_reference_is_refused_as_required_in_every_domain(engine, admin):
    add_one_of_each(engine, admin)
    refusals = [
        refusal(engine, admin, cp.rename_checkpoint, " ", "西门"),
        refusal(engine, admin, su.rename_item, " ", "酒精"),
        refusal(engine, admin, qu.set_site_capacity, " ", 5),
        refusal(engine, admin, en.change_status, " ", "suspended", "2020-02-04", "ppe_short"),
    ]
    assert refusals == [[(field, "error.required", {})] for field in ("checkpoint", "item", "site", "enterprise")]


@pytest.mark.skipif(BACKEND != "postgresql", reason="SQLite serializes every writer; only PostgreSQL locks rows")
def test_a_lookup_that_locks_holds_the_row_until_the_transaction_ends(engine, admin):
    add_one_of_each(engine, admin)
    held = {}
    for table, (lookup, name) in LOOKUPS.items():
        with engine.connect() as locking, engine.connect() as other:
            lookup.find(locking, name, lock=True)
            try:
                other.execute(sa.text(f"SELECT id FROM {table} WHERE id = 1 FOR UPDATE NOWAIT"))
                held[table] = False
            except sa.exc.OperationalError:
                held[table] = True
    assert held == dict.fromkeys(LOOKUPS, True)


def test_only_the_shared_helper_resolves_a_reference_to_a_master_row():
    resolving = sorted(
        str(path.relative_to(DATA_LAYER))
        for path in DATA_LAYER.rglob("*.py")
        if "resolve_reference(" in path.read_text(encoding="utf-8")
    )
    assert resolving == ["db/master.py", "validation.py"]
