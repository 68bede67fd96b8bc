"""The benchmark report (``benchmarks/RESULTS.md``) as ``benchmarks/run.py`` renders it: each measurement once,
its notes beside it, the machine and the run's load at its head, PostgreSQL's figures with the server's
durability settings named. No benchmark is run: the figures are made up."""

from __future__ import annotations

import pytest

from benchmarks import run as report
from benchmarks.common import durability_text

CONFIGURED = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
SQLITE = {"journal_mode": "wal", "synchronous": "FULL"}
DISTRICT = {"scale": 1, "total_rows": 10, "seconds": 1, "rows_per_second": 10, "rows": {"checkpoints": 10}}


def latency(p95: float) -> dict:
    return {
        "entries": 100,
        "p50_ms": p95 / 2,
        "p95_ms": p95,
        "max_ms": p95 * 2,
        "rows": 100,
        "distinct_rows": 100,
        "error_count": 0,
    }


def writers(alone: float, burst: float, durability: dict) -> dict:
    return {"alone": latency(alone), "burst": latency(burst), "paced": latency(alone * 2), "durability": durability}


def imported(ratio: float, durability: dict) -> dict:
    return {
        "rows": 1000,
        "import_rows_per_second": 1000 * ratio,
        "import_seconds": 1 / ratio,
        "floor_rows_per_second": 1000,
        "floor_seconds": 1,
        "ratio": ratio,
        "durability": durability,
    }


RESULTS = {
    "writers": {
        "writers": 20,
        "sqlite": writers(2, 4, SQLITE),
        "postgresql": writers(4, 50, CONFIGURED),
        "postgresql-durable": writers(8, 90, DURABLE),
    },
    "import": {
        "sqlite": imported(0.3, SQLITE),
        "postgresql": imported(0.7, CONFIGURED),
        "postgresql-durable": imported(0.8, DURABLE),
    },
}


@pytest.fixture
def rendered(tmp_path, monkeypatch: pytest.MonkeyPatch) -> str:
    notes = tmp_path / "NOTES.md"
    notes.write_text("## import\n\nWhy the import is slow.\n\n## writers\n\nWhy the burst waits.\n", encoding="utf-8")
    monkeypatch.setattr(report, "NOTES", notes)
    steps = [report.Step("bench_import", "bench_memory", load_before=0.5), report.Step("bench_writers")]
    for step in steps:
        step.end()
    machine = {
        "nproc": 2,
        "memory_gib": 8,
        "cpu": "a CPU",
        "python": "3",
        "sqlite": "3",
        "postgresql": "15",
        "system": "Linux",
        "load_average": (1.5, 1.0, 0.7),
    }
    run = report.Run(60, (0.5, 0.6, 0.7), steps, [], machine, {"BENCH_SCALE": "1"}, "2026-12-06 03:27 UTC")
    return report.render(RESULTS, DISTRICT, run)


def test_the_report_states_each_measurement_once_with_its_notes_under_it(rendered):
    headings = [row for row in rendered.splitlines() if row.startswith("## ")]
    assert len(headings) == len(set(headings)) == 2
    assert rendered.count("Why the import is slow.") == rendered.count("Why the burst waits.") == 1
    assert rendered.index("## Import") < rendered.index("Why the import is slow.")
    assert "Where a target is missed" not in rendered
    assert rendered.count("| sqlite |") == 4  # three writer loads and one import


def test_the_report_names_the_durability_settings_of_every_figure(rendered):
    for settings in (CONFIGURED, DURABLE, SQLITE):
        assert rendered.count(f"| {durability_text(settings)} |") == 4


def test_the_report_gives_the_machine_and_the_load_of_the_run_and_of_each_step(rendered):
    assert "Machine: 2 cores (a CPU)" in rendered
    assert "0.5, 0.6, 0.7 as the run began and 1.5, 1.0, 0.7 at its end" in rendered
    assert "Sizes: BENCH_SCALE=1." in rendered
    assert "| bench_import | bench_memory |" in rendered
    assert "| bench_writers |  |" in rendered


@pytest.mark.parametrize("part", report.PARTS.values(), ids=report.PARTS)
def test_make_bench_keeps_a_parts_section_and_its_own_target_replaces_only_it(rendered, part):
    old = f"{part.start}\n## {part.title}\n\nold figures\n{part.end}"
    new = f"{part.start}\n## {part.title}\n\nnew figures\n{part.end}"
    kept = report.with_section(rendered, part, old)
    assert kept.startswith(rendered.rstrip()) and kept.count(part.start) == 1
    replaced = report.with_section(kept, part, new)
    assert "new figures" in replaced and "old figures" not in replaced
    assert replaced.replace(new, old) == kept
    assert report.kept_section(replaced, part) == new


