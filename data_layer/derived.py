"""The derived per-day tables, listed once: each is kept by its domain's ``update_<table>`` in the transaction
of every write to its ledger, and computed afresh from the ledger by ``rebuild_<table>``.

The loaders that insert ledger rows in bulk around the write functions (the district benchmark) rebuild every
table listed here, and the test of the derived tables checks each against its rebuild after every kind of
write; a new per-day table is added to :data:`DERIVED_TABLES` with its rebuild.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.checkpoints.counts import rebuild_checkpoint_daily_totals
from data_layer.checkpoints.tables import checkpoint_daily_totals
from data_layer.enterprises.day_tables import rebuild_enterprise_status_days, rebuild_rectification_days
from data_layer.enterprises.tables import enterprise_status_days, rectification_days
from data_layer.quarantine.followups import rebuild_quarantine_followup_days
from data_layer.quarantine.tables import quarantine_followup_days
from data_layer.supplies.entries import rebuild_supply_daily_stock
from data_layer.supplies.tables import supply_daily_stock


@dataclass(frozen=True)
class DerivedTable:
    """A per-day table and the function that computes it afresh from its ledger.

    ``counts`` are the columns that say what the row's day adds. An updater keeps a row whose counts have all
    gone back to zero (a correction moved the day's only entry away), where a rebuild writes no row; such a
    row says nothing, so :meth:`content` leaves it out, and leaves out surrogate ids too. A table of running
    totals only (:mod:`data_layer.db.running`) has no such columns: each of its rows says what holds from its
    day on, a zero included, and each is compared."""

    table: sa.Table
    rebuild: Callable[[Connection], None]
    counts: tuple[str, ...]

    def content(self, conn: Connection) -> list[tuple]:
        """The table's rows that say something, as sorted tuples of their columns other than a surrogate id (a
        missing reason sorts after every reason)."""
        columns = [column for column in self.table.columns if not (column.primary_key and column.name == "id")]
        query = sa.select(*columns)
        if self.counts:
            query = query.where(sa.or_(*(self.table.c[name] != 0 for name in self.counts)))
        rows = [tuple(row) for row in conn.execute(query)]
        return sorted(rows, key=lambda row: [(value is None, value) for value in row])


DERIVED_TABLES: tuple[DerivedTable, ...] = (
    DerivedTable(
        checkpoint_daily_totals,
        rebuild_checkpoint_daily_totals,
        ("entries", "persons", "vehicles", "fever", "turned_back"),
    ),
    DerivedTable(supply_daily_stock, rebuild_supply_daily_stock, ("on_hand", "received", "sent", "issued")),
    DerivedTable(enterprise_status_days, rebuild_enterprise_status_days, ()),
    DerivedTable(rectification_days, rebuild_rectification_days, ()),
    DerivedTable(quarantine_followup_days, rebuild_quarantine_followup_days, ("readings",)),
)


def rebuild_all(conn: Connection) -> None:
    """Compute every derived table afresh from its ledger, in the caller's transaction."""
    for derived in DERIVED_TABLES:
        derived.rebuild(conn)
