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