def test_the_growth_part_gives_each_figures_exponent_against_its_target():
    growth = {
        "sizes": [
            {"scale": 1, "rows": 1000, "seconds": {"briefing": 0.1}},
            {"scale": 2, "rows": 2000, "seconds": {"briefing": 0.2}},
        ],
        "exponents": {"briefing": 1.0},
        "target": 0.3,
    }
    [table_row] = [row for row in report.growth_lines({"growth": growth}, {}) if row.startswith("| `briefing`")]
    assert table_row == "| `briefing` | 100 ms | 200 ms | 1.00 | **missed** (3.3× the target) |"


def test_the_growth_exponent_is_the_slope_of_time_against_rows_on_logarithmic_axes():
    from benchmarks.bench_growth import growth_exponent

    assert growth_exponent([1000, 2000, 4000], [0.1, 0.1, 0.1]) == pytest.approx(0)
    assert growth_exponent([1000, 2000, 4000], [0.1, 0.2, 0.4]) == pytest.approx(1)
    assert growth_exponent([100, 10_000], [0.01, 0.1]) == pytest.approx(0.5)


def sessions_step(sessions: int, p95: float, errors: int = 0, browsers: int = 0) -> dict:
    figures = {"count": 10, "p50_s": p95 / 2, "p95_s": p95, "max_s": p95 * 2}
    return {
        "sessions": sessions,
        "clerks": sessions * 3 // 4,
        "leaders": sessions // 5,
        "walls": sessions // 20,
        "interactions": figures,
        "save": figures,
        "move": figures,
        "open": figures,
        "live": figures,
        "browser save": {**figures, "count": browsers} if browsers else {"count": 0},
        "entries_stored": sessions * 3 // 4,
        "errors": errors,
        "error_examples": [f"clerk 1 save: refused at {sessions}"] if errors else [],
        "rss_before_mib": 240,
        "rss_end_mib": 300,
        "rss_per_session_kib": 300,
        "server_cpu": 0.9,
        "load_average": (2.0, 1.5, 1.0),
    }


def sessions_result(*steps: dict) -> dict:
    from benchmarks.bench_sessions import crossing

    return {
        "steps": list(steps),
        "window_s": 30,
        "target_sessions": 200,
        "target_p95_s": 0.5,
        "limit_p95_s": 1.0,
        "passes_limit_at": crossing(list(steps), 1.0),
        "largest_step": steps[-1]["sessions"],
        "at_target": next((step for step in steps if step["sessions"] == 200), None),
    }


def test_the_sessions_part_judges_the_target_at_200_sessions_and_names_where_p95_passes_a_second():
    result = sessions_result(sessions_step(100, 0.2), sessions_step(200, 0.4, browsers=3), sessions_step(300, 1.4))
    result["clerks_alone"] = sessions_step(150, 0.1)
    text = "\n".join(report.sessions_lines({"sessions": result}, {"sessions": "Why it is slow."}))
    assert "| 150: the clerks alone | 112 / 30 / 7 | 50 ms | 100 ms |" in text
    [at_target] = [row for row in text.splitlines() if row.startswith("| 200 |")]
    assert "| met |" in at_target
    assert "| 300 |" in text and text.count("| met |") == 1
    assert "passes 1 s at about **260 sessions**" in text
    assert "3 clerks on phones in Chromium" in text
    assert text.rstrip().endswith("Why it is slow.")


def test_the_sessions_target_is_missed_by_any_error_and_by_a_ramp_that_never_reached_it():
    with_errors = sessions_result(sessions_step(200, 0.4, errors=2))
    text = "\n".join(report.sessions_lines({"sessions": with_errors}, {}))
    assert "**missed** (2 errors)" in text and "The first errors: `clerk 1 save: refused at 200`." in text
    assert "passes 1 s at **beyond 200 sessions**" in text
    early = sessions_result(sessions_step(50, 12.0))
    early.update(planned_steps=[50, 100, 200], give_up_p95_s=10.0)
    stopped = "\n".join(report.sessions_lines({"sessions": early}, {}))
    assert "The ramp ended before 200 sessions: target **missed**." in stopped
    assert "The ramp stopped after 50 sessions, whose p95 passed 10 s" in stopped
    assert "**50 sessions or fewer**" in stopped


def test_where_p95_passes_a_limit_is_interpolated_between_the_steps_around_it():
    from benchmarks.bench_sessions import crossing

    steps = [sessions_step(50, 0.2), sessions_step(100, 0.6), sessions_step(200, 1.4)]
    assert crossing(steps, 1.0) == pytest.approx(150)
    assert crossing(steps, 2.0) is None
    assert crossing(steps, 0.1) == 50
