"""Opening a database made by the previous schema version upgrades it with every row intact."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from data_layer import checkpoints, clock, db, enterprises, quarantine, supplies
from sample_data import generate_sample


def previous_revision() -> str:
    with db.connect("sqlite://").connect() as conn:
        script = ScriptDirectory.from_config(db.alembic_config(conn))
    return script.get_revision(script.get_current_head()).down_revision


def domain_figures(engine) -> list:
    """Today's figures of the four domains."""
    with engine.connect() as conn:
        return [domain.figures(conn, clock.today()) for domain in (checkpoints, quarantine, supplies, enterprises)]


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {name: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in names if name != "alembic_version"}


def copy_into_older_schema(source, target) -> None:
    """Fill ``target`` (an older schema) with ``source``'s rows, column by column as far as the older one has them."""
    older = sa.MetaData()
    older.reflect(target)
    current = db.load_schema().tables
    with source.connect() as reading, target.begin() as writing:
        for table in older.sorted_tables:
            if table.name == "alembic_version":
                continue
            columns = [current[table.name].c[column.name] for column in table.columns]
            rows = [dict(row) for row in reading.execute(sa.select(*columns)).mappings()]
            if rows:
                writing.execute(table.insert(), rows)


def test_upgrade_from_previous_schema_keeps_every_row(database_factory):
    current = db.connect(database_factory.fresh_url())
    generate_sample(current, days=5)
    older = db.connect(database_factory.empty_url())
    db.migrate(older, previous_revision())
    copy_into_older_schema(current, older)
    before = row_counts(older)

    db.migrate(older)

    assert db.schema_revision(older) == db.schema_revision(current)
    after = row_counts(older)
    assert {name: after[name] for name in before} == before, "a table that existed lost or gained rows"
    assert sum(before.values()) > 1000
    assert domain_figures(older) == domain_figures(current)
    for engine in (current, older):
        engine.dispose()


def test_upgrade_clears_failed_sign_in_names_that_match_no_account(database_factory):
    """Before revision 0015 a failed sign-in kept the typed name verbatim, a password typed into the name field
    included; the upgrade clears such names from the failures and their audit rows, and keeps account names."""
    older = db.connect(database_factory.empty_url())
    db.migrate(older, "0014")
    now = clock.now()
    with older.begin() as conn:
        conn.execute(sa.text("INSERT INTO users (username, role, password_hash, active, created_at) "
                             "VALUES ('zhang', 'clerk', 'hash', :active, :at)"), {"active": True, "at": now})
        for row_id, typed in [(1, "zhang"), (2, "first-secret-1")]:
            conn.execute(sa.text("INSERT INTO sign_in_failures (id, username, at) VALUES (:id, :typed, :at)"),
                         {"id": row_id, "typed": typed, "at": now})
            conn.execute(sa.text("INSERT INTO audit_log (at, username, action, table_name, row_id, after) "
                                 "VALUES (:at, 'sign-in', 'user.sign_in_failed', 'sign_in_failures', :id, :after)"),
                         {"at": now, "id": str(row_id), "after": f'{{"username": "{typed}"}}'})

    db.migrate(older)

    with older.connect() as conn:
        names = conn.execute(sa.text("SELECT username FROM sign_in_failures ORDER BY id")).scalars().all()
        audited = " ".join(conn.execute(sa.text("SELECT after FROM audit_log")).scalars())
    older.dispose()
    assert names == ["zhang", None]
    assert "first-secret-1" not in audited and "zhang" in audited
