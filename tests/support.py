"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import io
import multiprocessing
import os
import queue
import re
import sqlite3
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Dataframe

from data_layer import clock, enterprises, quarantine
from data_layer.db import Actor, load_schema, perform
from data_layer.derived import DERIVED_TABLES
from data_layer.errors import ImportRejected, ValidationError
from data_layer.i18n import LANGUAGES, catalog, translate
from data_layer.validation import id_check_char

BACKEND = os.environ.get("COMMAND_POST_TEST_BACKEND", "sqlite")
PG_URL = os.environ.get("COMMAND_POST_TEST_PG", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
ROOT = Path(__file__).resolve().parent.parent
TODAY = clock.today()
SPAWN = multiprocessing.get_context("spawn")
_TEST_RUNNER_MAIN = sys.modules["__main__"]
CATALOG_KEY = re.compile(r"\b(" + "|".join(sorted({key.split(".")[0] for key in catalog("en")})) + r")\.")
"""A catalog key (``error.required``, ``quarantine.page.tab``) left in a message instead of its words."""


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


def snapshot(engine: Engine, tables: Iterable[str] | None = None) -> dict[str, int]:
    """How many rows each of ``tables`` (every table of the schema when ``None``) and the audit log hold, in one
    query: equal before and after a refused write, it proves the write left nothing behind."""
    names = sorted({*(load_schema().tables if tables is None else tables), "audit_log"})
    query = "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {name})" for name in names)
    with engine.connect() as conn:
        return dict(zip(names, conn.execute(sa.text(query)).one(), strict=True))


def assert_in_words(refusal: ValidationError | ImportRejected) -> None:
    """The refusal reads as sentences in both languages: no catalog key in place of words, Chinese characters in
    the Chinese, and the two languages saying it differently (an untranslated message would read the same)."""
    messages = {language: refusal.messages(language) for language in LANGUAGES}
    for language, lines in messages.items():
        assert lines, f"no {language} message"
        for message in lines:
            assert message and not CATALOG_KEY.search(message), message
    assert re.search(r"[\u4e00-\u9fff]", " ".join(messages["zh_CN"])), messages["zh_CN"]
    assert messages["zh_CN"] != messages["en"]


def assert_explained(errors) -> None:
    """Every problem names its field and reads as a sentence in both languages (no catalog gap)."""
    assert errors
    for error in errors:
        assert error.field
        for language in LANGUAGES:
            assert translate(error.label, language) != error.label, f"no {language} label {error.label}"
            assert translate(error.key, language, **error.params) != error.key, f"no {language} text {error.key}"
            assert error.message(language)


def assert_refused(
    engine: Engine, call: Callable[[], object], field: str, tables: Iterable[str] | None = None
) -> ValidationError:
    """``call`` is refused with a ``ValidationError`` naming ``field``, in words in both languages, and writes
    nothing: ``tables`` (every table when ``None``) and the audit log hold as many rows as before."""
    before = snapshot(engine, tables)
    with pytest.raises(ValidationError) as refusal:
        call()
    assert field in refusal.value.fields, refusal.value.fields
    assert_in_words(refusal.value)
    assert snapshot(engine, tables) == before
    return refusal.value


def assert_write_refused(
    engine: Engine, actor: Actor, operation: Callable, *args: object, field: str, **kwargs: object
) -> ValidationError:
    """``assert_refused`` for ``operation(*args, **kwargs)`` performed by ``actor`` through the write path."""
    return assert_refused(engine, lambda: perform(engine, actor, operation, *args, **kwargs), field)


def assert_import_refused(engine: Engine, call: Callable[[], object], row: int, column: str) -> ImportRejected:
    """The import ``call`` is rejected naming ``row`` and ``column``, in words in both languages, and writes
    nothing to any table."""
    before = snapshot(engine)
    with pytest.raises(ImportRejected) as rejection:
        call()
    assert (row, column) in [(problem.row, problem.column) for problem in rejection.value.row_errors]
    assert_in_words(rejection.value)
    assert snapshot(engine) == before
    return rejection.value


def ago(days: int) -> date:
    """The day ``days`` before today (after it when negative)."""
    return TODAY - timedelta(days=days)


def id_number(n: int, prefix: str = "11010519900101") -> str:
    """A valid ID number for test person ``n``: ``prefix`` (region and date of birth), ``n`` as the sequence
    code and the check character the validator expects."""
    first = f"{prefix}{n:03d}"
    return first + id_check_char(first)


def register_enterprise(
    engine: Engine,
    admin: Actor,
    name: str,
    status: str,
    on: date,
    reason: str | None = None,
    contact: str | None = None,
) -> int:
    """A shop of the first grid registered with ``status`` since ``on``; its id."""
    fields = {"name": name, "kind": "shop", "sector": "餐饮", "grid": "第一网格", "employees": 3, "contact": contact}
    return perform(
        engine, admin, enterprises.add_enterprise, {**fields, "status": status, "status_date": on, "reason": reason}
    )


