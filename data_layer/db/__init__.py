"""The store and the one way to write to it.

- :mod:`~data_layer.db.store`: the engine, the shared tables, migrations, the data version and settings reads;
- :mod:`~data_layer.db.writes`: :func:`write` and :class:`WriteContext`, one transaction with its audit row;
- :mod:`~data_layer.db.bulk`: many rows in one statement, and the per-day counters;
- :mod:`~data_layer.db.running`: running totals per key and day (a stock, the things held);
- :mod:`~data_layer.db.master`: finding a row of master data by name or id, one at a time or for a batch;
- :mod:`~data_layer.db.backup`: an online copy of a SQLite store.
"""

from data_layer.actor import Actor
from data_layer.db.backup import BACKUP_STEP_PAGES, backup_sqlite
from data_layer.db.bulk import add_to_counters, insert_columns, insert_on_conflict
from data_layer.db.master import Directory, Finder, MasterLookup, referenced_row
from data_layer.db.running import add_from_day, latest_on, take_turns
from data_layer.db.store import (
    DOMAIN_MODULES,
    IMPORT_BATCH,
    MIGRATIONS_DIR,
    Record,
    Rows,
    alembic_config,
    audit_log,
    connect,
    data_version,
    database_url,
    get_setting,
    import_batch_column,
    is_sqlite,
    last_change,
    load_schema,
    metadata,
    migrate,
    schema_revision,
    settings,
    submission_tokens,
    truncate_wal,
)
from data_layer.db.writes import (
    UNLOCKED_ATTEMPTS,
    WRITE_ATTEMPTS,
    WriteContext,
    perform,
    put_setting,
    write,
)

__all__ = [
    "BACKUP_STEP_PAGES",
    "DOMAIN_MODULES",
    "IMPORT_BATCH",
    "MIGRATIONS_DIR",
    "UNLOCKED_ATTEMPTS",
    "WRITE_ATTEMPTS",
    "Actor",
    "Directory",
    "Finder",
    "MasterLookup",
    "Record",
    "Rows",
    "WriteContext",
    "add_from_day",
    "add_to_counters",
    "alembic_config",
    "audit_log",
    "backup_sqlite",
    "connect",
    "data_version",
    "database_url",
    "get_setting",
    "import_batch_column",
    "insert_columns",
    "insert_on_conflict",
    "is_sqlite",
    "last_change",
    "latest_on",
    "load_schema",
    "metadata",
    "migrate",
    "perform",
    "put_setting",
    "referenced_row",
    "schema_revision",
    "settings",
    "submission_tokens",
    "take_turns",
    "truncate_wal",
    "write",
]
