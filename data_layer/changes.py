"""Which writes change what the pages of a domain show, so that a page that follows the data live
(:mod:`ui.live`) is drawn again for the entries it shows, not for every entry anywhere.

A write is told apart by the table its audit row names. The pages of one domain show that domain's tables and
the other domains' master data (a supply issue names the checkpoint it went to), so they pass over the other
domains' ledgers only: at shift change the checkpoints' counts redraw the checkpoints page and the overview, not
the quarantine page a leader has open. Every other write (a setting, an account, an archive of the store, a
table no domain declares) counts for every page, so a write this module does not know of errs towards a redraw.

A read of a domain's units alone (the checkpoints a clerk picks from, marked :func:`reads_units_only`) has a
narrower scope still, :func:`units_scope`: only a write to that unit table, or one no domain declares, changes
it, so the counts of a shift change leave the pickers' lists cached for every phone.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from functools import cache
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer.db import audit_log
from data_layer.users import DOMAINS, UNIT_TABLES

Read = TypeVar("Read", bound=Callable)
UNITS_ONLY = "reads_units_only"
"""The attribute :func:`reads_units_only` sets on a read."""


@cache
def ledger_tables(domain: str) -> frozenset[str]:
    """The tables ``domain``'s package declares (``data_layer.<domain>.tables``) but its master data (the units
    of :data:`~data_layer.users.UNIT_TABLES`): its ledgers and the per-day tables kept with them."""
    module = importlib.import_module(f"data_layer.{domain}.tables")
    declared = {table.name for table in vars(module).values() if isinstance(table, sa.Table)}
    return frozenset(declared - {UNIT_TABLES[domain]})


def declared_tables() -> frozenset[str]:
    """Every table a domain declares: its units and its ledgers."""
    return frozenset(UNIT_TABLES.values()).union(*(ledger_tables(domain) for domain in DOMAINS))


def units_scope(domain: str) -> str:
    """The scope of a read of ``domain``'s units alone (:func:`reads_units_only`)."""
    return f"{domain}.units"


UNIT_SCOPES = {units_scope(domain): domain for domain in DOMAINS}


def passed_over_by(scope: str | None) -> frozenset[str]:
    """The tables whose writes leave what a scope shows as it was. A domain's pages pass over the other
    domains' ledgers; a read of a domain's units alone, every declared table but that unit table; the whole
    picture (the overview and the wall, ``scope`` None), none."""
    if scope is None:
        return frozenset()
    if scope in UNIT_SCOPES:
        return declared_tables() - {UNIT_TABLES[UNIT_SCOPES[scope]]}
    return frozenset().union(*(ledger_tables(other) for other in DOMAINS if other != scope))


def reads_units_only(query: Read) -> Read:
    """Mark a read of a domain's package that reads the domain's unit table and nothing else (a list of the
    checkpoints to pick from), so that its cached result is kept through the ledgers' entries."""
    setattr(query, UNITS_ONLY, True)
    return query


def domain_of_read(module: str) -> str | None:
    """The domain whose package a read's module belongs to (``data_layer.quarantine.figures``: quarantine), or
    None for a read of the whole picture (the briefing, the situation, the audit log)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "data_layer" and parts[1] in DOMAINS else None


def scope_of_read(query: Callable) -> str | None:
    """What a read shows, for the writes that change it: its domain (:func:`domain_of_read`), that domain's
    units alone for a read marked :func:`reads_units_only`, or the whole picture (None)."""
    domain = domain_of_read(query.__module__)
    if domain is not None and getattr(query, UNITS_ONLY, False):
        return units_scope(domain)
    return domain


def changed_for(conn: Connection, scope: str | None, after: int, upto: int) -> bool:
    """Whether a write between the data versions ``after`` (excluded) and ``upto`` (included) changed what
    ``scope`` (a domain's pages, :func:`passed_over_by`) shows."""
    return newest_change_for(conn, scope, after, upto) is not None


def newest_change_for(conn: Connection, scope: str | None, after: int, upto: int) -> int | None:
    """The newest data version between ``after`` (excluded) and ``upto`` (included) whose write changed what
    ``scope`` shows, or None. It reads the audit rows of those versions by their ids: the rows written since the
    page was drawn or last checked, a handful at shift change."""
    query = sa.select(sa.func.max(audit_log.c.id)).where(audit_log.c.id > after, audit_log.c.id <= upto)
    passed_over = passed_over_by(scope)
    if passed_over:
        query = query.where(audit_log.c.table_name.not_in(sorted(passed_over)))
    return conn.execute(query).scalar()