def quarantine_person(n: int, start: date, **fields: object) -> dict[str, object]:
    """The register's fields for test person ``n`` (see :func:`id_number`) in home quarantine from ``start``,
    ``fields`` overriding any of them."""
    person = {
        "name": f"测试{n}",
        "id_number": id_number(n),
        "phone": f"1380000{n:04d}",
        "grid": "第一网格",
        "address": "示例小区1栋",
        "origin": "外省示例市",
        "origin_category": "other_province",
        "mode": "home",
        "start_date": start,
    }
    return {**person, **fields}


def register_person(engine: Engine, admin: Actor, n: int, start: date, **fields: object) -> int:
    """Register :func:`quarantine_person`; the episode's id."""
    return perform(engine, admin, quarantine.register, quarantine_person(n, start, **fields))


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
            return (
                conn.execute(
                    sa.text(
                        "SELECT COUNT(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                        "WHERE c.relname = 'checkpoint_counts' AND l.mode = 'RowExclusiveLock' "
                        "AND l.pid <> pg_backend_pid() "
                        "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                ).scalar_one()
                > 0
            )
    finally:
        engine.dispose()


def open_page(monkeypatch: pytest.MonkeyPatch, url: str, who: Actor | None, page: str, language: str = "zh") -> AppTest:
    """The app opened on ``page`` by ``who`` (a visitor who has not signed in when ``None``), in ``language``.

    The first run (the overview, app.py's default page) is in Chinese: AppTest
    evaluates a rendered widget's ``format_func`` outside the script run, where
    a translated label falls back to Chinese. The navigation refuses a page
    ``who`` may not use with a ``ValueError``; a page that fails fails the test.
    """
    monkeypatch.setenv("COMMAND_POST_DB", url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    if who is not None:
        app.session_state["actor"] = who
    app.query_params["lang"] = "zh"
    app.run()
    app.switch_page(str(ROOT / page))
    app.query_params["lang"] = language
    app.run()
    assert not app.exception, [item.value for item in app.exception]
    return app


def spawn_processes(target: Callable, argument_lists: Iterable[tuple]) -> list[BaseProcess]:
    """Start one spawned process (:data:`SPAWN`) per argument tuple, running ``target(*arguments)``.

    A spawned child first re-runs its parent's ``__main__``. AppTest installs the page it ran as
    ``sys.modules["__main__"]`` and leaves it there, so a child spawned after a page test would run that page,
    outside Streamlit, before its target, and may never reach it. The children start from the test runner's own
    main module instead.
    """
    processes = [SPAWN.Process(target=target, args=arguments) for arguments in argument_lists]
    page_left_as_main = sys.modules["__main__"]
    sys.modules["__main__"] = _TEST_RUNNER_MAIN
    try:
        for process in processes:
            process.start()
    finally:
        sys.modules["__main__"] = page_left_as_main
    return processes


def collect_results(processes: list[BaseProcess], results: multiprocessing.queues.Queue, timeout: float) -> list:
    """One result from ``results`` per process. Fails at once, naming the exit codes, when a process has ended
    without giving its result, instead of waiting out ``timeout``; kills what still runs at the end."""
    deadline = time.monotonic() + timeout
    collected: list = []
    try:
        while len(collected) < len(processes):
            try:
                collected.append(results.get(timeout=1))
                continue
            except queue.Empty:
                pass
            ended = [process.exitcode for process in processes if process.exitcode is not None]
            assert len(ended) < len(processes) or not results.empty(), (
                f"every process ended but only {len(collected)} of {len(processes)} gave a result; exit codes {ended}"
            )
            assert all(code == 0 for code in ended), f"a process failed; exit codes {ended}"
            assert time.monotonic() < deadline, f"{len(processes) - len(collected)} processes still running"
    finally:
        for process in processes:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    return collected


def legacy_workbook(*sheets: tuple[str, list[list]], merged_title: str | None = None) -> bytes:
    """An old Excel 97–2003 .xls of ``sheets`` (title, rows), as WPS or an old Excel saves it: dates as date
    cells, numbers as numbers; a first row of only ``merged_title`` is merged across the table."""
    import xlwt

    workbook = xlwt.Workbook(encoding="utf-8")
    moment = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
    for title, rows in sheets:
        sheet = workbook.add_sheet(title)
        for index, row in enumerate(rows):
            if merged_title is not None and row == [merged_title]:
                sheet.write_merge(index, index, 0, max(map(len, rows)) - 1, merged_title)
                continue
            for column, value in enumerate(row):
                if isinstance(value, date):
                    sheet.write(index, column, value, moment)
                elif value is not None:
                    sheet.write(index, column, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def differences_from_rebuild(engine: Engine) -> dict[str, tuple[list, list]]:
    """Each derived table whose rows differ from what its rebuild writes: the stored rows and the rebuilt ones."""
    differences = {}
    with engine.connect() as conn:
        for derived in DERIVED_TABLES:
            stored = derived.content(conn)
            derived.rebuild(conn)
            rebuilt = derived.content(conn)
            if stored != rebuilt:
                differences[derived.table.name] = (stored, rebuilt)
        conn.rollback()
    return differences
