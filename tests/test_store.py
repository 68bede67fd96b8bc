"""The store itself: SQLite settings, the one write path, tokens, data version, migrations."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from data_layer import db
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
    assert db.database_url() == db.DEFAULT_URL


def test_write_is_audited_with_user_and_values(engine, admin):
    write(engine, admin, lambda ctx: _put(ctx, "risk_level", "low"))
    with engine.connect() as conn:
        row = conn.execute(sa.select(db.audit_log)).mappings().one()
    assert row["username"] == admin.username
    assert row["action"] == "setting.put"
    assert '"low"' in row["after"]


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
