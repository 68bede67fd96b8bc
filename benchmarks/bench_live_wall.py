"""The live wall (issue 20, target 1): from an entry's commit to its figure on every open kiosk wall, and what an
idle wall costs the server.

A real server (``streamlit run app.py`` over a copy of the sample store, clock frozen at the benchmarks' day) and
``BENCH_WALLS`` kiosk walls (default ``4``; ``4,20`` for one run of each) in Debian's Chromium at 1920×1080, each
in a browser context of its own, as separate TVs are. Then the same over PostgreSQL with two app processes (the
sample generated into a database of its own), the walls shared between them, as a command post that has
outgrown one process runs: the entry is committed by neither, and reaches both through the store's data version.
``BENCH_LIVE_STORES`` (``sqlite,postgresql``) chooses; PostgreSQL is left out when no server answers.

A writer commits a checkpoint count on the frozen day, which moves the wall's 检测人数 tile; each wall notes in the page
(``Date.now()``, the machine's clock, which the writer reads too) when the tile first shows the new total. Latency is
that moment less the moment the commit returned, for every wall and every entry (``BENCH_LIVE_ENTRIES``, default 10, a
few seconds apart).

A command post's walls are TVs that each draw their own: twenty Chromium tabs on this machine's two cores measure
the cores more than the server. So a third run (``BENCH_MIXED_WALLS``, default ``4+16``) opens 20 walls on the
server as a command post does, 4 of them in Chromium and 16 that speak Streamlit's protocol (:class:`ProtocolWall`,
which draws nothing): the server serves all 20, and the browsers that draw share the cores as 4 TVs would.

Idle cost: with the walls open and nothing entered, the server's CPU time (``/proc``) over ``BENCH_IDLE_SECONDS``
(default 30), against the same server with no wall open, divided by the walls: the share of one core an idle wall
costs. The load average is noted, since the browsers share the machine's two cores with the server.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from contextlib import ExitStack
from datetime import datetime, timedelta

from benchmarks.common import (
    BENCH_ADMIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    END,
    WALL_TOKEN,
    copy_sqlite,
    cpu_seconds,
    freeze_clock,
    line,
    percentile,
    pg_available,
    sample_store,
    sample_store_pg,
    save,
    served_app,
    with_wall_token,
)
from benchmarks.sessions import Session
from data_layer import checkpoints
from data_layer.db import connect, perform

WALLS = [int(count) for count in os.environ.get("BENCH_WALLS", "4").split(",")]
ENTRIES = int(os.environ.get("BENCH_LIVE_ENTRIES", "10"))
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "30"))
STORES = os.environ.get("BENCH_LIVE_STORES", "sqlite,postgresql").split(",")
PROCESSES = {"sqlite": 1, "postgresql": 2}
"""App processes per store: SQLite serves one; PostgreSQL is how a command post runs several."""
GATE = "测速卡口"
TILE_TOTAL = """() => {
  const tile = [...document.querySelectorAll('[data-testid=stMetric]')].find((e) => e.innerText.includes('检测人数'));
  return tile ? Number(tile.querySelector('[data-testid=stMetricValue]').innerText.replace(/[^0-9]/g, '')) : null;
}"""
SEEN_AT = (
    "(expected) => new Promise((resolve) => {"
    f"  const total = {TILE_TOTAL};"
    "  const look = () => total() === expected ? resolve(Date.now()) : setTimeout(look, 20);"
    "  look();"
    "})"
)
"""Resolves with the moment (``Date.now()``) the tile first shows ``expected``, looking every 20 ms."""
MIXED_WALLS = [
    tuple(int(part) for part in mix.split("+")) for mix in os.environ.get("BENCH_MIXED_WALLS", "4+16").split(",") if mix
]
"""Runs of walls in Chromium beside walls that speak the protocol: (in Chromium, beside them)."""
PROTOCOL_WALLS = [int(count) for count in os.environ.get("BENCH_PROTOCOL_WALLS", "20").split(",") if count]
WALL_QUERY = f"kiosk=1&lang=zh&device={WALL_TOKEN}"


class ProtocolWall(Session):
    """A kiosk wall that speaks Streamlit's protocol and draws nothing: it notes when its 检测人数 tile's figure
    arrives, which is when the server has done its part for that wall."""

    def __init__(self, port: int):
        super().__init__(port, WALL_QUERY)
        self.persons: tuple[int, float] | None = None

    def _note_element(self, element, run) -> None:
        super()._note_element(element, run)
        if element.WhichOneof("type") == "metric" and "检测人数" in element.metric.label:
            self.persons = (int("".join(filter(str.isdigit, element.metric.body))), time.time())

    async def shows(self, expected: int) -> float:
        """The moment (seconds since the epoch) the tile's figure ``expected`` arrived."""
        while self.persons is None or self.persons[0] != expected:
            await asyncio.sleep(0.01)
        return self.persons[1]


def add_gate(url: str) -> None:
    engine = connect(url)
    perform(engine, BENCH_ADMIN, checkpoints.add_checkpoint, {"name": GATE, "grid": "第一网格", "kind": "road"})
    engine.dispose()


