"""The store itself: SQLite settings, the one write path, tokens, data version, migrations."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from data_layer import clock, db, settings
from data_layer.checkpoints import checkpoint_counts, checkpoints
from data_layer.db import Actor, WriteContext, connect, migrate, write
from data_layer.errors import DuplicateSubmission, FieldError, ValidationError
from support import BACKEND, audit_rows, count_rows, postgres_server_url


def _put(ctx: WriteContext, key: str, value: str) -> None:
    db.put_setting(ctx, key, value)


def test_sqlite_store_uses_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = connect(f"sqlite:///{tmp_path / 'store.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000


def test_default_url_comes_from_environment(monkeypatch):
    monkeypatch.setenv("COMMAND_POST_DB", "sqlite:///elsewhere.db")
    assert db.database_url() == "sqlite:///elsewhere.db"
    assert db.database_url("sqlite:///given.db") == "sqlite:///given.db"
    monkeypatch.delenv("COMMAND_POST_DB")
    assert db.database_url() == settings.DB.default


def test_write_is_audited_with_user_and_values(engine, admin):
    write(engine, admin, lambda ctx: _put(ctx, "risk_level", "low"))
    with engine.connect() as conn:
        row = conn.execute(sa.select(db.audit_log)).mappings().one()
    assert row["username"] == admin.username
    assert row["action"] == "setting.put"
    assert '"low"' in row["after"]


def _stored(engine, table: str) -> list[dict]:
    """The rows of ``table`` as the driver reads them (on SQLite the very text stored), without their ids."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT * FROM {table} ORDER BY id")
        return [{name: value for name, value in row._mapping.items() if name != "id"} for row in rows]


NOTE = '夜班\t"东门" \\N 换岗\n'  # what a bulk load could mistake for its own quotes, separators or NULL


def test_rows_inserted_in_bulk_are_stored_and_audited_as_a_row_inserted_alone(engine, admin, monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 20, 16, 5, 7, 250))
    entry = {
        "checkpoint_id": 1,
        "period_start": datetime(2026, 11, 20, 8),
        "period_end": datetime(2026, 11, 20, 16),
        "persons": 12,
        "vehicles": 0,
        "fever": 1,
        "turned_back": 0,
        "note": NOTE,
        "entered_by": admin.username,
        "entered_at": clock.now(),
    }

    def work(ctx: WriteContext) -> list[int]:
        ctx.insert(
            checkpoints,
            "checkpoints.add_checkpoint",
            {"name": "东门", "grid": "一网格", "kind": "road", "latitude": 30.5, "longitude": None, "active": True},
        )
        alone = ctx.insert(checkpoint_counts, "checkpoints.add_count", entry)
        return [alone, *ctx.insert_many(checkpoint_counts, "checkpoints.add_count", [entry, {**entry, "note": None}])]

    assert write(engine, admin, work, batch="import:checkpoint_counts") == [1, 2, 3]
    counts, audit = _stored(engine, "checkpoint_counts"), _stored(engine, "audit_log")
    assert counts[1:] == [counts[0], {**counts[0], "note": None}]
    alone = audit[1]
    without_note = alone["after"].replace(json.dumps(NOTE, ensure_ascii=False), "null")
    assert audit[2:] == [{**alone, "row_id": "2"}, {**alone, "row_id": "3", "after": without_note}]
    assert '"note": null' in audit[3]["after"]


def test_a_bulk_insert_refused_by_the_database_raises_its_integrity_error_and_stores_nothing(engine, admin):
    entry = {
        "checkpoint_id": 99,
        "period_start": datetime(2026, 11, 20, 8),
        "period_end": datetime(2026, 11, 20, 16),
        "persons": 1,
        "vehicles": 0,
        "fever": 0,
        "turned_back": 0,
        "note": None,
        "entered_by": admin.username,
        "entered_at": datetime(2026, 11, 20, 16, 5),
    }
    with pytest.raises(sa.exc.IntegrityError):
        write(engine, admin, lambda ctx: ctx.insert_many(checkpoint_counts, "checkpoints.add_count", [entry]))
    assert count_rows(engine, "checkpoint_counts") == 0
    assert audit_rows(engine) == 0


def test_refused_write_leaves_no_row_and_no_audit(engine, admin):
    def refuse(ctx: WriteContext) -> None:
        _put(ctx, "risk_level", "high")
        raise ValidationError([FieldError("risk_level", "users.field.role", "error.required")])

    with pytest.raises(ValidationError):
        write(engine, admin, refuse)
    assert count_rows(engine, "settings") == 0
    assert audit_rows(engine) == 0


def test_second_submission_with_same_token_stores_nothing(engine, admin):
    write(engine, admin, lambda ctx: _put(ctx, "risk_level", "low"), token="form-1")
    with pytest.raises(DuplicateSubmission):
        write(engine, admin, lambda ctx: _put(ctx, "risk_level", "high"), token="form-1")
    assert db.get_setting(engine, "risk_level") == "low"
    assert audit_rows(engine) == 1


@pytest.mark.parametrize(("result", "answered"), [(7, 7), ((None, 3, 5), [None, 3, 5]), (object(), None)])
def test_the_same_form_sent_again_is_answered_with_what_the_first_write_returned(engine, admin, result, answered):
    """A result JSON cannot hold is not kept: the repeat is then only told it was stored once."""

    def store(ctx: WriteContext) -> object:
        _put(ctx, "risk_level", "low")
        return result

    write(engine, admin, store, token="form-1")
    with pytest.raises(DuplicateSubmission) as repeat:
        write(engine, admin, store, token="form-1")
    assert repeat.value.result == answered


def test_refused_submission_frees_its_token_for_the_corrected_form(engine, admin):
    def refuse(ctx: WriteContext) -> None:
        raise ValidationError([FieldError("x", "users.field.role", "error.required")])

    with pytest.raises(ValidationError):
        write(engine, admin, refuse, token="form-2")
    write(engine, admin, lambda ctx: _put(ctx, "risk_level", "medium"), token="form-2")
    assert db.get_setting(engine, "risk_level") == "medium"


def test_data_version_grows_with_every_write(engine, admin):
    before = db.data_version(engine)
    write(engine, admin, lambda ctx: _put(ctx, "a", "1"))
    assert db.data_version(engine) == before + 1
    assert db.last_change(engine) is not None


def test_migrations_produce_exactly_the_declared_schema(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), db.load_schema())
    assert differences == []


def test_init_on_an_up_to_date_database_changes_nothing(engine, admin):
    write(engine, admin, lambda ctx: _put(ctx, "risk_level", "low"))
    migrate(engine)
    assert db.get_setting(engine, "risk_level") == "low"
    assert db.schema_revision(engine) is not None


@pytest.mark.skipif(BACKEND != "sqlite", reason="this run is on PostgreSQL")
def test_postgresql_server_answers():
    """The PostgreSQL run of CI needs the server; here we only prove it is reachable."""
    url = postgres_server_url()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()


def test_clerk_actor_knows_its_units():
    clerk = Actor("c", "clerk", (("checkpoints", frozenset({3})),))
    assert clerk.units("checkpoints") == frozenset({3})
    assert clerk.units("supplies") is None
