"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from data_layer.validation import id_check_char

BACKEND = os.environ.get("COMMAND_POST_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("COMMAND_POST_TEST_PG", "")
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_or_skip(available: bool, what: str) -> None:
    """Skip a test whose outside part is missing here, but fail it in CI, where it must be present."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but is not available")
    pytest.skip(f"{what} is not available on this machine")


def postgres_server_url() -> str:
    require_or_skip(bool(PG_URL), "a PostgreSQL server (COMMAND_POST_TEST_PG)")
    return PG_URL


def count_rows(engine: Engine, table: str) -> int:
    """How many rows ``table`` holds; tests use it to prove a refusal wrote nothing."""
    with engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()


def audit_rows(engine: Engine) -> int:
    return count_rows(engine, "audit_log")


def id_number(n: int, prefix: str = "11010519900101") -> str:
    """A valid ID number for test person ``n``: ``prefix`` (region and date of birth), ``n`` as the sequence
    code and the check character the validator expects."""
    first = f"{prefix}{n:03d}"
    return first + id_check_char(first)


def page_text(app: AppTest) -> str:
    """Everything the page sends to the browser as text: every element's message, with tables as their values."""
    parts: list[str] = []

    def walk(node) -> None:
        if isinstance(node, Dataframe):
            parts.append(node.value.to_csv())
        elif hasattr(node, "proto"):
            parts.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(app._tree)
    return "\n".join(parts)


def sqlite_path(url: str) -> str | None:
    return sa.engine.make_url(url).database if url.startswith("sqlite") else None


def write_lock_held(url: str) -> bool:
    """Whether some other process has a write transaction open on the store right now."""
    path = sqlite_path(url)
    if path is not None:
        conn = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as error:
            return "locked" in str(error) or "busy" in str(error)
        finally:
            conn.close()
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE c.relname = 'checkpoint_counts' AND l.mode = 'RowExclusiveLock' "
                "AND l.pid <> pg_backend_pid() "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")).scalar_one() > 0
    finally:
        engine.dispose()
