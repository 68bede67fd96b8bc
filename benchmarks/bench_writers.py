"""Entry commit latency: 20 writer processes entering at once against one writer alone, SQLite and PostgreSQL.

Each writer is a process of its own with its own engine, as each app process is, and enters checkpoint
counts for its own checkpoint through the data layer's write path (``perform(add_count)`` with a form token:
validation, overlap check, insert, audit row, commit). The latency of an entry is the time that call takes,
retries included: what a clerk waits for between pressing "submit" and seeing "saved".

Two loads are measured with 20 writers: a burst, in which every writer submits its next entry the moment
the last one is saved (20 clerks pressing submit without pause: the worst case), and a paced one, in which
each writer submits about twice a second, which is still some thousand times what 20 checkpoints enter
in a real shift.

PostgreSQL is measured as the server is configured and, unless ``BENCH_PG_DURABLE=0``, once more with its
durability settings on (``benchmarks.common.durable_pg``).
"""

from __future__ import annotations

import multiprocessing
import os
import random
import statistics
import time
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa

from benchmarks.common import (
    SETUPS,
    drop_pg_database,
    durability_text,
    fresh_store,
    line,
    percentile,
    pg_setups,
    save,
    sqlite_durability,
)
from data_layer import checkpoints
from data_layer.db import Actor, connect, perform

WRITERS = int(os.environ.get("BENCH_WRITERS", "20"))
ENTRIES = int(os.environ.get("BENCH_ENTRIES", "100"))
PACED_INTERVAL = 0.5
ADMIN = Actor("bench-admin", "admin")


def _writer(url: str, checkpoint_id: int, entries: int, pause: float, barrier, results) -> None:
    engine = connect(url)
    actor = Actor(f"bench-writer-{checkpoint_id}", "admin")
    base = datetime.now().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    rng = random.Random(checkpoint_id)
    latencies, errors = [], []
    with engine.connect() as conn:  # open the pool's connection before the start, as a running app has
        conn.execute(sa.text("SELECT 1"))
    barrier.wait()
    for number in range(entries):
        if pause:
            time.sleep(rng.uniform(0, 2 * pause))
        start = base - timedelta(hours=number + 1)
        data = {
            "checkpoint": checkpoint_id,
            "period_start": start,
            "period_end": start + timedelta(hours=1),
            "persons": rng.randint(0, 300),
            "vehicles": rng.randint(0, 100),
            "fever": 0,
            "turned_back": 0,
        }
        started = time.perf_counter()
        try:
            perform(engine, actor, checkpoints.add_count, data, token=uuid.uuid4().hex)
        except Exception as error:  # a refusal or a lock surfaced to the clerk: counted, never hidden
            errors.append(f"{type(error).__name__}: {error}")
        latencies.append(time.perf_counter() - started)
    engine.dispose()
    results.put((latencies, errors))


def run(url: str, writers: int, entries: int, pause: float) -> dict:
    # Forked writers start at once (a spawned one first imports the data layer, a second of CPU each); the parent
    # holds no open connection when it forks.
    context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    barrier = context.Barrier(writers)
    results = context.Queue()
    processes = [
        context.Process(target=_writer, args=(url, number + 1, entries, pause, barrier, results))
        for number in range(writers)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    collected = [results.get(timeout=900) for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    latencies = [value for values, _ in collected for value in values]
    errors = [error for _, found in collected for error in found]
    engine = connect(url)
    with engine.connect() as conn:
        stored, distinct = conn.execute(
            sa.text(
                "SELECT COUNT(*), COUNT(DISTINCT checkpoint_id || '@' || CAST(period_start AS VARCHAR(40))) "
                "FROM checkpoint_counts"
            )
        ).one()
    engine.dispose()
    return {
        "writers": writers,
        "entries": len(latencies),
        "p50_ms": percentile(latencies, 0.5) * 1000,
        "p95_ms": percentile(latencies, 0.95) * 1000,
        "max_ms": max(latencies) * 1000,
        "mean_ms": statistics.mean(latencies) * 1000,
        "seconds": elapsed,
        "errors": errors[:5],
        "error_count": len(errors),
        "rows": stored,
        "distinct_rows": distinct,
    }


def prepare(backend: str, name: str, writers: int) -> str:
    url = fresh_store(backend, name)
    engine = connect(url)
    for number in range(writers):
        perform(
            engine,
            ADMIN,
            checkpoints.add_checkpoint,
            {"name": f"卡口{number + 1:02d}", "grid": "第一网格", "kind": "road"},
        )
    engine.dispose()
    return url


def measure(backend: str) -> dict:
    """One writer alone, then :data:`WRITERS` in a burst and paced, each on a fresh store of ``backend``."""
    alone = run(prepare(backend, f"writers_{backend}_alone", 1), 1, ENTRIES * 2, 0)
    burst = run(prepare(backend, f"writers_{backend}_burst", WRITERS), WRITERS, ENTRIES, 0)
    paced = run(prepare(backend, f"writers_{backend}_paced", WRITERS), WRITERS, ENTRIES // 2, PACED_INTERVAL)
    if backend == "postgresql":
        for label in ("alone", "burst", "paced"):
            drop_pg_database(f"cp_bench_writers_{backend}_{label}")
    return {
        "alone": alone,
        "burst": burst,
        "paced": paced,
        "burst_p95_vs_alone": burst["p95_ms"] / alone["p95_ms"],
        "paced_p95_vs_alone": paced["p95_ms"] / alone["p95_ms"],
    }


def main() -> None:
    result: dict = {"writers": WRITERS, "entries_per_writer": ENTRIES}
    result["sqlite"] = {**measure("sqlite"), "durability": sqlite_durability()}
    for setup, durability in pg_setups():
        result[setup] = {**measure("postgresql"), "durability": durability}
    for setup in SETUPS:
        if setup not in result:
            continue
        figures_of = result[setup]
        alone = figures_of["alone"]
        line(
            f"entry commit on {setup} ({durability_text(figures_of['durability'])}): one writer alone "
            f"p50 {alone['p50_ms']:.1f} ms, p95 {alone['p95_ms']:.1f} ms"
        )
        for label, figures in (("burst", figures_of["burst"]), ("paced ~2/s each", figures_of["paced"])):
            line(
                f"  {WRITERS} writers, {label}: p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms "
                f"(max {figures['max_ms']:.0f} ms) → p95 {figures['p95_ms'] / alone['p95_ms']:.1f}× alone "
                f"(target ≤ 10×); {figures['rows']} of {figures['entries']} rows stored, "
                f"{figures['rows'] - figures['distinct_rows']} duplicated, {figures['error_count']} errors shown"
            )
            for error in figures["errors"]:
                line(f"    error: {error}")
    save("writers", result)


if __name__ == "__main__":
    main()
