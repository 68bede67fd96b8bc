"""How the briefing and every page grow with history, and with the district's units: each measured at several sizes.

Two series, each fitted apart:

- **History** (the target): the district at one scale (``BENCH_GROWTH_HISTORY_SCALE``, default 1) with
  ``BENCH_GROWTH_DAYS`` of history (default 36, 110, 365 and 1,095 days: 0.1, 0.3, 1 and 3 years). The
  generator's ``--days`` keeps a day the same (the same checkpoints, items and enterprises, the same episodes
  starting a day), so only the past grows: a figure of the day that reads only the day's rows does not grow.
- **Units**: the district's ``--scale`` at ``BENCH_GROWTH_SCALES`` (default 0.1, 0.3, 1 and 3) over the same
  365 days, which multiplies the checkpoints, people, items and enterprises, and so the day's own rows: a day's
  figures must read every unit's rows of that day and list every unit, so they grow with the units by nature.

The briefing (:func:`benchmarks.bench_briefing.measure`) and each page (:func:`benchmarks.bench_pages.time_pages`)
are timed at each size, the sizes measured in turn over ``BENCH_GROWTH_ROUNDS`` rounds (2), the least time of each
kept (:func:`interleaved`). The growth exponent is the slope of log(time) against log(size) (days of history, or
rows for the units), fitted by least squares: 0 means the cost does not grow, 1 that it grows in proportion; the
target is at most 0.3 (doubling the history costs at most 1.23× the time).
"""

from __future__ import annotations

import logging
import math
import os

from benchmarks.bench_briefing import measure
from benchmarks.bench_pages import registered_pages, time_pages
from benchmarks.common import district_store, freeze_clock, line, save

DEFAULT_SCALES = "0.1,0.3,1,3"
DEFAULT_DAYS = "36,110,365,1095"
TARGET_EXPONENT = 0.3
ROUNDS = int(os.environ.get("BENCH_GROWTH_ROUNDS", "2"))


def _listed(name: str, default: str) -> list[str]:
    return os.environ.get(name, default).split(",")


def growth_exponent(sizes: list[int], seconds: list[float]) -> float:
    """The least-squares slope of log(seconds) against log(sizes): time ∝ size ** exponent."""
    xs, ys = [math.log(value) for value in sizes], [math.log(value) for value in seconds]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def timed(url: str, pages: list[str]) -> dict[str, float]:
    """The briefing, each domain's part of it and every page on the store at ``url``, in seconds."""
    briefing_seconds, _, domains = measure(url, 5)
    page_seconds = {page: figures["seconds"] for page, figures in time_pages(url, pages, 3).items()}
    return {"briefing": briefing_seconds, **{f"briefing:{k}": v for k, v in domains.items()}} | page_seconds


def fitted(sizes: list[dict], along: str) -> dict:
    """The series ``sizes`` with each figure's growth exponent against ``along`` (``days`` or ``rows``)."""
    axis = [size[along] for size in sizes]
    exponents = {name: growth_exponent(axis, [size["seconds"][name] for size in sizes]) for name in sizes[0]["seconds"]}
    for name, exponent in exponents.items():
        line(f"  {name:32} exponent {exponent:5.2f} against {along} (target ≤ {TARGET_EXPONENT})")
    return {"along": along, "sizes": sizes, "exponents": exponents}


def interleaved(stores: list[tuple[str, dict]], pages: list[str]) -> list[dict[str, float]]:
    """Each store's figures, the least over :data:`ROUNDS` rounds that each measure every store in turn: a machine
    shared with other work slows whichever store is measured at the time, and a store measured only first (or only
    last) would tilt the fitted slope; measured in turn, each store gets its share of the quiet moments."""
    least: list[dict[str, float]] = [{} for _ in stores]
    for _ in range(ROUNDS):
        for best, (url, _report) in zip(least, stores, strict=True):
            for name, seconds in timed(url, pages).items():
                best[name] = min(seconds, best.get(name, seconds))
    return least


def history_series(pages: list[str]) -> dict:
    fraction = float(os.environ.get("BENCH_GROWTH_HISTORY_SCALE", "1"))
    lengths = [int(value) for value in _listed("BENCH_GROWTH_DAYS", DEFAULT_DAYS)]
    stores = [district_store(fraction, days) for days in lengths]
    sizes = [
        {"scale": fraction, "days": days, "rows": report["total_rows"], "seconds": seconds}
        for days, (_, report), seconds in zip(lengths, stores, interleaved(stores, pages), strict=True)
    ]
    for size in sizes:
        line(
            f"district ×{fraction:g}, {size['days']} days ({size['rows']:,} rows): briefing "
            f"{size['seconds']['briefing'] * 1000:.0f} ms"
        )
    return fitted(sizes, "days")


def units_series(pages: list[str]) -> dict:
    fractions = [float(value) for value in _listed("BENCH_GROWTH_SCALES", DEFAULT_SCALES)]
    stores = [district_store(fraction) for fraction in fractions]
    sizes = [
        {"scale": fraction, "days": report.get("days", 365), "rows": report["total_rows"], "seconds": seconds}
        for fraction, (_, report), seconds in zip(fractions, stores, interleaved(stores, pages), strict=True)
    ]
    for size in sizes:
        line(
            f"district ×{size['scale']:g} ({size['rows']:,} rows): briefing {size['seconds']['briefing'] * 1000:.0f} ms"
        )
    return fitted(sizes, "rows")


def main() -> None:
    logging.disable(logging.WARNING)  # AppTest outside a server warns about the missing runtime on every cache use
    freeze_clock()
    pages = registered_pages()
    history = history_series(pages)
    units = units_series(pages) if os.environ.get("BENCH_GROWTH_SCALES", DEFAULT_SCALES) else None
    save("growth", {"history": history, "units": units, "target": TARGET_EXPONENT})


if __name__ == "__main__":
    main()
