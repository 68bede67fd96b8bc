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
    """Today's figures of the four domains (the parts of the briefing every schema version has)."""
    with engine.connect() as conn:
        return [domain.figures(conn, clock.today()) for domain in (checkpoints, quarantine, supplies, enterprises)]


def row_counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        names = sa.inspect(conn).get_table_names()
        return {name: conn.execute(sa.text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()
                for name in names if name != "alembic_version"}


def test_upgrade_from_previous_schema_keeps_every_row(database_factory):
    engine = db.connect(database_factory.empty_url())
    db.migrate(engine, previous_revision())
    generate_sample(engine, days=5)
    before = row_counts(engine)
    figures_before = domain_figures(engine)

    db.migrate(engine)

    after = row_counts(engine)
    assert db.schema_revision(engine) != previous_revision()
    assert {name: after[name] for name in before} == before
    assert sum(before.values()) > 1000
    assert domain_figures(engine) == figures_before
    engine.dispose()
