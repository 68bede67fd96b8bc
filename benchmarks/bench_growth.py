"""How the briefing and every page grow with the district: each measured at several sizes of it.

The district is generated at each of ``BENCH_GROWTH_SCALES`` (default 0.1, 0.3, 1 and 3 times its size; the
generator's ``--scale`` multiplies its checkpoints, people, items and enterprises over the same 365 days) and
the briefing (:func:`benchmarks.bench_briefing.measure`) and each page (:func:`benchmarks.bench_pages.time_pages`)
are timed on each. The growth exponent is the slope of log(time) against log(rows), fitted by least squares:
0 means the cost does not grow with the district, 1 that it grows in proportion; the target is at most 0.3
(doubling the district costs at most 1.23× the time).
"""

from __future__ import annotations

import logging
import math
import os

from benchmarks.bench_briefing import measure
from benchmarks.bench_pages import registered_pages, time_pages
from benchmarks.common import district_store, freeze_clock, line, save

DEFAULT_SCALES = "0.1,0.3,1,3"
TARGET_EXPONENT = 0.3


def scales() -> list[float]:
    return [float(value) for value in os.environ.get("BENCH_GROWTH_SCALES", DEFAULT_SCALES).split(",")]


def growth_exponent(rows: list[int], seconds: list[float]) -> float:
    """The least-squares slope of log(seconds) against log(rows): time ∝ rows ** exponent."""
    xs, ys = [math.log(value) for value in rows], [math.log(value) for value in seconds]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def main() -> None:
    logging.disable(logging.WARNING)  # AppTest outside a server warns about the missing runtime on every cache use
    freeze_clock()
    pages = registered_pages()
    sizes = []
    for fraction in scales():
        url, report = district_store(fraction)
        briefing_seconds, _, domains = measure(url, 5)
        page_seconds = {page: figures["seconds"] for page, figures in time_pages(url, pages, 3).items()}
        sizes.append(
            {
                "scale": fraction,
                "rows": report["total_rows"],
                "seconds": {"briefing": briefing_seconds, **{f"briefing:{k}": v for k, v in domains.items()}}
                | page_seconds,
            }
        )
        line(f"district ×{fraction:g} ({report['total_rows']:,} rows): briefing {briefing_seconds * 1000:.0f} ms")
    rows = [size["rows"] for size in sizes]
    exponents = {name: growth_exponent(rows, [size["seconds"][name] for size in sizes]) for name in sizes[0]["seconds"]}
    for name, exponent in exponents.items():
        line(f"  {name:32} exponent {exponent:5.2f} (target ≤ {TARGET_EXPONENT})")
    save("growth", {"sizes": sizes, "exponents": exponents, "target": TARGET_EXPONENT})


if __name__ == "__main__":
    main()
