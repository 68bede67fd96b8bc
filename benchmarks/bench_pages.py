"""Each page's script run with a cold cache (``st.cache_data.clear()``), district scale against sample scale.

The pages are those registered in ``app.py`` (every ``pages/*.py`` named in its page registry), each run the
way Streamlit runs it for a signed-in administrator, who sees every page and every section of it, through
AppTest. The engine (a cached resource) stays warm, as it is in a running server; the data cache starts empty
before every timed run, as after a write or on a new server. Each page's figure is the least of its runs, as
for the briefing (:func:`benchmarks.common.least_seconds`): the sample's pages take a few hundredths of a
second, and the median of three moved their ratios by a third between quiet runs of the same code.
"""

from __future__ import annotations

import logging
import os
import time

import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks.common import ROOT, district_store, freeze_clock, line, sample_store, save, scale
from data_layer.db import Actor
from ui.navigation import PAGES

ADMIN = Actor("admin", "admin")


def registered_pages() -> list[str]:
    """The pages of the app's registry (``ui/navigation.py``), in its order."""
    return [page.path for page in PAGES]


def time_pages(url: str, pages: list[str], repeat: int) -> dict[str, dict]:
    os.environ["COMMAND_POST_DB"] = url
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    app.session_state["actor"] = ADMIN
    app.query_params["lang"] = "zh"
    app.run()
    timings = {}
    for page in pages:
        app.switch_page(str(ROOT / page))
        runs = []
        problems: list[str] = []
        for _ in range(repeat):
            st.cache_data.clear()
            started = time.perf_counter()
            app.run()
            runs.append(time.perf_counter() - started)
            problems = [str(item.value)[:200] for item in [*app.exception, *app.error]]
        timings[page] = {"seconds": min(runs), "runs": runs, "problems": problems}
    return timings


def main() -> None:
    logging.disable(logging.WARNING)  # AppTest outside a server warns about the missing runtime on every cache use
    freeze_clock()
    pages = registered_pages()
    district_url, district_report = district_store()
    sample_url = sample_store()
    sample = time_pages(sample_url, pages, 3)
    district = time_pages(district_url, pages, 3)
    result = {"scale": scale(), "district_rows": district_report["total_rows"], "pages": {}}
    line(f"pages (AppTest, cold cache, admin), district at scale {scale():g} vs sample:")
    for page in pages:
        ratio = district[page]["seconds"] / sample[page]["seconds"]
        result["pages"][page] = {
            "sample_seconds": sample[page]["seconds"],
            "district_seconds": district[page]["seconds"],
            "ratio": ratio,
            "problems": sample[page]["problems"] + district[page]["problems"],
        }
        line(
            f"  {page:24} district {district[page]['seconds']:6.2f} s, sample {sample[page]['seconds']:5.2f} s "
            f"→ {ratio:5.1f}× (target ≤ 3×)"
        )
        for problem in result["pages"][page]["problems"]:
            line(f"    shows an error: {problem}")
    save("pages", result)


if __name__ == "__main__":
    main()
