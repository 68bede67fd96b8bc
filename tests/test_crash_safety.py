"""kill -9 in the middle of writing: the store stays sound and every entry is in once or not at all.

An import killed half-way through a large file leaves the database intact (``PRAGMA integrity_check`` on
SQLite) with the file wholly in or wholly out, and the same file imports afterwards. A process killed inside a
write (the app process behind a form that is being submitted) leaves the entry stored once or not at all, and
the clerk's resubmission of that form (same token) then stores it exactly once.

The server side of a form submit is a call of ``write()`` with the form's token; these tests kill a process
that makes exactly that call, at chosen and at random moments, which is what killing the Streamlit server
during a submit does to the data layer.
"""

from __future__ import annotations

import csv
import os
import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_layer import checkpoints, clock
from data_layer.db import Actor, perform
from data_layer.errors import DuplicateSubmission
from data_layer.transfer import max_import_rows
from support import count_rows, sqlite_path, write_lock_held

ROOT = Path(__file__).resolve().parent.parent
ADMIN = Actor("admin-test", "admin")
IMPORT_ROWS = max_import_rows()
"""The most rows a file may have: storing them takes the import a second or more, while it checks them column by
column before it takes the write lock, in a fraction of that."""
CHECKPOINT_COUNT = 20


def integrity(url: str) -> str:
    """SQLite's own verdict on the file (``ok``), or ``ok`` for PostgreSQL, whose server keeps its own files."""
    path = sqlite_path(url)
    if path is None:
        return "ok"
    with sqlite3.connect(path) as conn:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def add_checkpoints(engine) -> None:
    for number in range(1, CHECKPOINT_COUNT + 1):
        perform(
            engine, ADMIN, checkpoints.add_checkpoint, {"name": f"卡口{number:02d}", "grid": "第一网格", "kind": "road"}
        )


