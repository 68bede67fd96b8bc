"""Which writes change what the pages of a domain show, so that a page that follows the data live
(:mod:`ui.live`) is drawn again for the entries it shows, not for every entry anywhere.

A write is told apart by the table its audit row names. The pages of one domain show that domain's tables and
the other domains' master data (a supply issue names the checkpoint it went to), so they pass over the other
domains' ledgers only: at shift change the checkpoints' counts redraw the checkpoints page and the overview, not
the quarantine page a leader has open. Every other write (a setting, an account, an archive of the store, a
table no domain declares) counts for every page, so a write this module does not know of errs towards a redraw.
"""

from __future__ import annotations

import importlib
from functools import cache

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import audit_log
from data_layer.users import DOMAINS, UNIT_TABLES


@cache
def ledger_tables(domain: str) -> frozenset[str]:
    """The tables ``domain``'s package declares (``data_layer.<domain>.tables``) but its master data (the units
    of :data:`~data_layer.users.UNIT_TABLES`): its ledgers and the per-day tables kept with them."""
    module = importlib.import_module(f"data_layer.{domain}.tables")
    declared = {table.name for table in vars(module).values() if isinstance(table, sa.Table)}
    return frozenset(declared - {UNIT_TABLES[domain]})


def passed_over_by(domain: str | None) -> frozenset[str]:
    """The tables whose writes leave what ``domain``'s pages show as it was: the other domains' ledgers. The
    whole picture (the overview and the wall, ``domain`` None) passes over none."""
    if domain is None:
        return frozenset()
    return frozenset().union(*(ledger_tables(other) for other in DOMAINS if other != domain))


def domain_of_read(module: str) -> str | None:
    """The domain whose package a read's module belongs to (``data_layer.quarantine.figures``: quarantine), or
    None for a read of the whole picture (the briefing, the situation, the audit log)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "data_layer" and parts[1] in DOMAINS else None


def changed_for(conn: Connection, domain: str | None, after: int, upto: int) -> bool:
    """Whether a write between the data versions ``after`` (excluded) and ``upto`` (included) changed what
    ``domain``'s pages show."""
    return newest_change_for(conn, domain, after, upto) is not None


def newest_change_for(conn: Connection, domain: str | None, after: int, upto: int) -> int | None:
    """The newest data version between ``after`` (excluded) and ``upto`` (included) whose write changed what
    ``domain``'s pages show, or None. It reads the audit rows of those versions by their ids: the rows written
    since the page was drawn or last checked, a handful at shift change."""
    query = sa.select(sa.func.max(audit_log.c.id)).where(audit_log.c.id > after, audit_log.c.id <= upto)
    passed_over = passed_over_by(domain)
    if passed_over:
        query = query.where(audit_log.c.table_name.not_in(sorted(passed_over)))
    return conn.execute(query).scalar()
