"""An online, consistent copy of a live SQLite store (``python -m data_layer backup``, the administration page)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import Engine

from data_layer.db.store import driver_connection

BACKUP_STEP_PAGES = 2048  # 8 MiB of 4 KiB pages between two progress reports


def backup_sqlite(engine: Engine, target: Path, progress: Callable[[int, int], None] | None = None) -> None:
    """Copy a live SQLite database to ``target`` with SQLite's online backup.

    Writers may go on meanwhile; the copy is the database as of one committed
    moment, never a torn file. ``progress(done, total)`` hears the pages
    copied after each step of :data:`BACKUP_STEP_PAGES`: the source's read
    transaction is held across the steps, so writers committing in between
    neither tear the copy nor make SQLite start it over.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    source = engine.raw_connection()
    try:
        snapshot = driver_connection(source)
        snapshot.execute("BEGIN")
        snapshot.execute("SELECT COUNT(*) FROM sqlite_master").fetchall()
        destination = sqlite3.connect(target)
        try:
            snapshot.backup(
                destination, pages=BACKUP_STEP_PAGES, progress=None if progress is None else _pages_copied(progress)
            )
        finally:
            destination.close()
            snapshot.execute("ROLLBACK")
    finally:
        source.close()


def _pages_copied(progress: Callable[[int, int], None]) -> Callable[[int, int, int], None]:
    """SQLite's backup callback (status, pages remaining, pages in all) as ``progress(done, total)``."""

    def report(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    return report