def counts_file(path: Path, rows: int) -> Path:
    first = clock.now().replace(minute=0, second=0) - timedelta(hours=rows // CHECKPOINT_COUNT + 2)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["卡口名称", "开始时间", "结束时间", "检测人数", "检查车辆", "发热人数", "劝返人数", "备注"])
        for number in range(rows):
            hour, checkpoint = divmod(number, CHECKPOINT_COUNT)
            start = first + timedelta(hours=hour)
            writer.writerow(
                [
                    f"卡口{checkpoint + 1:02d}",
                    f"{start:%Y-%m-%d %H:%M}",
                    f"{start + timedelta(hours=1):%Y-%m-%d %H:%M}",
                    number % 300,
                    number % 50,
                    0,
                    number % 3,
                    "批量导入",
                ]
            )
    return path


def run_import(url: str, path: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "data_layer", "import", "checkpoint_counts", str(path), "--db", url],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the process ended before it was killed: {process.communicate()}"
        assert time.monotonic() < deadline, "the process never got that far"
        time.sleep(0.05)


def test_an_import_killed_half_way_leaves_the_file_wholly_out_and_the_store_sound(engine, db_url, tmp_path):
    add_checkpoints(engine)
    audit_before = count_rows(engine, "audit_log")
    path = counts_file(tmp_path / "counts.csv", IMPORT_ROWS)
    process = run_import(db_url, path)
    wait_for(lambda: write_lock_held(db_url), process)  # its rows checked, it is storing them in its transaction
    assert process.poll() is None, "the import finished before it could be killed; make the file larger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    engine.dispose()  # what the killed process left behind is read afresh
    assert integrity(db_url) == "ok"
    assert count_rows(engine, "checkpoint_counts") == 0  # killed before its commit: nothing of the file is in
    assert count_rows(engine, "audit_log") == audit_before

    again = run_import(db_url, path)
    _, errors = again.communicate(timeout=600)
    assert again.returncode == 0, errors
    assert count_rows(engine, "checkpoint_counts") == IMPORT_ROWS
    assert integrity(db_url) == "ok"


WRITER = textwrap.dedent("""
    import sys, time
    from datetime import datetime, timedelta
    from data_layer import checkpoints
    from data_layer.db import Actor, connect, write

    url, mode, first_hour, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    engine = connect(url)
    actor = Actor("clerk-1", "clerk", (("checkpoints", frozenset({1})),))
    base = datetime.fromisoformat(first_hour)

    def entry(number):
        start = base + timedelta(hours=number)
        return {"checkpoint": 1, "period_start": start, "period_end": start + timedelta(hours=1),
                "persons": 100 + number, "vehicles": 5, "fever": 0, "turned_back": 0}

    def work_for(number):
        def work(ctx):
            entry_id = checkpoints.add_count(ctx, entry(number))
            if mode == "stop-inside":
                print("inside", entry_id, flush=True)
                time.sleep(600)  # killed here: the entry and its token are written but not committed
            return entry_id
        return work

    for number in range(count):
        write(engine, actor, work_for(number), token=f"form-{number}")
        print("saved", number, flush=True)
    if mode == "stop-after":
        time.sleep(600)  # killed here: committed, but the clerk never saw "saved" on screen
""")


def start_writer(url: str, mode: str, base: datetime, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, mode, base.isoformat(), str(count)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )


def resubmit(engine, base: datetime, number: int) -> str:
    """The clerk presses "submit" again on the same form (same token) once the app is back."""
    start = base + timedelta(hours=number)
    data = {
        "checkpoint": 1,
        "period_start": start,
        "period_end": start + timedelta(hours=1),
        "persons": 100 + number,
        "vehicles": 5,
        "fever": 0,
        "turned_back": 0,
    }
    try:
        perform(
            engine,
            Actor("clerk-1", "clerk", (("checkpoints", frozenset({1})),)),
            checkpoints.add_count,
            data,
            token=f"form-{number}",
        )
        return "stored"
    except DuplicateSubmission:
        return "duplicate"


def stored_hours(engine, base: datetime) -> list[int]:
    with engine.connect() as conn:
        starts = conn.execute(sa.select(checkpoints.checkpoint_counts.c.period_start)).scalars().all()
    return sorted(int((start - base).total_seconds() // 3600) for start in starts)


@pytest.fixture
def one_checkpoint(engine):
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "一号卡口", "grid": "第一网格", "kind": "road"})
    return clock.now().replace(minute=0, second=0) - timedelta(days=20)


def test_killed_inside_the_write_the_entry_is_not_stored_and_the_resubmission_stores_it_once(
    engine, db_url, one_checkpoint
):
    base = one_checkpoint
    process = start_writer(db_url, "stop-inside", base, 1)
    assert process.stdout.readline().startswith("inside"), process.stderr.read()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    engine.dispose()
    assert integrity(db_url) == "ok"
    assert stored_hours(engine, base) == []
    assert count_rows(engine, "submission_tokens") == 0  # the token went with the entry: the form may be sent again
    assert resubmit(engine, base, 0) == "stored"
    assert resubmit(engine, base, 0) == "duplicate"
    assert stored_hours(engine, base) == [0]


def test_killed_after_the_commit_the_entry_is_stored_and_the_resubmission_is_a_duplicate(
    engine, db_url, one_checkpoint
):
    base = one_checkpoint
    process = start_writer(db_url, "stop-after", base, 1)
    assert process.stdout.readline().startswith("saved"), process.stderr.read()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)

    engine.dispose()
    assert integrity(db_url) == "ok"
    assert stored_hours(engine, base) == [0]
    assert resubmit(engine, base, 0) == "duplicate"
    assert stored_hours(engine, base) == [0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_at_a_random_moment_every_entry_is_in_once_or_not_at_all(engine, db_url, one_checkpoint, seed):
    base = one_checkpoint
    process = start_writer(db_url, "run", base, 400)
    assert process.stdout.readline().startswith("saved"), process.stderr.read()
    time.sleep(random.Random(seed).uniform(0.05, 1.0))
    os.kill(process.pid, signal.SIGKILL)
    remaining, _ = process.communicate(timeout=30)
    acknowledged = 1 + sum(1 for row in remaining.splitlines() if row.startswith("saved"))

    engine.dispose()
    assert integrity(db_url) == "ok"
    stored = stored_hours(engine, base)
    # Every entry the clerk saw "saved" for is there; the one in flight is there or not; none is there twice.
    assert stored in (list(range(acknowledged)), list(range(acknowledged + 1))), (acknowledged, stored[-3:])
    in_flight = acknowledged
    expected = "duplicate" if len(stored) > acknowledged else "stored"
    assert resubmit(engine, base, in_flight) == expected
    assert stored_hours(engine, base) == list(range(acknowledged + 1))
    assert count_rows(engine, "submission_tokens") == acknowledged + 1