def enter(engine, minute: int, persons: int) -> float:
    """A count of ``persons`` at the benchmark's own checkpoint for one minute of the frozen day; the time
    (seconds since the epoch) the commit returned."""
    start = datetime.combine(END, datetime.min.time()) + timedelta(minutes=minute)
    perform(
        engine,
        BENCH_ADMIN,
        checkpoints.add_count,
        {
            "checkpoint": GATE,
            "period_start": start,
            "period_end": start + timedelta(minutes=1),
            "persons": persons,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
        token=uuid.uuid4().hex,
    )
    return time.time()


def latency_figures(store: str, walls: int, latencies: list[float]) -> dict:
    """What a run of walls measured: its store and processes, and the commit → figure latencies of every wall."""
    return {
        "store": store,
        "processes": PROCESSES[store],
        "walls": walls,
        "entries": ENTRIES,
        "p50_s": percentile(latencies, 0.5),
        "p95_s": percentile(latencies, 0.95),
        "max_s": max(latencies),
    }


async def open_walls(browser, ports: list[int], count: int) -> list:
    """``count`` kiosk walls, shared in turn between the app processes on ``ports``."""
    pages = []
    for number in range(count):
        context = await browser.new_context(viewport={"width": 1920, "height": 1080})
        page = await context.new_page()
        port = ports[number % len(ports)]
        await page.goto(f"http://127.0.0.1:{port}/?kiosk=1&lang=zh&device={WALL_TOKEN}", wait_until="networkidle")
        await page.wait_for_selector("[data-testid='stMetric']", timeout=180_000)
        pages.append(page)
    await asyncio.sleep(3)
    return pages


WAIT_SECONDS = 120
"""How long a wall is given to show an entry; one that has not shown it by then counts as showing it then, so that
a wall that never catches up is in the figures as the longest wait rather than ending the run."""


async def seen_at(page, expected: int) -> float:
    """The moment (seconds since the epoch) the wall in ``page`` first shows ``expected`` in its tile. A wall that
    reloads itself meanwhile (its staleness watch does, when the machine is too busy to draw it in time) is
    watched on the page it reloads, as a person in front of the TV would see it."""
    from playwright.async_api import Error as PlaywrightError

    while True:
        try:
            return await page.evaluate(SEEN_AT, expected) / 1000
        except PlaywrightError as problem:
            if "Execution context was destroyed" not in problem.message:
                raise
            await page.wait_for_load_state()


async def moments(watching: list[asyncio.Future]) -> list[float]:
    """The moment each of ``watching`` saw the entry (seconds since the epoch); for one still waiting after
    :data:`WAIT_SECONDS`, that moment."""
    if not watching:
        return []
    done, waiting = await asyncio.wait(watching, timeout=WAIT_SECONDS)
    for future in waiting:
        future.cancel()
    gave_up = time.time()
    return [future.result() if future in done else gave_up for future in watching]


async def open_protocol_walls(ports: list[int], count: int) -> tuple[list[ProtocolWall], list[asyncio.Future]]:
    """``count`` walls that speak the protocol, shared in turn between the app processes on ``ports``, each opened
    on the wall and following the data as a browser's timers would; the walls and their following."""
    walls = [ProtocolWall(ports[number % len(ports)]) for number in range(count)]
    for wall in walls:
        await wall.open()
        await wall.run(page="")
    return walls, [asyncio.ensure_future(wall.follow()) for wall in walls]


async def close_protocol_walls(walls: list[ProtocolWall], following: list[asyncio.Future]) -> None:
    for wall in walls:
        await wall.close()
    await asyncio.gather(*following, return_exceptions=True)


def servers_cpu(servers: list) -> float:
    return sum(cpu_seconds(server.pid) for server in servers)


async def measure(url: str, store: str, count: int, first_minute: int, beside: int = 0) -> dict:
    """``count`` kiosk walls in Chromium, and ``beside`` walls that speak the protocol on the same servers: the
    idle server CPU per wall and, for every wall, each entry's commit to its figure (on screen in Chromium,
    received by a protocol wall)."""
    from playwright.async_api import async_playwright

    engine = connect(url)
    latencies: list[float] = []
    on_screen: list[float] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        with ExitStack() as stack:
            served = [stack.enter_context(served_app(url)) for _ in range(PROCESSES[store])]
            servers, ports = [server for server, _ in served], [port for _, port in served]
            await asyncio.sleep(5)
            before = servers_cpu(servers)
            await asyncio.sleep(IDLE_SECONDS)
            bare = (servers_cpu(servers) - before) / IDLE_SECONDS
            pages = await open_walls(browser, ports, count)
            reloads: list = []
            for page in pages:
                page.on("load", lambda loaded: reloads.append(loaded))
            walls, following = await open_protocol_walls(ports, beside)
            await asyncio.sleep(5)
            before, load_before = servers_cpu(servers), os.getloadavg()[0]
            await asyncio.sleep(IDLE_SECONDS)
            idle = (servers_cpu(servers) - before) / IDLE_SECONDS
            total = await pages[0].evaluate(TILE_TOTAL)
            for entry in range(ENTRIES):
                persons = 100 + entry
                total += persons
                watching = [asyncio.ensure_future(seen_at(page, total)) for page in pages]
                await asyncio.sleep(0.2)
                committed = enter(engine, first_minute + entry, persons)
                seen = [moment - committed for moment in await moments(watching)]
                received = await moments([asyncio.ensure_future(wall.shows(total)) for wall in walls])
                on_screen += seen
                latencies += seen + [moment - committed for moment in received]
                await asyncio.sleep(2)
            load = os.getloadavg()
            await close_protocol_walls(walls, following)
        await browser.close()
    engine.dispose()
    return {
        **latency_figures(store, count + beside, latencies),
        "in_chromium": count,
        "on_screen_p95_s": percentile(on_screen, 0.95),
        "reloads": len(reloads),
        "server_cpu_no_wall": bare,
        "server_cpu_idle_walls": idle,
        "idle_cpu_per_wall": (idle - bare) / (count + beside),
        "load_average_idle": load_before,
        "load_average": load,
    }


async def measure_protocol(url: str, store: str, count: int, first_minute: int) -> dict:
    """The server's part of the live wall: ``count`` walls that speak the protocol (no browser draws them), each
    running its live check at the interval the page asks for, as a browser's timer does; from an entry's commit to
    its figure received by every wall. A TV's own browser then draws it, which the browser runs measure for a few
    walls: twenty browsers on this machine's two cores measure the cores more than the server."""
    engine = connect(url)
    latencies: list[float] = []
    with ExitStack() as stack:
        served = [stack.enter_context(served_app(url)) for _ in range(PROCESSES[store])]
        servers, ports = [server for server, _ in served], [port for _, port in served]
        walls, following = await open_protocol_walls(ports, count)
        await asyncio.sleep(3)
        total = walls[0].persons[0]
        before = servers_cpu(servers)
        started = time.perf_counter()
        for entry in range(ENTRIES):
            persons = 100 + entry
            total += persons
            committed = enter(engine, first_minute + entry, persons)
            seen = await moments([asyncio.ensure_future(wall.shows(total)) for wall in walls])
            latencies += [moment - committed for moment in seen]
            await asyncio.sleep(2)
        busy = (servers_cpu(servers) - before) / (time.perf_counter() - started)
        load = os.getloadavg()
        await close_protocol_walls(walls, following)
    engine.dispose()
    return {
        **latency_figures(store, count, latencies),
        "server_cpu": busy,
        "load_average": load,
    }


def store_url(store: str) -> str:
    """The sample for ``store``, with the benchmark's wall token and checkpoint."""
    url = sample_store_pg("live") if store == "postgresql" else copy_sqlite(sample_store(), "live")
    with_wall_token(url)
    add_gate(url)
    return url


def main() -> None:
    freeze_clock()
    runs, protocol = [], []
    mixes = [(count, 0) for count in WALLS] + MIXED_WALLS
    for store in STORES:
        if store == "postgresql" and not pg_available():
            line("PostgreSQL: no server answers; the live wall over two app processes is not measured")
            continue
        url = store_url(store)
        for number, count in enumerate(PROTOCOL_WALLS):
            result = asyncio.run(measure_protocol(url, store, count, first_minute=(len(mixes) + number) * ENTRIES))
            protocol.append(result)
            line(
                f"{store}, {result['processes']} app process(es), {count} protocol walls: commit → figure received "
                f"by every wall p50 {result['p50_s']:.2f} s, p95 {result['p95_s']:.2f} s, max {result['max_s']:.2f} s; "
                f"server CPU {result['server_cpu']:.0%} of a core; load average {result['load_average'][0]:.1f}"
            )
        for number, (count, beside) in enumerate(mixes):
            result = asyncio.run(measure(url, store, count, first_minute=number * ENTRIES, beside=beside))
            runs.append(result)
            line(
                f"{store}, {result['processes']} app process(es), {result['walls']} walls ({count} in Chromium): "
                f"commit → figure on every wall (on screen p95 {result['on_screen_p95_s']:.2f} s) "
                f"p50 {result['p50_s']:.2f} s, p95 {result['p95_s']:.2f} s, max {result['max_s']:.2f} s "
                f"(target p95 ≤ 2 s); idle server CPU {result['server_cpu_idle_walls']:.1%} of a core with the "
                f"walls open, {result['server_cpu_no_wall']:.1%} without: {result['idle_cpu_per_wall']:.2%} a wall "
                f"(target ≤ 1%); the walls reloaded themselves {result['reloads']} times; "
                f"load average {result['load_average'][0]:.1f} (idle {result['load_average_idle']:.1f})"
            )
    save("live_wall", {"runs": runs, "protocol_runs": protocol, "idle_seconds": IDLE_SECONDS})


if __name__ == "__main__":
    main()
