"""What the benchmarks share: the databases they measure, a frozen clock, timing and the results files.

Every benchmark reads the command post as it stood at the end of one fixed day, :data:`END` (the district's
last day and the sample's), with the command post's clock frozen at :data:`FROZEN_NOW`, so that the
generated databases stay valid and can be cached under ``benchmarks/out/`` from one run to the next.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa

from benchmarks.district import DAYS as DISTRICT_DAYS
from data_layer import clock, users
from data_layer.db import Actor, connect, migrate, perform

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
RESULTS_DIR = OUT / "results"
END = date(2026, 11, 23)
FROZEN_NOW = datetime(2026, 11, 23, 23, 30)
SAMPLE_DAYS = 30
DISTRICT_VERSION = 1
BENCH_ADMIN = Actor("bench-admin", "admin")
WALL_TOKEN = "bench-wall-device"
"""The device token of the benchmark stores' wall account: a served wall opens ``/?device=WALL_TOKEN``."""
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
"""Debian's Chromium, as the browser tests drive it (tests/e2e/e2e_support.py)."""
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
"""A phone as a clerk holds it: 390 × 844 CSS pixels, a touch screen, a mobile browser (the browser tests' too)."""
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
"""A page with no script run under way (the browser tests' too)."""
PG_SERVER = os.environ.get(
    "COMMAND_POST_BENCH_PG",
    os.environ.get("COMMAND_POST_TEST_PG", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres"),
)


def scale() -> float:
    """The district's size for this run: ``BENCH_SCALE`` (1 = the full district)."""
    return float(os.environ.get("BENCH_SCALE", "1"))


def freeze_clock(moment: datetime = FROZEN_NOW) -> None:
    """Make the command post's clock read ``moment`` in this process (the data layer asks :mod:`clock`)."""
    clock.now = lambda: moment
    clock.today = lambda: moment.date()


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def pg_available() -> bool:
    try:
        engine = sa.create_engine(PG_SERVER)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


def pg_database(name: str) -> str:
    """A new, empty PostgreSQL database called ``name`` on the benchmark server (dropped first); its URL."""
    server = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    server.dispose()
    return sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)


SETUPS = ("sqlite", "postgresql", "postgresql-durable")
"""The stores the write benchmarks measure, in the report's order (see :func:`pg_setups`)."""
DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")
"""The PostgreSQL settings that decide whether a commit waits for the disk. A production server has them on; the
throw-away test server of ``.ci/run`` (and of this machine) has them off. All three take effect on a reload."""


def pg_durability() -> dict[str, str]:
    """The benchmark server's :data:`DURABILITY_SETTINGS` as it reports them now (``SHOW``)."""
    engine = sa.create_engine(PG_SERVER)
    with engine.connect() as conn:
        found = {name: conn.exec_driver_sql(f"SHOW {name}").scalar_one() for name in DURABILITY_SETTINGS}
    engine.dispose()
    return found


def durable_runs_wanted() -> bool:
    """Whether the PostgreSQL figures are measured a second time with durability on (``BENCH_PG_DURABLE``,
    on unless ``0``)."""
    return os.environ.get("BENCH_PG_DURABLE", "1") != "0"


@contextmanager
def durable_pg() -> Iterator[dict[str, str]]:
    """The benchmark server with every one of :data:`DURABILITY_SETTINGS` on, as a production server runs,
    for the time of the block; yields the settings as the server then reports them.

    ``fsync`` is the server's, not a session's: it is set by ``ALTER SYSTEM`` and a reload (no restart), for
    every database of the server, and set back to the value found before, reloaded again, however the block
    ends. A superuser's connection is needed (``COMMAND_POST_BENCH_PG``)."""
    before = pg_durability()
    _alter_system(dict.fromkeys(DURABILITY_SETTINGS, "on"))
    try:
        yield pg_durability()
    finally:
        _alter_system(before)
        restored = pg_durability()
        if restored != before:
            raise RuntimeError(f"the server's durability settings were not restored: {restored} (was {before})")


