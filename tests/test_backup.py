"""A backup taken while clerks are writing restores to a sound database holding every entry committed before it.

On SQLite the backup is the data layer's own (``backup_sqlite``, the command line's ``backup``): SQLite's online
backup of one committed moment. On PostgreSQL the command line sends the operator to ``pg_dump``, and that is
what is tested there: a dump taken while writers write, restored into a new database.

Consistency is checked beyond the integrity check: every entry in the restored store has its audit row (no
transaction is torn in two), and the restored store holds nothing the live one does not.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from data_layer import checkpoints, clock, db
from data_layer.briefing import build_briefing
from data_layer.db import Actor, backup_sqlite, connect, is_sqlite, migrate, perform, schema_revision
from support import SPAWN, collect_results, require_or_skip, spawn_processes

ADMIN = Actor("admin-test", "admin")
WRITERS = 3


def _keep_writing(url: str, checkpoint_id: int, started, stop, results) -> None:
    """Enter one-hour counts for one checkpoint, going back an hour each time, until told to stop."""
    engine = connect(url)
    actor = Actor(f"clerk-{checkpoint_id}", "clerk", (("checkpoints", frozenset({checkpoint_id})),))
    base = clock.now().replace(minute=0, second=0) - timedelta(days=1)
    number, errors = 0, []
    while not stop.is_set() and number < 5000:
        start = base - timedelta(hours=number)
        try:
            perform(
                engine,
                actor,
                checkpoints.add_count,
                {
                    "checkpoint": checkpoint_id,
                    "period_start": start,
                    "period_end": start + timedelta(hours=1),
                    "persons": number,
                    "vehicles": 1,
                    "fever": 0,
                    "turned_back": 0,
                },
                token=f"b-{checkpoint_id}-{number}",
            )
        except Exception as error:  # collected: the test asserts there were none
            errors.append(f"{type(error).__name__}: {error}")
        number += 1
        if number == 20:
            started.release()
    engine.dispose()
    results.put((number, errors))


def entries(url: str) -> set[tuple[int, str]]:
    engine = connect(url)
    with engine.connect() as conn:
        found = {
            (row[0], str(row[1]))
            for row in conn.execute(
                sa.select(checkpoints.checkpoint_counts.c.checkpoint_id, checkpoints.checkpoint_counts.c.period_start)
            )
        }
    engine.dispose()
    return found


def audited_entries(url: str) -> tuple[int, int]:
    engine = connect(url)
    with engine.connect() as conn:
        counted = conn.execute(sa.select(sa.func.count()).select_from(checkpoints.checkpoint_counts)).scalar_one()
        audited = conn.execute(
            sa.text("SELECT COUNT(*) FROM audit_log WHERE action = 'checkpoints.add_count'")
        ).scalar_one()
    engine.dispose()
    return counted, audited


def wait_until_started(processes: list, started) -> None:
    """Wait for each writer's first entries, failing at once when a writer ends before it got going."""
    deadline = time.monotonic() + 300
    for _ in processes:
        while not started.acquire(timeout=1):
            ended = [process.exitcode for process in processes if process.exitcode is not None]
            assert not ended, f"a writer ended before it got going; exit codes {ended}"
            assert time.monotonic() < deadline, "the writers did not get going"


def backup_while_writing(url: str, take_backup) -> tuple[set, set]:
    """Start the writers, take the backup in the middle of their work; the entries committed before the backup
    began and the entries in the live store at the end."""
    engine = connect(url)
    for number in range(1, WRITERS + 1):
        perform(
            engine, ADMIN, checkpoints.add_checkpoint, {"name": f"卡口{number}", "grid": "第一网格", "kind": "road"}
        )
    engine.dispose()
    started, stop, results = SPAWN.Semaphore(0), SPAWN.Event(), SPAWN.Queue()
    processes = spawn_processes(
        _keep_writing, [(url, number, started, stop, results) for number in range(1, WRITERS + 1)]
    )
    try:
        wait_until_started(processes, started)
        committed_before = entries(url)
        take_backup()
        time.sleep(0.3)  # the writers go on after the backup too
    finally:
        stop.set()
        outcomes = collect_results(processes, results, 300)
    assert [error for _, errors in outcomes for error in errors] == []
    return committed_before, entries(url)


