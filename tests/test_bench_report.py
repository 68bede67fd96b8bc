"""The benchmark report (``benchmarks/RESULTS.md``) as ``benchmarks/run.py`` renders it: each measurement once,
its notes beside it, the machine and the run's load at its head, PostgreSQL's figures with the server's
durability settings named. No benchmark is run: the figures are made up."""

from __future__ import annotations

import json

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


def test_the_growth_part_gives_each_figures_exponent_against_history_with_its_target_and_the_units_apart():
    history = {
        "along": "days",
        "sizes": [
            {"scale": 1, "days": 365, "rows": 1000, "seconds": {"briefing": 0.1}},
            {"scale": 1, "days": 730, "rows": 2000, "seconds": {"briefing": 0.2}},
        ],
        "exponents": {"briefing": 1.0},
    }
    units = {**history, "sizes": [{**size, "scale": size["days"] / 365} for size in history["sizes"]]}
    lines = report.growth_lines({"growth": {"history": history, "units": units, "target": 0.3}}, {})
    rows = [row for row in lines if row.startswith("| `briefing`")]
    assert rows == [
        "| `briefing` | 100 ms | 200 ms | 1.00 | **missed** (3.3× the target) |",
        "| `briefing` | 100 ms | 200 ms | 1.00 |",
    ]
    assert any("730 days (2,000 rows)" in row for row in lines) and any("×2 (2,000 rows)" in row for row in lines)


def test_the_growth_exponent_is_the_slope_of_time_against_rows_on_logarithmic_axes():
    from benchmarks.bench_growth import growth_exponent

    assert growth_exponent([1000, 2000, 4000], [0.1, 0.1, 0.1]) == pytest.approx(0)
    assert growth_exponent([1000, 2000, 4000], [0.1, 0.2, 0.4]) == pytest.approx(1)
    assert growth_exponent([100, 10_000], [0.01, 0.1]) == pytest.approx(0.5)


def test_a_section_measured_alone_replaces_only_its_own_section_of_the_report():
    old = report.import_section({"sqlite": {**imported(0.4, SQLITE)}})
    new = report.import_section({"sqlite": {**imported(0.6, SQLITE)}})
    rest = ["## Server memory of a wall screen", "", "kept", "", "<!-- make bench-growth writes from here -->"]
    written = "\n".join(["# Benchmarks", "", *old, "old note", "", *rest])
    replaced = report.with_only_section(written, "\n".join([*new, "new note"]))
    assert replaced == "\n".join(["# Benchmarks", "", *new, "new note", "", *rest])


def test_a_section_measured_alone_finds_its_heading_whatever_its_figures_or_joins_a_report_without_it():
    written = "\n".join(["# Benchmarks", "", "## Entry commit latency (20 writer processes)", "", "old", ""])
    replaced = report.with_only_section(written, "## Entry commit latency (5 writer processes)\n\nnew")
    assert replaced == "# Benchmarks\n\n## Entry commit latency (5 writer processes)\n\nnew\n"
    parted = "# Benchmarks\n\n<!-- make bench-growth writes from here -->\nkept\n"
    joined = report.with_only_section(parted, "## Import throughput (`checkpoint_counts` CSV)\n\nnew")
    assert joined.index("## Import throughput") < joined.index("<!-- make bench-growth") and joined.endswith("kept\n")


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
    result = sessions_result(sessions_step(100, 0.2), sessions_step(200, 0.4), sessions_step(300, 1.4))
    result["clerks_alone"] = sessions_step(150, 0.1)
    text = "\n".join(report.sessions_lines({"sessions": result}, {"sessions": "Why it is slow."}))
    assert "| 150: the clerks alone | 112 / 30 / 7 | 50 ms | 100 ms |" in text
    [at_target] = [row for row in text.splitlines() if row.startswith("| 200 |")]
    assert "| met |" in at_target
    assert "| 300 |" in text and text.count("| met |") == 1
    assert "passes 1 s at about **260 sessions**" in text
    assert text.rstrip().endswith("Why it is slow.")


def test_the_target_step_is_judged_on_its_middle_run_and_the_phones_run_is_shown_apart():
    from benchmarks.bench_sessions import middle_run

    runs = [sessions_step(200, 0.9), sessions_step(200, 0.45, errors=1), sessions_step(200, 0.4)]
    result = sessions_result(middle_run(runs))
    result["with_phones"] = sessions_step(200, 2.3, browsers=3)
    text = "\n".join(report.sessions_lines({"sessions": result}, {}))
    [at_target] = [row for row in text.splitlines() if row.startswith("| 200 |")]
    assert "| 450 ms |" in at_target and "**missed** (1 errors)" in at_target
    assert "ran 3 times, each on a fresh server: p95 900 ms, 450 ms, 400 ms" in text
    [with_phones] = [row for row in text.splitlines() if row.startswith("| 200 and 3 phones in Chromium |")]
    assert "| 2300 ms |" in with_phones and "| not judged |" in with_phones
    assert "3 clerks on phones in Chromium (390×844, touch) saved" in text


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


