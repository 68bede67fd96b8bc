"""Opening a database made by the previous schema version upgrades it with every row intact; so does upgrading
from the first revision to the newest, one revision at a time; and no migration imports live code."""

from __future__ import annotations

import ast
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from data_layer import checkpoints, clock, db, enterprises, quarantine, supplies
from data_layer.derived import DERIVED_TABLES
from sample_data import generate_sample


def migration_scripts() -> ScriptDirectory:
    with db.connect("sqlite://").connect() as conn:
        return ScriptDirectory.from_config(db.alembic_config(conn))


def previous_revision() -> str:
    script = migration_scripts()
    return script.get_revision(script.get_current_head()).down_revision


def domain_figures(engine) -> list:
    """Today's figures of the four domains."""
    with engine.connect() as conn:
        return [domain.figures(conn, clock.today()) for domain in (checkpoints, quarantine, supplies, enterprises)]


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {
            name: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
            for name in names
            if name != "alembic_version"
        }


def copy_into_older_schema(source, target) -> None:
    """Fill ``target`` (an older schema) with ``source``'s rows, column by column as far as the older one has them,
    in place of the rows its migrations wrote (the sender's lease row of 0017)."""
    older = sa.MetaData()
    older.reflect(target)
    current = db.load_schema().tables
    with source.connect() as reading, target.begin() as writing:
        for table in reversed(older.sorted_tables):
            if table.name != "alembic_version":
                writing.execute(table.delete())
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
        conn.execute(
            sa.text(
                "INSERT INTO users (username, role, password_hash, active, created_at) "
                "VALUES ('zhang', 'clerk', 'hash', :active, :at)"
            ),
            {"active": True, "at": now},
        )
        for row_id, typed in [(1, "zhang"), (2, "first-secret-1")]:
            conn.execute(
                sa.text("INSERT INTO sign_in_failures (id, username, at) VALUES (:id, :typed, :at)"),
                {"id": row_id, "typed": typed, "at": now},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO audit_log (at, username, action, table_name, row_id, after) "
                    "VALUES (:at, 'sign-in', 'user.sign_in_failed', 'sign_in_failures', :id, :after)"
                ),
                {"at": now, "id": str(row_id), "after": f'{{"username": "{typed}"}}'},
            )

    db.migrate(older)

    with older.connect() as conn:
        names = conn.execute(sa.text("SELECT username FROM sign_in_failures ORDER BY id")).scalars().all()
        audited = " ".join(conn.execute(sa.text("SELECT after FROM audit_log")).scalars())
    older.dispose()
    assert names == ["zhang", None]
    assert "first-secret-1" not in audited and "zhang" in audited


SAMPLE_VALUES = {
    int: 1,
    str: "a",
    date: date(2020, 2, 3),
    datetime: datetime(2020, 2, 3, 8, 30),
    bool: True,
    float: 1.0,
    Decimal: Decimal(1),
}
"""One value per column type: 1 for every integer, so that each foreign key names the first row of the table it
refers to; "a" for every text, so that a failed sign-in's name is an account's (revision 0015 keeps those)."""


def sample_row(table: sa.Table) -> dict:
    """A row of ``table`` with a value in every column but a reference to a row of the same table (a correction
    of itself); the derived tables are left to the migrations that fill them."""
    return {
        column.name: None
        if any(key.column.table.name == table.name for key in column.foreign_keys)
        else SAMPLE_VALUES[column.type.python_type]
        for column in table.columns
    }


def fill_empty_tables(engine, derived: set[str]) -> dict[str, dict]:
    """Insert a :func:`sample_row` into every table of the current schema that is empty and not derived;
    returns the rows inserted, by table."""
    schema = sa.MetaData()
    schema.reflect(engine)
    inserted = {}
    with engine.begin() as conn:
        for table in schema.sorted_tables:
            if table.name in derived or table.name == "alembic_version":
                continue
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0:
                inserted[table.name] = sample_row(table)
                conn.execute(table.insert(), inserted[table.name])
    return inserted


def stored_values(engine, table_name: str, row: dict) -> dict:
    """The columns of ``row`` as ``table_name`` now holds them, looked up by the row's primary key."""
    schema = sa.MetaData()
    table = sa.Table(table_name, schema, autoload_with=engine)
    key = [table.c[column.name] == row[column.name] for column in table.primary_key.columns]
    with engine.connect() as conn:
        stored = conn.execute(sa.select(*(table.c[name] for name in row)).where(*key)).mappings().first()
    return None if stored is None else dict(stored)


def derived_tables_unlike_their_rebuild(engine) -> list[str]:
    with engine.connect() as conn:
        unlike = []
        for derived in DERIVED_TABLES:
            stored = derived.content(conn)
            derived.rebuild(conn)
            if derived.content(conn) != stored:
                unlike.append(derived.table.name)
        conn.rollback()
    return unlike


def test_upgrading_one_revision_at_a_time_from_the_first_keeps_every_row_of_every_table(database_factory):
    engine = db.connect(database_factory.empty_url())
    derived = {derived.table.name for derived in DERIVED_TABLES}
    inserted = {}
    for script in reversed(list(migration_scripts().walk_revisions())):
        db.migrate(engine, script.revision)
        inserted.update(fill_empty_tables(engine, derived))

    assert db.schema_revision(engine) == migration_scripts().get_current_head()
    changed = {
        name: (row, stored_values(engine, name, row))
        for name, row in inserted.items()
        if stored_values(engine, name, row) != row
    }
    assert changed == {}, "a row inserted at an earlier revision was lost or changed"
    counts = row_counts(engine)
    assert sorted(name for name, count in counts.items() if count == 0) == []
    assert set(counts) == set(db.load_schema().tables)
    assert derived_tables_unlike_their_rebuild(engine) == []
    engine.dispose()


def imported_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
    return modules


def test_no_migration_imports_the_data_layer_so_a_later_change_cannot_change_an_old_migration():
    importing = {
        path.name: sorted(
            module
            for module in imported_modules(path.read_text(encoding="utf-8"))
            if module.split(".")[0] == "data_layer"
        )
        for path in sorted(db.MIGRATIONS_DIR.rglob("*.py"))
    }
    assert {name: modules for name, modules in importing.items() if modules} == {}
