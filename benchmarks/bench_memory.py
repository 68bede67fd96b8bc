"""Server memory of a wall screen: the RSS of a `streamlit run` process after 2,000 refreshes against after 100.

A real server (``streamlit run app.py`` over a copy of the sample store, clock frozen at the benchmarks' day)
and a client that speaks Streamlit's own websocket protocol (:mod:`benchmarks.sessions`), as the browser does: it
opens a session on the overview, then asks for the wall screen's fragment again and again, as the browser does
every ``COMMAND_POST_REFRESH_SECONDS`` (an auto-rerun of that fragment), only without waiting between refreshes.
Every 20th refresh follows a new entry written meanwhile, so that the data version moves and the cached
reads are computed afresh, as they are on a command post's working day.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import timedelta

from benchmarks.common import (
    BENCH_ADMIN,
    END,
    WALL_TOKEN,
    copy_sqlite,
    freeze_clock,
    line,
    rss_kib,
    sample_store,
    save,
    served_app,
    with_wall_token,
)
from benchmarks.sessions import Session
from data_layer import checkpoints
from data_layer.db import connect, perform

REFRESHES = int(os.environ.get("BENCH_REFRESHES", "2000"))
BASELINE = 100
WRITE_EVERY = 20
REFRESH_SECONDS = 2


async def soak(port: int, pid: int, engine) -> tuple[str, dict[int, int], dict[str, int], float]:
    """One wall session through :data:`REFRESHES` refreshes of its fragment, an entry before every
    :data:`WRITE_EVERY`-th: the first run's status, the server's RSS (process ``pid``) sampled along the way, the
    refreshes' statuses and the seconds they took."""
    wall = Session(port, f"lang=zh&device={WALL_TOKEN}")
    await wall.open()
    first = (await wall.run()).status
    fragment = next((key for key, interval in wall.fragments.items() if interval == REFRESH_SECONDS), None)
    if fragment is None:  # the live check runs every second; the wall's refresh at REFRESH_SECONDS
        raise RuntimeError("the overview asked for no auto-rerun: no refreshing fragment found")
    checkpoint = checkpoints.list_checkpoints(engine.connect())[0]["id"]
    slot = checkpoints.day_shifts(END - timedelta(days=40))[0][0]
    samples: dict[int, int] = {}
    statuses: dict[str, int] = {}
    started = time.perf_counter()
    for refresh in range(1, REFRESHES + 1):
        if refresh % WRITE_EVERY == 0:
            slot -= timedelta(hours=1)
            perform(
                engine,
                BENCH_ADMIN,
                checkpoints.add_count,
                {
                    "checkpoint": checkpoint,
                    "period_start": slot,
                    "period_end": slot + timedelta(hours=1),
                    "persons": refresh % 97,
                    "vehicles": 3,
                    "fever": 0,
                    "turned_back": 0,
                },
                token=uuid.uuid4().hex,
            )
        status = (await wall.run(fragment=fragment)).status
        statuses[status] = statuses.get(status, 0) + 1
        if refresh in (BASELINE, REFRESHES) or refresh % 250 == 0:
            samples[refresh] = rss_kib(pid)
    elapsed = time.perf_counter() - started
    await wall.close()
    return first, samples, statuses, elapsed


def main() -> None:
    freeze_clock()
    url = copy_sqlite(sample_store(), "memory")
    with_wall_token(url)
    engine = connect(url)
    with served_app(url, COMMAND_POST_REFRESH_SECONDS=str(REFRESH_SECONDS)) as (server, port):
        first, samples, statuses, elapsed = asyncio.run(soak(port, server.pid, engine))
    engine.dispose()
    result = {
        "refreshes": REFRESHES,
        "first_run": first,
        "statuses": statuses,
        "rss_mib": {str(key): round(value / 1024, 1) for key, value in samples.items()},
        "ratio": samples[REFRESHES] / samples[BASELINE],
        "seconds": elapsed,
        "refresh_ms": elapsed / REFRESHES * 1000,
    }
    save("memory", result)
    line(
        f"server memory (RSS of streamlit run): after {BASELINE} refreshes {samples[BASELINE] / 1024:.0f} MiB, "
        f"after {REFRESHES} {samples[REFRESHES] / 1024:.0f} MiB → {result['ratio']:.2f}× (target ≤ 1.2×); "
        f"{result['refresh_ms']:.0f} ms a refresh; runs: {statuses}"
    )


if __name__ == "__main__":
    main()