def test_the_live_part_gives_the_servers_part_apart_from_the_browsers():
    run = {"walls": 20, "entries": 10, "p50_s": 0.5, "p95_s": 1.5, "max_s": 1.8, "load_average": (3.0, 2.0, 1.0)}
    live = {
        "runs": [
            {
                **run,
                "store": "postgresql",
                "processes": 2,
                "p95_s": 4.0,
                "server_cpu_no_wall": 0.0,
                "server_cpu_idle_walls": 0.1,
                "idle_cpu_per_wall": 0.005,
            }
        ],
        "protocol_runs": [{**run, "store": "sqlite", "processes": 1, "server_cpu": 0.6}],
        "idle_seconds": 30,
    }
    lines = report.live_lines({"live_wall": live}, {})
    assert "| postgresql | 2 | 20 | 10 | 0.50 s | 4.00 s | 1.80 s | **missed** (2.0× the target) |" in "\n".join(lines)
    assert "| sqlite | 1 | 20 | 10 | 0.50 s | 1.50 s | 1.80 s | met | 60% | 3.0 |" in lines


def test_a_live_run_with_walls_beside_the_browsers_names_how_many_chromium_drew_and_their_own_p95():
    run = {"store": "sqlite", "processes": 1, "walls": 20, "entries": 10, "p50_s": 0.5, "p95_s": 1.2, "max_s": 1.8}
    idle = {"server_cpu_no_wall": 0.0, "server_cpu_idle_walls": 0.1, "idle_cpu_per_wall": 0.005}
    mixed = {**run, **idle, "in_chromium": 4, "on_screen_p95_s": 1.6, "load_average": (3.0, 2.0, 1.0)}
    lines = "\n".join(report.live_lines({"live_wall": {"runs": [mixed], "idle_seconds": 30}}, {}))
    assert "| sqlite | 1 | 20 (4 in Chromium: p95 1.60 s) | 10 | 0.50 s | 1.20 s | 1.80 s | met |" in lines


def test_a_live_run_whose_walls_reloaded_themselves_says_how_often():
    run = {"store": "sqlite", "processes": 1, "walls": 20, "entries": 10, "p50_s": 0.5, "p95_s": 1.2, "max_s": 1.8}
    idle = {"server_cpu_no_wall": 0.0, "server_cpu_idle_walls": 0.1, "idle_cpu_per_wall": 0.005}
    runs = [
        {**run, **idle, "reloads": 3, "load_average": (3.0, 2.0, 1.0)},
        {**run, **idle, "in_chromium": 4, "on_screen_p95_s": 1.6, "reloads": 1, "load_average": (3.0, 2.0, 1.0)},
    ]
    lines = "\n".join(report.live_lines({"live_wall": {"runs": runs, "idle_seconds": 30}}, {}))
    assert "| sqlite | 1 | 20 (reloads: 3) | 10 |" in lines
    assert "| sqlite | 1 | 20 (4 in Chromium: p95 1.60 s; reloads: 1) | 10 |" in lines


def test_a_part_written_again_from_its_last_figures_keeps_the_rest_of_the_report(tmp_path, monkeypatch):
    results = tmp_path / "results"
    results.mkdir()
    soak = {"first_hour": {"heap_mib": 20.0, "nodes": 900}, "end": {"heap_mib": 21.0, "nodes": 900}}
    soak |= {"equivalent_hours": 24.0, "clock_redraws": 720, "write_seconds": 10, "full": True}
    soak |= {"heap_ratio": 1.05, "heap_mib_per_hour": 0.04, "nodes_ratio": 1.0, "nodes_per_hour": 0}
    (results / "kiosk_soak.json").write_text(json.dumps(soak))
    part = report.PARTS["live"]
    written = tmp_path / "RESULTS.md"
    written.write_text(
        f"# Results\n\nmake bench's figures\n\n{part.start}\nold figures\n{part.end}\n", encoding="utf-8"
    )
    monkeypatch.setattr(report, "RESULTS_DIR", results)
    monkeypatch.setattr(report, "REPORT", written)
    monkeypatch.setattr(report, "ROOT", tmp_path)
    assert report.render_part(part) == 0
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# Results\n\nmake bench's figures\n\n") and "old figures" not in text
    assert "the full 24 hours" in text and "| JS heap (after a GC) | 20.0 MiB | 21.0 MiB | 1.05× | met |" in text
    assert "`python -m benchmarks.run live --render`" in text
