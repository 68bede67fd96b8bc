"""A TV on for days (issue 20, target 3): the kiosk wall in Chromium through many hours' worth of redraws, its
JS heap and DOM node count sampled along the way.

A real server (over a copy of the sample store, clock frozen) with the wall redrawn every 2 s
(``COMMAND_POST_REFRESH_SECONDS=2``, 30× the default 60 s) and checked for new data every second, while a writer
enters a count every ``BENCH_SOAK_WRITE_SECONDS`` (default 10), so that live redraws of the whole app happen too,
as on a working day. The kiosk's scheduled reload is off (``COMMAND_POST_KIOSK_RELOAD_HOURS=0``): the soak
measures what one page load grows, which is what the reload would clear.

Every ``BENCH_SOAK_SAMPLE_SECONDS`` (default 10) Chromium collects its garbage (CDP ``HeapProfiler.collectGarbage``)
and reports ``JSHeapUsedSize`` and ``Nodes`` (``Performance.getMetrics``). The run lasts ``BENCH_SOAK_MINUTES``
(default 4: some 120 clock redraws, two hours of a TV at the default interval); ``BENCH_SOAK_FULL=1`` runs the
1,440 clock redraws of 24 hours (48 minutes). Reported: the heap and the nodes at the end against the first
hour's equivalent, and the growth per equivalent hour fitted over the rest.
"""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta

from benchmarks.common import (
    BENCH_ADMIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    END,
    WALL_TOKEN,
    copy_sqlite,
    freeze_clock,
    line,
    sample_store,
    save,
    served_app,
    with_wall_token,
)
from data_layer import checkpoints, settings
from data_layer.db import connect, perform

REFRESH_SECONDS = 2
DEFAULT_REFRESH = int(settings.REFRESH_SECONDS.default)
FULL = os.environ.get("BENCH_SOAK_FULL") == "1"
MINUTES = 24 * 60 * REFRESH_SECONDS / DEFAULT_REFRESH if FULL else float(os.environ.get("BENCH_SOAK_MINUTES", "4"))
SAMPLE_SECONDS = float(os.environ.get("BENCH_SOAK_SAMPLE_SECONDS", "10"))
WRITE_SECONDS = float(os.environ.get("BENCH_SOAK_WRITE_SECONDS", "10"))
HOUR_SECONDS = 3600 * REFRESH_SECONDS / DEFAULT_REFRESH
"""The soak's seconds that hold an hour of a TV's clock redraws at the default interval."""


def equivalent_hours(seconds: float) -> float:
    return seconds / HOUR_SECONDS


def metrics(cdp) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    found = {entry["name"]: entry["value"] for entry in cdp.send("Performance.getMetrics")["metrics"]}
    return {
        "heap_mib": found["JSHeapUsedSize"] / 2**20,
        "nodes": found["Nodes"],
        "listeners": found["JSEventListeners"],
    }


def slope_per_hour(samples: list[dict], key: str) -> float:
    """The least-squares growth of ``key`` per equivalent hour, over the samples after the first hour."""
    points = [(sample["hours"], sample[key]) for sample in samples if sample["hours"] >= 1]
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def enter(engine, gate: int, minute: int) -> None:
    start = datetime.combine(END, datetime.min.time()) + timedelta(minutes=minute)
    perform(
        engine,
        BENCH_ADMIN,
        checkpoints.add_count,
        {
            "checkpoint": gate,
            "period_start": start,
            "period_end": start + timedelta(minutes=1),
            "persons": minute % 50 + 1,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
        token=uuid.uuid4().hex,
    )


def soak(url: str, port: int) -> list[dict]:
    from playwright.sync_api import sync_playwright

    engine = connect(url)
    gate = perform(
        engine, BENCH_ADMIN, checkpoints.add_checkpoint, {"name": "浸泡卡口", "grid": "第一网格", "kind": "road"}
    )
    samples: list[dict] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"http://127.0.0.1:{port}/?kiosk=1&lang=zh&device={WALL_TOKEN}", wait_until="networkidle")
        page.wait_for_selector("[data-testid='stMetric']", timeout=180_000)
        page.evaluate("() => { window.soakPageLoad = true; }")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        started = time.monotonic()
        next_sample = next_write = started
        written = 0
        while (elapsed := time.monotonic() - started) < MINUTES * 60:
            if time.monotonic() >= next_write:
                enter(engine, gate, written)
                written += 1
                next_write += WRITE_SECONDS
            if time.monotonic() >= next_sample:
                samples.append({"seconds": elapsed, "hours": equivalent_hours(elapsed), **metrics(cdp)})
                next_sample += SAMPLE_SECONDS
            page.wait_for_timeout(200)
        samples.append({"seconds": elapsed, "hours": equivalent_hours(elapsed), **metrics(cdp)})
        if not page.evaluate("() => window.soakPageLoad === true"):
            raise RuntimeError("the kiosk reloaded during the soak, which measures one page load")
        browser.close()
    engine.dispose()
    return samples


def main() -> None:
    freeze_clock()
    url = copy_sqlite(sample_store(), "soak")
    with_wall_token(url)
    with served_app(
        url,
        COMMAND_POST_REFRESH_SECONDS=str(REFRESH_SECONDS),
        COMMAND_POST_LIVE_CHECK_SECONDS="1",
        COMMAND_POST_KIOSK_RELOAD_HOURS="0",
    ) as (_, port):
        samples = soak(url, port)
    first_hour = next(sample for sample in samples if sample["hours"] >= 1)
    end = samples[-1]
    result = {
        "minutes": MINUTES,
        "full": FULL,
        "equivalent_hours": end["hours"],
        "clock_redraws": round(end["seconds"] / REFRESH_SECONDS),
        "write_seconds": WRITE_SECONDS,
        "first_hour": first_hour,
        "end": end,
        "heap_ratio": end["heap_mib"] / first_hour["heap_mib"],
        "nodes_ratio": end["nodes"] / first_hour["nodes"],
        "heap_mib_per_hour": slope_per_hour(samples, "heap_mib"),
        "nodes_per_hour": slope_per_hour(samples, "nodes"),
        "samples": samples,
        "load_average": os.getloadavg(),
    }
    save("kiosk_soak", result)
    line(
        f"kiosk soak: {result['equivalent_hours']:.1f} h of a TV at the default {DEFAULT_REFRESH} s interval "
        f"({result['clock_redraws']} clock redraws every {REFRESH_SECONDS} s, an entry every {WRITE_SECONDS:g} s): "
        f"JS heap {first_hour['heap_mib']:.1f} → {end['heap_mib']:.1f} MiB ({result['heap_ratio']:.2f}×), "
        f"DOM nodes {first_hour['nodes']:.0f} → {end['nodes']:.0f} ({result['nodes_ratio']:.2f}×) after the "
        f"first hour (target ≤ 1.2×); trend {result['heap_mib_per_hour']:+.2f} MiB and "
        f"{result['nodes_per_hour']:+.0f} nodes an hour"
    )


if __name__ == "__main__":
    main()
