"""Import throughput: a 100,000-row ``checkpoint_counts`` file against a bare ``executemany`` of the same rows.

The import is the command line's and the admin page's: ``import_file`` reads the CSV, validates every row
(the checkpoint, the period, the overlap with every other entry of the checkpoint, the counts), stores the
rows stamped with the file's batch and the file's one audit row, and commits the file as one transaction.
The floor is the least any import of these rows could cost: the same rows, already parsed, inserted by one
SQLAlchemy ``executemany`` in one transaction, with no checks and no audit. Each is run ``BENCH_IMPORT_REPEAT``
times (3) in turn, each into a fresh store, and the least time of each is compared.

PostgreSQL is measured as the server is configured and, unless ``BENCH_PG_DURABLE=0``, once more with
``fsync``, ``synchronous_commit`` and ``full_page_writes`` on (see ``benchmarks.common.durable_pg``); each
figure names the settings it was measured with.
"""

from __future__ import annotations

import csv
import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from benchmarks.common import (
    OUT,
    drop_pg_database,
    durability_text,
    fresh_store,
    line,
    pg_setups,
    save,
    sqlite_durability,
)
from data_layer import clock
from data_layer.checkpoints import checkpoint_counts
from data_layer.checkpoints import checkpoints as checkpoint_table
from data_layer.db import Actor, WriteContext, connect, write
from data_layer.settings import IMPORT_MAX_ROWS
from data_layer.transfer import import_file

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
PG_ROWS = int(os.environ.get("BENCH_IMPORT_PG_ROWS", "20000"))
CHECKPOINTS = 100
REPEAT = int(os.environ.get("BENCH_IMPORT_REPEAT", "3"))
ADMIN = Actor("bench-admin", "admin")
os.environ[IMPORT_MAX_ROWS.name] = str(max(ROWS, PG_ROWS, int(os.environ.get(IMPORT_MAX_ROWS.name, "0"))))
"""The benchmark's file is larger than an upload may be; the command line imports it with the limit raised."""


def make_file(path: Path, rows: int) -> list[dict]:
    """A clerks' ledger of ``rows`` eight-hour shifts of :data:`CHECKPOINTS` checkpoints, oldest first."""
    shifts = -(-rows // CHECKPOINTS)
    first = datetime.combine(clock.today(), datetime.min.time()) - timedelta(hours=8 * (shifts + 3))
    parsed = []
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["checkpoint", "period_start", "period_end", "persons", "vehicles", "fever", "turned_back", "note"]
        )
        for number in range(rows):
            shift, checkpoint = divmod(number, CHECKPOINTS)
            start = first + timedelta(hours=8 * shift)
            end = start + timedelta(hours=8)
            persons, vehicles = (number * 7) % 400, (number * 3) % 150
            fever, turned_back = (1 if number % 97 == 0 and persons else 0), number % 5
            writer.writerow(
                [
                    f"卡口{checkpoint + 1:03d}",
                    f"{start:%Y-%m-%d %H:%M}",
                    f"{end:%Y-%m-%d %H:%M}",
                    persons,
                    vehicles,
                    fever,
                    turned_back,
                    "",
                ]
            )
            parsed.append(
                {
                    "checkpoint_id": checkpoint + 1,
                    "period_start": start,
                    "period_end": end,
                    "persons": persons,
                    "vehicles": vehicles,
                    "fever": fever,
                    "turned_back": turned_back,
                    "note": None,
                    "entered_by": ADMIN.username,
                    "entered_at": clock.now(),
                }
            )
    return parsed


def store_with_checkpoints(backend: str, name: str) -> str:
    url = fresh_store(backend, name)
    engine = connect(url)

    def add(ctx: WriteContext) -> None:
        ctx.insert_many(
            checkpoint_table,
            "checkpoints.add_checkpoint",
            [
                {"name": f"卡口{number:03d}", "grid": "第一网格", "kind": "road", "active": True}
                for number in range(1, CHECKPOINTS + 1)
            ],
        )

    write(engine, ADMIN, add)
    engine.dispose()
    return url


def timed_import(backend: str, path: Path) -> tuple[float, int]:
    """Seconds of one import of ``path`` into a fresh store, and the rows it stored."""
    url = store_with_checkpoints(backend, f"import_{backend}")
    engine = connect(url)
    started = time.perf_counter()
    stored = import_file(engine, ADMIN, "checkpoint_counts", path)
    seconds = time.perf_counter() - started
    engine.dispose()
    if backend == "postgresql":
        drop_pg_database(f"cp_bench_import_{backend}")
    return seconds, stored


def timed_floor(backend: str, parsed: list[dict]) -> tuple[float, int]:
    """Seconds of one bare executemany of ``parsed`` into a fresh store, and the rows it stored."""
    url = store_with_checkpoints(backend, f"import_floor_{backend}")
    engine = connect(url)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(checkpoint_counts.insert(), parsed)
    seconds = time.perf_counter() - started
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.func.count()).select_from(checkpoint_counts)).scalar_one()
    engine.dispose()
    if backend == "postgresql":
        drop_pg_database(f"cp_bench_import_floor_{backend}")
    return seconds, stored


def measure(backend: str, rows: int) -> dict:
    """The import and the floor, each run :data:`REPEAT` times in turn into fresh stores, the least of each kept:
    on a machine shared with other work a single run of either moved the ratio by half."""
    path = OUT / f"import-{rows}.csv"
    parsed = make_file(path, rows)
    imports, floors = [], []
    for _ in range(REPEAT):
        imports.append(timed_import(backend, path))
        floors.append(timed_floor(backend, parsed))
    import_seconds, floor_seconds = min(seconds for seconds, _ in imports), min(seconds for seconds, _ in floors)
    return {
        "rows": rows,
        "stored": imports[0][1],
        "floor_stored": floors[0][1],
        "repeat": REPEAT,
        "import_runs": [seconds for seconds, _ in imports],
        "floor_runs": [seconds for seconds, _ in floors],
        "import_seconds": import_seconds,
        "floor_seconds": floor_seconds,
        "import_rows_per_second": rows / import_seconds,
        "floor_rows_per_second": rows / floor_seconds,
        "ratio": floor_seconds / import_seconds,
    }


def main() -> None:
    result = {"sqlite": {**measure("sqlite", ROWS), "durability": sqlite_durability()}}
    for setup, durability in pg_setups():
        result[setup] = {**measure("postgresql", PG_ROWS), "durability": durability}
    save("import", result)
    for setup, figures in result.items():
        line(
            f"import of {figures['rows']:,} checkpoint_counts rows on {setup} "
            f"({durability_text(figures['durability'])}): "
            f"{figures['import_rows_per_second']:,.0f} rows/s ({figures['import_seconds']:.1f} s) vs bare executemany "
            f"{figures['floor_rows_per_second']:,.0f} rows/s ({figures['floor_seconds']:.1f} s) → "
            f"{figures['ratio']:.3f}× the floor (target ≥ 0.5×)"
        )


if __name__ == "__main__":
    main()