def check_restored(restored_url: str, committed_before: set, live_at_end: set) -> None:
    restored = entries(restored_url)
    assert committed_before <= restored, f"{len(committed_before - restored)} committed entries missing"
    assert restored <= live_at_end
    counted, audited = audited_entries(restored_url)
    assert counted == audited, "an entry without its audit row: a transaction torn by the backup"
    engine = connect(restored_url)
    migrate(engine)  # opening a restored store is a no-op upgrade
    assert schema_revision(engine) is not None
    with engine.connect() as conn:
        assert build_briefing(conn, clock.today())["checkpoints"]["active_checkpoints"] == WRITERS
    engine.dispose()


def test_a_backup_taken_while_writers_write_restores_completely_and_consistently(
    engine, db_url, database_factory, tmp_path
):
    if is_sqlite(engine):
        backup = tmp_path / "backup.db"
        committed_before, live_at_end = backup_while_writing(db_url, lambda: backup_sqlite(engine, backup))
        restored = tmp_path / "restored.db"
        shutil.copyfile(backup, restored)
        with sqlite3.connect(restored) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        check_restored(f"sqlite:///{restored}", committed_before, live_at_end)
        return

    require_or_skip(
        shutil.which("pg_dump") is not None and shutil.which("pg_restore") is not None, "pg_dump and pg_restore"
    )
    dump = tmp_path / "backup.dump"
    plain = sa.engine.make_url(db_url).set(drivername="postgresql").render_as_string(hide_password=False)

    def take_dump() -> None:
        subprocess.run(["pg_dump", "--format=custom", "--file", str(dump), plain], check=True, timeout=300)

    committed_before, live_at_end = backup_while_writing(db_url, take_dump)
    restored_url = database_factory.empty_url()
    subprocess.run(
        [
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "--dbname",
            sa.engine.make_url(restored_url).set(drivername="postgresql").render_as_string(hide_password=False),
            str(dump),
        ],
        check=True,
        timeout=300,
    )
    check_restored(restored_url, committed_before, live_at_end)


def test_the_command_line_backup_of_sqlite_is_a_database_file(engine, db_url, tmp_path):
    if not is_sqlite(engine):
        result = subprocess.run(
            [sys.executable, "-m", "data_layer", "backup", str(tmp_path / "x.db"), "--db", db_url],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert result.returncode != 0 and "pg_dump" in result.stderr
        return
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "卡口1", "grid": "第一网格", "kind": "road"})
    target = tmp_path / "nested" / "copy.db"
    result = subprocess.run(
        [sys.executable, "-m", "data_layer", "backup", str(target), "--db", db_url],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 0, result.stderr
    assert entries(f"sqlite:///{target}") == entries(db_url) == set()
    copy = connect(f"sqlite:///{target}")
    with copy.connect() as conn:
        assert conn.execute(sa.select(checkpoints.checkpoints.c.name)).scalars().all() == ["卡口1"]
    copy.dispose()


def test_a_backup_in_steps_reports_its_progress_and_keeps_the_moment_it_began(engine, tmp_path, monkeypatch):
    """A write committed between two steps is not in the copy, and the copy is whole."""
    if not is_sqlite(engine):
        pytest.skip("the online backup copies SQLite files; PostgreSQL is pg_dump's job (tested above)")
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "卡口1", "grid": "第一网格", "kind": "road"})
    monkeypatch.setattr(db.backup, "BACKUP_STEP_PAGES", 1)
    reports: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        if not reports:
            perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "卡口2", "grid": "第一网格", "kind": "road"})
        reports.append((done, total))

    backup_sqlite(engine, tmp_path / "copy.db", progress=progress)

    assert len(reports) > 2
    assert [done for done, _ in reports] == sorted(done for done, _ in reports)
    assert reports[-1][0] == reports[-1][1]
    copy = connect(f"sqlite:///{tmp_path / 'copy.db'}")
    with copy.connect() as conn:
        assert conn.execute(sa.text("PRAGMA integrity_check")).scalar() == "ok"
        assert conn.execute(sa.select(checkpoints.checkpoints.c.name)).scalars().all() == ["卡口1"]
    copy.dispose()