def _alter_system(values: dict[str, str]) -> None:
    """Set server-wide settings (``ALTER SYSTEM``), reload the configuration and wait until the server uses them
    (a reload reaches the backends a moment later)."""
    server = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        for name, value in values.items():
            conn.exec_driver_sql(f"ALTER SYSTEM SET {name} = {value}")
        conn.exec_driver_sql("SELECT pg_reload_conf()")
    server.dispose()
    for _ in range(50):
        if pg_durability() == values:
            return
        time.sleep(0.1)
    raise RuntimeError(f"the server did not take the settings {values}: {pg_durability()}")


def pg_setups() -> Iterator[tuple[str, dict[str, str]]]:
    """The PostgreSQL setups to measure, each as a key for the results and the server's durability settings:
    ``postgresql``, the server as it is configured, and ``postgresql-durable`` (:func:`durable_pg`) when
    :func:`durable_runs_wanted` and the server is not durable already. Nothing when no server is reachable."""
    if not pg_available():
        return
    configured = pg_durability()
    yield "postgresql", configured
    if durable_runs_wanted() and set(configured.values()) != {"on"}:
        with durable_pg() as durable:
            yield "postgresql-durable", durable


def sqlite_durability() -> dict[str, str]:
    """What a SQLite store of the app commits with (``data_layer.db.connect``): the write-ahead log, and a sync
    of it on every commit."""
    engine = connect("sqlite://")
    with engine.connect() as conn:
        synchronous = conn.exec_driver_sql("PRAGMA synchronous").scalar_one()
    engine.dispose()
    return {"journal_mode": "wal", "synchronous": {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[synchronous]}


def durability_text(settings: dict[str, str]) -> str:
    """The settings as the report names them: ``fsync=off, synchronous_commit=off, …``."""
    return ", ".join(f"{name}={value}" for name, value in settings.items())


def drop_pg_database(name: str) -> None:
    server = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    server.dispose()


def fresh_store(backend: str, name: str) -> str:
    """An empty, migrated store on ``backend`` (``sqlite`` or ``postgresql``) for one benchmark; its URL."""
    if backend == "postgresql":
        url = pg_database(f"cp_bench_{name}")
    else:
        path = OUT / "scratch" / f"{name}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_sqlite(path)
        url = sqlite_url(path)
    engine = connect(url)
    migrate(engine)
    engine.dispose()
    return url


def sample_store() -> str:
    """The sample command post (:data:`SAMPLE_DAYS` days ending :data:`END`), built once and cached."""
    path = OUT / f"sample-{SAMPLE_DAYS}d-{END}.db"
    if not path.exists():
        from sample_data import generate_sample

        freeze_clock()
        partial = path.with_suffix(".partial")
        remove_sqlite(partial)
        engine = connect(sqlite_url(partial))
        migrate(engine)
        started = time.perf_counter()
        generate_sample(engine, days=SAMPLE_DAYS)
        engine.dispose()
        _compact(partial)
        partial.rename(path)
        print(f"sample store built in {time.perf_counter() - started:.0f} s", flush=True)
    return _upgraded(path)


def sample_store_pg(name: str) -> str:
    """The sample command post generated afresh into the PostgreSQL database ``name`` (dropped first), for a
    benchmark that serves it from several app processes; its URL."""
    from sample_data import generate_sample

    freeze_clock()
    url = fresh_store("postgresql", name)
    engine = connect(url)
    generate_sample(engine, days=SAMPLE_DAYS)
    engine.dispose()
    return url


def district_store(fraction: float | None = None, days: int = DISTRICT_DAYS) -> tuple[str, dict]:
    """The district at ``fraction`` of full size (default :func:`scale`) with ``days`` of history in SQLite,
    generated once and cached; its URL and the generator's report (rows, seconds)."""
    fraction = scale() if fraction is None else fraction
    history = "" if days == DISTRICT_DAYS else f"-d{days}"
    path = OUT / f"district-v{DISTRICT_VERSION}-s{fraction:g}{history}-{END}.db"
    report_path = path.with_suffix(".json")
    if not path.exists():
        partial = path.with_suffix(".partial")
        remove_sqlite(partial)
        print(f"generating the district at scale {fraction:g} (once; cached in {path.name}) …", flush=True)
        output = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks.district",
                sqlite_url(partial),
                "--scale",
                str(fraction),
                "--days",
                str(days),
                "--end",
                END.isoformat(),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        report = json.loads(output)
        _compact(partial)
        partial.rename(path)
        report_path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    return _upgraded(path), json.loads(report_path.read_text())


def _upgraded(path: Path) -> str:
    """The URL of a cached store, upgraded to the newest schema first: a store cached by an older version
    of the code gets the tables and indexes added since (the migrations keep and backfill every row)."""
    engine = connect(sqlite_url(path))
    migrate(engine)
    engine.dispose()
    _compact(path)
    return sqlite_url(path)


def _compact(path: Path) -> None:
    """Fold the write-ahead log into the file, so that the cached database is one file."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def copy_sqlite(url: str, name: str) -> str:
    """A scratch copy of a cached SQLite store, for a benchmark that writes into it."""
    source = Path(sa.engine.make_url(url).database)
    target = OUT / "scratch" / f"{name}.db"
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_sqlite(target)
    shutil.copyfile(source, target)
    return sqlite_url(target)


def least_seconds(work: Callable[[], object], repeat: int) -> float:
    """The least wall time of ``repeat`` runs of ``work``. Work of a few milliseconds is now and then
    interrupted by whatever else the machine does; the least run is the one that was not, which is the cost
    of the work itself (the convention of Python's ``timeit``)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile (0.95 for p95), nearest-rank."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def save(name: str, result: dict) -> None:
    """Keep one benchmark's figures for the report (``benchmarks/out/results/NAME.json``)."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=str))


def line(text: str) -> None:
    print(text, flush=True)


@contextmanager
def timer() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    yield lambda: time.perf_counter() - started


def machine() -> dict:
    """What the figures were measured on."""
    memory_kb = next(
        int(row.split()[1]) for row in Path("/proc/meminfo").read_text().splitlines() if row.startswith("MemTotal")
    )
    cpu = next(
        (
            row.split(":", 1)[1].strip()
            for row in Path("/proc/cpuinfo").read_text().splitlines()
            if row.startswith("model name")
        ),
        platform.processor(),
    )
    import sqlite3

    postgres = None
    if pg_available():
        engine = sa.create_engine(PG_SERVER)
        with engine.connect() as conn:
            postgres = conn.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres,
        "system": f"{platform.system()} {platform.release()}",
        "load_average": os.getloadavg(),
    }


def with_wall_token(url: str) -> None:
    """Give the store's wall account the token :data:`WALL_TOKEN` (a cached store may predate device tokens)."""
    engine = connect(url)
    migrate(engine)
    perform(engine, BENCH_ADMIN, users.issue_device_token, "wall", WALL_TOKEN)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def served_app(url: str, **settings: str) -> Iterator[tuple[subprocess.Popen, int]]:
    """`streamlit run app.py` over ``url`` with the clock frozen (``benchmarks.serve_frozen``) on a free port,
    ``settings`` as further environment variables; yields the server process and its port once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.serve_frozen",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.runOnSave",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env={**os.environ, "COMMAND_POST_DB": url, **settings},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield server, port
    finally:
        server.terminate()
        server.wait(timeout=30)


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(row.split()[1] for row in status.splitlines() if row.startswith("VmRSS")))


def cpu_seconds(pid: int) -> float:
    """The CPU time a process has used so far, user and system, all its threads (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
