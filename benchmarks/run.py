"""`make bench`: run every benchmark, print its figures and write ``benchmarks/RESULTS.md``.

Each benchmark is a process of its own (``python -m benchmarks.bench_…``) that prints its figures and keeps
them in ``benchmarks/out/results/``; this script runs them and renders the report.

To stay within ten minutes on two cores, the wall-screen soak (one core: a Streamlit server and its client)
runs alongside the single-threaded benchmarks that take long (district generation, the follow-up grid,
imports: one core). The briefing and the pages run after it, on a quiet machine: their runs of a few
milliseconds on the district were interrupted by the soak more often than the sample's, which moved their
ratio by a third from run to run. The writer benchmark, which needs the whole machine for its 20 processes,
runs alone at the end. Every ratio compares two figures measured under the same conditions within this run.

Sizes: the full district (``BENCH_SCALE``, default 1), 100,000-row import files on both stores,
2,000 wall-screen refreshes, 20 writers. Each can be set on its own for a quicker look: ``BENCH_SCALE``,
``BENCH_REFRESHES``, ``BENCH_IMPORT_ROWS``, ``BENCH_IMPORT_PG_ROWS``, ``BENCH_WRITERS`` (20), ``BENCH_ENTRIES``
(entries per writer, 50); ``COMMAND_POST_BENCH_PG`` names the PostgreSQL server.

PostgreSQL's figures (the writers, the import) are measured twice: as the server is configured (this machine's
and CI's test server runs with ``fsync``, ``synchronous_commit`` and ``full_page_writes`` off) and with all three
on, as a production server runs, each row naming the settings it was measured with. The second needs a superuser
(``ALTER SYSTEM``: ``fsync`` is the whole server's) and sets the server back when it ends; ``BENCH_PG_DURABLE=0``
leaves it out.

The report states each measurement once: its table gives the figure, the target and the verdict, and the notes
kept under the result's heading in ``benchmarks/NOTES.md`` (why a target is missed, what was tried) follow it.
The machine, its load as each step began and ended, and the sizes head the report.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from benchmarks.common import (
    END,
    OUT,
    RESULTS_DIR,
    ROOT,
    SAMPLE_DAYS,
    SETUPS,
    district_store,
    durability_text,
    machine,
    sample_store,
    scale,
)

REPORT = ROOT / "benchmarks" / "RESULTS.md"
NOTES = ROOT / "benchmarks" / "NOTES.md"
RUN_RECORD = OUT / "run.json"
ALONGSIDE_SOAK = ("bench_followups", "bench_import")
AFTER_SOAK = ("bench_briefing", "bench_pages", "bench_writers")


def run_module(name: str, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(
        [sys.executable, "-m", f"benchmarks.{name}"],
        cwd=ROOT,
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


@dataclass
class Step:
    """One benchmark of the run: how long it took and the machine's load (1-minute average) as it began and ended,
    so that the report says under what load each figure was measured."""

    name: str
    alongside: str = ""
    started: float = field(default_factory=time.perf_counter)
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])
    seconds: float = 0.0
    load_after: float = 0.0

    def end(self) -> None:
        self.seconds = time.perf_counter() - self.started
        self.load_after = os.getloadavg()[0]


def run_and_show(name: str, log_dir: Path, steps: list[Step], alongside: str = "") -> bool:
    """Run one benchmark to its end and print its log; whether it succeeded. Its :class:`Step` joins ``steps``."""
    print(f"== {name}", flush=True)
    step = Step(name, alongside)
    succeeded = run_module(name, log_dir / f"{name}.log").wait() == 0
    step.end()
    steps.append(step)
    print((log_dir / f"{name}.log").read_text(), end="", flush=True)
    return succeeded


def rerender() -> int:
    """Write ``benchmarks/RESULTS.md`` again from the last run's figures and record (``--render``): after the
    notes in ``benchmarks/NOTES.md`` were edited, without measuring anything again."""
    record = json.loads(RUN_RECORD.read_text())
    run = record["run"]
    run["steps"] = [Step(**step) for step in run["steps"]]
    results = {path.stem: json.loads(path.read_text()) for path in RESULTS_DIR.glob("*.json")}
    REPORT.write_text(render(results, record["district"], Run(**run), kept_sections()), encoding="utf-8")
    print(f"== wrote {REPORT.relative_to(ROOT)} from the run of {run['written']}")
    return 0


def main() -> int:
    if sys.argv[1:] == ["--render"]:
        return rerender()
    started = time.perf_counter()
    os.environ.setdefault("BENCH_SCALE", "1")
    os.environ.setdefault("BENCH_WRITERS", "20")
    sizes = {
        "BENCH_ENTRIES": "50",
        "BENCH_IMPORT_ROWS": "100000",
        "BENCH_IMPORT_PG_ROWS": "100000",
        "BENCH_REFRESHES": "2000",
        "BENCH_PG_DURABLE": "1",
    }
    for name, value in sizes.items():
        os.environ.setdefault(name, value)
    for stale in RESULTS_DIR.glob("*.json"):
        if not any(stale.stem in part.results for part in PARTS.values()):
            stale.unlink()
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    print(
        f"== preparing the stores (district at scale {scale():g}, sample of {SAMPLE_DAYS} days, ending {END})",
        flush=True,
    )
    load_at_start = os.getloadavg()
    steps: list[Step] = []
    preparation = Step("preparing the stores", "bench_memory")
    sample_store()
    soak_step = Step("bench_memory")
    soak = run_module("bench_memory", logs / "bench_memory.log")
    _, district = district_store()
    preparation.end()
    steps.append(preparation)
    failures = [name for name in ALONGSIDE_SOAK if not run_and_show(name, logs, steps, "bench_memory")]
    print("== bench_memory (running since the start)", flush=True)
    if soak.wait() != 0:
        failures.append("bench_memory")
    soak_step.end()
    steps.append(soak_step)
    print((logs / "bench_memory.log").read_text(), end="", flush=True)
    failures += [name for name in AFTER_SOAK if not run_and_show(name, logs, steps)]
    total = time.perf_counter() - started
    results = {path.stem: json.loads(path.read_text()) for path in RESULTS_DIR.glob("*.json")}
    run = Run(
        total, load_at_start, steps, failures, machine(), _sizes(), f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    )
    RUN_RECORD.write_text(json.dumps({"run": asdict(run), "district": district}, ensure_ascii=False, indent=2))
    REPORT.write_text(render(results, district, run, kept_sections()), encoding="utf-8")
    print(f"== wrote {REPORT.relative_to(ROOT)} in {total:.0f} s" + (f"; failed: {failures}" if failures else ""))
    return 1 if failures else 0


@dataclass(frozen=True)
class Part:
    """A part of the report that a make target of its own measures (``python -m benchmarks.run NAME``): it runs
    apart from `make bench`, which keeps the part's section of the report as it stands, and rewrites only that
    section, between its two markers."""

    name: str
    title: str
    benchmarks: tuple[str, ...]
    results: tuple[str, ...]
    sizes: tuple[str, ...]
    lines: Callable[[dict, dict[str, str]], list[str]]
    needs: Callable[[], object] | None = None
    """What its benchmarks share, prepared once before they run (the sample store)."""

    @property
    def start(self) -> str:
        return f"<!-- make bench-{self.name} writes from here -->"

    @property
    def end(self) -> str:
        return f"<!-- make bench-{self.name} writes up to here -->"


def render_part(part: Part) -> int:
    """Write ``part``'s section of the report again from its benchmarks' last figures (``NAME --render``): after
    one of them was run alone (``python -m benchmarks.bench_kiosk_soak`` with ``BENCH_SOAK_FULL=1``, say), or
    the notes in ``benchmarks/NOTES.md`` were edited, without measuring the others again."""
    written = write_part_section(part, None, [])
    print(f"== wrote its section of {REPORT.relative_to(ROOT)} from the last figures of {', '.join(written)}")
    return 0


def write_part_section(part: Part, total: float | None, failures: list[str]) -> list[str]:
    """Write ``part``'s section of the report (:func:`part_section`) from the figures its benchmarks saved last;
    the names of the figures there were."""
    results = {
        name: json.loads((RESULTS_DIR / f"{name}.json").read_text())
        for name in part.results
        if (RESULTS_DIR / f"{name}.json").exists()
    }
    section = part_section(part, results, total, failures)
    REPORT.write_text(with_section(REPORT.read_text(encoding="utf-8"), part, section), encoding="utf-8")
    return list(results)


def main_part(part: Part) -> int:
    """Run ``part``'s benchmarks one after the other and write their section of the report."""
    started = time.perf_counter()
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    for name in part.results:
        (RESULTS_DIR / f"{name}.json").unlink(missing_ok=True)
    if part.needs is not None:
        part.needs()
    steps: list[Step] = []
    failures = [name for name in part.benchmarks if not run_and_show(name, logs, steps)]
    total = time.perf_counter() - started
    write_part_section(part, total, failures)
    print(
        f"== wrote its section of {REPORT.relative_to(ROOT)} in {total:.0f} s"
        + (f"; failed: {failures}" if failures else "")
    )
    return 1 if failures else 0


def kept_section(report: str, part: Part) -> str:
    """The section ``part`` wrote into ``report``, markers included ("" if none)."""
    if part.start not in report or part.end not in report:
        return ""
    return report[report.index(part.start) : report.index(part.end) + len(part.end)]


def kept_sections() -> str:
    """The sections of the parts as the report holds them now, which `make bench` keeps."""
    report = REPORT.read_text(encoding="utf-8") if REPORT.exists() else ""
    return "\n\n".join(kept for part in PARTS.values() if (kept := kept_section(report, part)))


def with_section(report: str, part: Part, section: str) -> str:
    """``report`` with ``part``'s section replaced by ``section``, or, the first time, ``section`` at its end."""
    kept = kept_section(report, part)
    if kept:
        return report.replace(kept, section)
    return f"{report.rstrip()}\n\n{section}\n"


def part_section(part: Part, results: dict, total: float | None, failures: list[str]) -> str:
    """``part``'s section: how and when it was written, then its figures; ``total`` None when it was written from
    the last figures of its benchmarks (:func:`render_part`), each of which says when it was measured."""
    written = f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
    how = (
        f"Written by `make bench-{part.name}` on {written} in {total:.0f} s"
        + "".join(f", {name}={os.environ[name]}" for name in part.sizes if name in os.environ)
        + f"; load average at the end {', '.join(f'{value:.1f}' for value in os.getloadavg())} "
        "(the machine's two cores may be shared with other work)."
        if total is not None
        else f"Written on {written} by `python -m benchmarks.run {part.name} --render` from the last figures of "
        f"its benchmarks ({', '.join(f'`{name}`' for name in part.benchmarks)}), each run on its own on this machine "
        "beforehand."
    )
    lines = [
        part.start,
        f"## {part.title} (`make bench-{part.name}`)",
        "",
        how,
        "",
        *([f"**Failed in this run:** {', '.join(failures)} (see `benchmarks/out/logs/`).", ""] if failures else []),
        *part.lines(results, read_notes()),
        part.end,
    ]
    return "\n".join(lines)


def protocol_wall_lines(runs: list[dict]) -> list[str]:
    """The server's part of the live wall: walls that speak Streamlit's protocol and draw nothing."""
    if not runs:
        return []
    return [
        "The server's part alone: walls that speak Streamlit's protocol and draw nothing (`benchmarks/sessions.py`), "
        "each running its live check every second as a browser does; from the commit to the new figure received "
        "by every wall. A TV's own browser then draws it (the one-wall rows above).",
        "",
        "| store | app processes | protocol walls | entries | p50 | p95 | max | target p95 ≤ 2 s | server CPU | "
        "load average (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
        *[
            f"| {run['store']} | {run['processes']} | {run['walls']} | {run['entries']} | {run['p50_s']:.2f} s | "
            f"{run['p95_s']:.2f} s | {run['max_s']:.2f} s | {verdict(run['p95_s'], 2)} | {run['server_cpu']:.0%} | "
            f"{run['load_average'][0]:.1f} |"
            for run in runs
        ],
        "",
    ]


def _walls_cell(run: dict) -> str:
    """The walls of a live-wall run, how many of them Chromium drew, with their own p95, when not all, and how
    often a wall in Chromium reloaded itself (its staleness watch), when it did."""
    in_chromium = run.get("in_chromium", run["walls"])
    said = [f"{in_chromium} in Chromium: p95 {run['on_screen_p95_s']:.2f} s"] if in_chromium != run["walls"] else []
    said += [f"reloads: {run['reloads']}"] if run.get("reloads") else []
    return f"{run['walls']} ({'; '.join(said)})" if said else str(run["walls"])


def live_lines(results: dict, notes: dict[str, str]) -> list[str]:
    """The live wall (commit → figure on every wall, idle CPU per wall) and the kiosk soak, each target once, with
    the notes on each from ``benchmarks/NOTES.md``."""
    lines: list[str] = []
    live = results.get("live_wall")
    if live:
        lines += [
            "### Live wall: an entry's commit to its figure on every open kiosk wall (Chromium, sample store)",
            "",
            "| store | app processes | walls | entries | p50 | p95 | max | target p95 ≤ 2 s | idle server CPU, walls "
            "open | without | per idle wall | target ≤ 1 % of a core | load average (1 min) |",
            "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|",
            *[
                f"| {run.get('store', 'sqlite')} | {run.get('processes', 1)} | {_walls_cell(run)} | {run['entries']} | "
                f"{run['p50_s']:.2f} s | {run['p95_s']:.2f} s | "
                f"{run['max_s']:.2f} s | {verdict(run['p95_s'], 2)} | {run['server_cpu_idle_walls']:.1%} | "
                f"{run['server_cpu_no_wall']:.1%} | {run['idle_cpu_per_wall']:.2%} | "
                f"{verdict(run['idle_cpu_per_wall'], 0.01)} | {run['load_average'][0]:.1f} |"
                for run in live["runs"]
            ],
            "",
            f"Idle CPU over {live['idle_seconds']:g} s with nothing entered (`/proc` of the server processes). "
            "The browsers drawing the walls share the two cores with the server. A row of walls of which only some "
            "are in Chromium has the others speak Streamlit's protocol (below) on the same server: the server serves "
            "them all, and the latency is each wall's, on screen for the browsers (their own p95 in brackets).",
            "",
            *protocol_wall_lines(live.get("protocol_runs", [])),
            *([notes["live_wall"], ""] if "live_wall" in notes else []),
        ]
    soak = results.get("kiosk_soak")
    if soak:
        first, end = soak["first_hour"], soak["end"]
        lines += [
            "### A TV on for days: the kiosk page in Chromium through the soak",
            "",
            f"{soak['equivalent_hours']:.1f} hours of a TV at the default interval ({soak['clock_redraws']} clock "
            f"redraws, accelerated, an entry every {soak['write_seconds']:g} s; the scheduled reload off), "
            + ("the full 24 hours" if soak["full"] else "a short run (`BENCH_SOAK_FULL=1` for the 24 hours)")
            + ".",
            "",
            "| measure | after the first hour | at the end | ratio | target ≤ 1.2× | trend an hour |",
            "|---|---:|---:|---:|---|---:|",
            f"| JS heap (after a GC) | {first['heap_mib']:.1f} MiB | {end['heap_mib']:.1f} MiB | "
            f"{soak['heap_ratio']:.2f}× | {verdict(soak['heap_ratio'], 1.2)} | {soak['heap_mib_per_hour']:+.2f} MiB |",
            f"| DOM nodes | {first['nodes']:.0f} | {end['nodes']:.0f} | {soak['nodes_ratio']:.2f}× | "
            f"{verdict(soak['nodes_ratio'], 1.2)} | {soak['nodes_per_hour']:+.0f} |",
            "",
            *([notes["kiosk_soak"], ""] if "kiosk_soak" in notes else []),
        ]
    return lines


def growth_lines(results: dict, notes: dict[str, str]) -> list[str]:
    """Each figure's time at every length of history and its fitted growth exponent against the target, then the
    same against the district's units, with the notes on each."""
    growth = results.get("growth")
    if not growth:
        return []
    lines: list[str] = []
    history = growth["history"]
    lines += [
        f"### Against history: the district at ×{history['sizes'][0]['scale']:g}, its days of history varied",
        "",
        *growth_table(history, growth["target"], lambda size: f"{size['days']:,} days ({size['rows']:,} rows)"),
        "The exponent is the least-squares slope of log(time) against log(days of history): doubling the history "
        "costs 2 ** exponent the time. A day at the end is the same at every length (the generator's `--days`).",
        "",
        *([notes["growth"], ""] if "growth" in notes else []),
    ]
    units = growth.get("units")
    if units:
        lines += [
            "### Against the units: the district's `--scale` over the same 365 days (reported apart, no target)",
            "",
            *growth_table(units, None, lambda size: f"×{size['scale']:g} ({size['rows']:,} rows)"),
            "The exponent is the slope of log(time) against log(rows). The scale multiplies the checkpoints, "
            "people, items and enterprises, and so the day's own rows: a day's figures read every unit's rows of "
            "the day and list every unit, so they grow with the units by their nature.",
            "",
            *([notes["growth_units"], ""] if "growth_units" in notes else []),
        ]
    return lines


def growth_table(series: dict, target: float | None, heading: Callable[[dict], str]) -> list[str]:
    """One series of the growth part as a table: a column per size, the exponent and, with a target, the verdict."""
    sizes = series["sizes"]
    target_column = f" target ≤ {target:g} |" if target is not None else ""
    return [
        "| figure | " + " | ".join(heading(size) for size in sizes) + f" | growth exponent |{target_column}",
        "|---|" + "---:|" * len(sizes) + "---:|" + ("---|" if target is not None else ""),
        *[
            f"| `{name}` | "
            + " | ".join(f"{size['seconds'][name] * 1000:,.0f} ms" for size in sizes)
            + f" | {exponent:.2f} |"
            + (f" {verdict(exponent, target)} |" if target is not None else "")
            for name, exponent in series["exponents"].items()
        ],
        "",
    ]


def sessions_lines(results: dict, notes: dict[str, str]) -> list[str]:
    """Each step of the sessions ramp (latency of a save or a move, errors, memory), the target's verdict at its
    number of sessions, where the p95 passes its limit, and the real browsers' saves beside the protocol's."""
    sessions = results.get("sessions")
    if not sessions:
        return []
    target, limit = sessions["target_p95_s"], sessions["limit_p95_s"]
    where = sessions["passes_limit_at"]
    lines = [
        f"One app process, N sessions over Streamlit's websocket protocol (`benchmarks/sessions.py`): three "
        f"quarters clerks on quick entry, a twentieth kiosk walls, the rest leaders on the domain pages; in a "
        f"{sessions['window_s']:g}-second shift change every clerk saves a count and every leader moves to another "
        "page, while the walls' and leaders' pages follow the data live. Latency: the message sent to the run's end.",
        "",
        "| sessions | clerks / leaders / walls | save or move p50 | p95 | max | "
        f"target at {sessions['target_sessions']}: p95 ≤ {target * 1000:.0f} ms, no error | opening p95 | "
        "live check p95 (runs) | errors | entries stored | server RSS before → with them | per session | "
        "server CPU | load (1 min) |",
        "|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in sessions["steps"]:
        met = ""
        if step["sessions"] == sessions["target_sessions"]:
            met = verdict(step["interactions"]["p95_s"], target)
            if step["errors"]:
                met = f"**missed** ({step['errors']} errors)" if met == "met" else f"{met}, {step['errors']} errors"
        lines.append(_sessions_row(step, str(step["sessions"]), met))
    alone, phones = sessions.get("clerks_alone"), sessions.get("with_phones")
    below: list[str] = []
    if alone:
        lines.append(_sessions_row(alone, f"{alone['sessions']}: the clerks alone", ""))
        below.append("The clerks alone: the same clerks on a process of their own, with no page that follows the data.")
    if phones:
        count = phones["browser save"]["count"]
        lines.append(_sessions_row(phones, f"{phones['sessions']} and {count} phones in Chromium", "not judged"))
        below.append(
            f"With phones: the step of {phones['sessions']} once more, with {count} clerks on phones in Chromium "
            "besides, whose browsers draw on the cores the server runs on."
        )
    if below:
        lines += ["", *below]
    repeated = next((step for step in sessions["steps"] if len(step.get("runs", [])) > 1), None)
    if repeated:
        each = ", ".join(f"{run['p95_s'] * 1000:.0f} ms" for run in repeated["runs"])
        lines += [
            "",
            f"The step of {repeated['sessions']} ran {len(repeated['runs'])} times, each on a fresh server: p95 "
            f"{each}. Its row gives the run with the middle p95, and the errors of all its runs.",
        ]
    if sessions["at_target"] is None:
        lines += ["", f"The ramp ended before {sessions['target_sessions']} sessions: target **missed**."]
    first = sessions["steps"][0]
    if where is None:
        reach = f"**beyond {sessions['largest_step']} sessions**"
    elif first["interactions"]["p95_s"] > limit:
        reach = f"**{first['sessions']} sessions or fewer**: the ramp's first step is over it already"
    else:
        reach = f"about **{where:.0f} sessions** (interpolated between the steps below and above it)"
    lines += ["", f"The p95 of a save or a move passes {limit:g} s at {reach}."]
    if sessions["largest_step"] < max(sessions.get("planned_steps", [0])):
        lines[-1] += (
            f" The ramp stopped after {sessions['largest_step']} sessions, whose p95 passed "
            f"{sessions['give_up_p95_s']:g} s: the steps above it would only take longer."
        )
    if phones and phones["browser save"]["count"]:
        figures = phones["browser save"]
        lines += [
            "",
            f"Real sessions at {phones['sessions']}: {figures['count']} clerks on phones in Chromium (390×844, "
            f"touch) saved during the same shift change, from the tap to the saved message on screen: p50 "
            f"{figures['p50_s']:.2f} s, max {figures['max_s']:.2f} s, against the protocol's save p50 "
            f"{phones['save']['p50_s']:.2f} s, p95 {phones['save']['p95_s']:.2f} s in the same run.",
        ]
    runs = [*sessions["steps"], *([phones] if phones else [])]
    errors = [example for step in runs for example in step["error_examples"]]
    if errors:
        lines += ["", "The first errors: " + "; ".join(f"`{error}`" for error in errors[:5]) + "."]
    return [*lines, "", *([notes["sessions"], ""] if "sessions" in notes else [])]


def _sessions_row(step: dict, label: str, met: str) -> str:
    figures = step["interactions"]
    return (
        f"| {label} | {step['clerks']} / {step['leaders']} / {step['walls']} | {figures['p50_s'] * 1000:.0f} ms | "
        f"{figures['p95_s'] * 1000:.0f} ms | {figures['max_s']:.2f} s | {met} | {step['open']['p95_s']:.2f} s | "
        f"{step['live'].get('p95_s', 0):.2f} s ({step['live']['count']}) | {step['errors']} | "
        f"{step['entries_stored']} of {step['clerks']} | {step['rss_before_mib']:.0f} → {step['rss_end_mib']:.0f} MiB "
        f"| {step['rss_per_session_kib']:.0f} KiB | {step['server_cpu']:.0%} | {step['load_average'][0]:.1f} |"
    )


def verdict(value: float, limit: float, at_most: bool = True) -> str:
    met = value <= limit if at_most else value >= limit
    return (
        "met"
        if met
        else f"**missed** ({value / limit:.1f}× the target)"
        if at_most
        else f"**missed** ({limit / value:.0f}× short)"
    )


@dataclass
class Run:
    """The run as a whole: its length, the load average as it began, its steps, what failed, the machine (its
    load at the end), the sizes and when it ended; kept beside the figures so that the report can be rendered
    again (``--render``)."""

    seconds: float
    load_at_start: tuple[float, float, float]
    steps: list[Step]
    failures: list[str]
    machine: dict
    sizes: dict[str, str]
    written: str


SIZES = (
    "BENCH_SCALE",
    "BENCH_IMPORT_ROWS",
    "BENCH_IMPORT_PG_ROWS",
    "BENCH_REFRESHES",
    "BENCH_WRITERS",
    "BENCH_ENTRIES",
    "BENCH_PG_DURABLE",
)


def _sizes() -> dict[str, str]:
    return {name: os.environ[name] for name in SIZES if name in os.environ}


def render(results: dict, district: dict, run: Run, parts: str = "") -> str:
    """The report: the run and its machine, then each measurement once, its target and verdict in its table,
    and under it the notes on it from ``benchmarks/NOTES.md`` (why a target is missed, what was tried); at its
    end ``parts``, the sections the parts' own make targets wrote, kept as they stand."""
    notes = read_notes()
    lines = run_section(run, district)
    for name, section in SECTIONS.items():
        if name in results:
            lines += [*section(results[name]), *([notes[name], ""] if name in notes else [])]
    if parts:
        lines += [parts, ""]
    return "\n".join(lines)


def only(name: str) -> int:
    """Run the benchmark of ``make bench``'s section ``name`` alone (``--only import``) and rewrite that section of
    the report in place, the rest as it stands: for a change that moves one figure, without the whole run. The
    section says it was measured alone, when, and under which load."""
    if name not in SECTIONS:
        print(
            f"--only takes a section of make bench ({', '.join(SECTIONS)}); "
            f"a part runs as: python -m benchmarks.run {name}"
        )
        return 2
    logs = OUT / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    (RESULTS_DIR / f"{name}.json").unlink(missing_ok=True)
    steps: list[Step] = []
    if not run_and_show(f"bench_{name}", logs, steps):
        return 1
    notes = read_notes()
    step = steps[0]
    section = "\n".join(
        [
            *SECTIONS[name](json.loads((RESULTS_DIR / f"{name}.json").read_text())),
            f"Measured alone (`python -m benchmarks.run --only {name}`) on "
            f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z} in {step.seconds:.0f} s; load average (1 min) "
            f"{step.load_before:.1f} as it began, "
            f"{step.load_after:.1f} as it ended (the machine's two cores may be shared with other work).",
            "",
            *([notes[name], ""] if name in notes else []),
        ]
    )
    REPORT.write_text(with_only_section(REPORT.read_text(encoding="utf-8"), section), encoding="utf-8")
    print(f"== wrote its section of {REPORT.relative_to(ROOT)}")
    return 0


def with_only_section(report: str, section: str) -> str:
    """``report`` with the section headed as ``section`` is (up to the next heading or part) replaced by it. The
    heading is matched up to its figures in brackets (the writers' names their number); a report without the
    section gets it before the parts' sections, or at its end."""
    heading = section.split("\n", 1)[0].split(" (", 1)[0]
    start = report.find(heading)
    if start == -1:
        parts = report.find("<!-- make bench-")
        place = len(report) if parts == -1 else parts
        return f"{report[:place].rstrip()}\n\n{section.rstrip()}\n\n{report[place:]}".rstrip() + "\n"
    ends = [report.find(mark, start + len(heading)) for mark in ("\n## ", "\n<!-- make bench-")]
    end = min((place for place in ends if place != -1), default=len(report))
    return report[:start] + section.rstrip() + "\n" + report[end:]


def read_notes() -> dict[str, str]:
    """``benchmarks/NOTES.md``'s text under each ``## <result>`` heading (``briefing``, ``import``, …)."""
    if not NOTES.exists():
        return {}
    notes: dict[str, list[str]] = {}
    current: list[str] = []
    for row in NOTES.read_text(encoding="utf-8").splitlines():
        if row.startswith("## "):
            current = notes.setdefault(row[3:].strip(), [])
        else:
            current.append(row)
    return {name: "\n".join(rows).strip() for name, rows in notes.items() if "\n".join(rows).strip()}


def run_section(run: Run, district: dict) -> list[str]:
    """When, on what, under which load and at which sizes the figures were measured."""
    info = run.machine
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {run.written} in {run.seconds:.0f} s. Sizes: "
        + ", ".join(f"{name}={value}" for name, value in run.sizes.items())
        + ".",
        "",
        f"Machine: {info['nproc']} cores ({info['cpu']}), {info['memory_gib']} GiB memory, {info['system']}; "
        f"Python {info['python']}, SQLite {info['sqlite']}, PostgreSQL {info['postgresql'] or 'not reachable'}. "
        f"Load average (1, 5, 15 min) {_loads(run.load_at_start)} as the run began and "
        f"{_loads(info['load_average'])} at its end; the machine may be shared, and a load above its cores "
        "means other work competed with the benchmarks.",
        "",
        "| step | ran alongside | time | load (1 min) at start → end |",
        "|---|---|---:|---|",
        *[
            f"| {step.name} | {step.alongside} | {step.seconds:.0f} s | "
            f"{step.load_before:.1f} → {step.load_after:.1f} |"
            for step in run.steps
        ],
        "",
        f"District: scale {district['scale']:g} ({district['total_rows']:,} rows, the 365 days ending {END}), "
        f"generated by `benchmarks/district.py` in {district['seconds']:.0f} s "
        f"({district['rows_per_second']:,} rows/s)"
        + (f"; {district['note']}" if district.get("note") else "")
        + f". Sample: the sample command post of `sample_data` ({SAMPLE_DAYS} days ending {END}). "
        "The clock of the command post is frozen at the end of that day for every measurement.",
        "",
        "| table | district rows |",
        "|---|---:|",
        *[f"| {table} | {count:,} |" for table, count in district["rows"].items()],
        "",
    ]
    if run.failures:
        lines += [
            f"**Benchmarks that failed in this run:** {', '.join(run.failures)} (see `benchmarks/out/logs/`).",
            "",
        ]
    return lines


def _loads(values: tuple[float, ...] | list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


def briefing_section(briefing: dict) -> list[str]:
    return [
        "## Briefing figures for one date",
        "",
        "| measure | figure | ratio | target |",
        "|---|---:|---:|---|",
        f"| `build_briefing` at sample scale | {briefing['sample_seconds'] * 1000:.1f} ms | | |",
        f"| `build_briefing` at district scale | {briefing['district_seconds'] * 1000:.0f} ms | "
        f"{briefing['district_vs_sample']:.1f}× sample | ≤ 3×: {verdict(briefing['district_vs_sample'], 3)} |",
        f"| naive pandas (whole tables into DataFrames) at district scale | {briefing['naive_seconds']:.1f} s | "
        f"briefing = {briefing['briefing_vs_naive']:.3f}× naive | ≤ 0.1×: "
        f"{verdict(briefing['briefing_vs_naive'], 0.1)} |",
        "",
        "Per domain at district scale (ms): "
        + ", ".join(f"{name} {seconds * 1000:.0f}" for name, seconds in briefing.get("domains", {}).items())
        + f". The pandas figures agree with `build_briefing`: {briefing['naive_agrees']}.",
        "",
    ]


def pages_section(pages: dict) -> list[str]:
    return [
        "## Pages (AppTest script run, cold data cache, signed in as administrator)",
        "",
        "| page | sample | district | ratio | target ≤ 3× |",
        "|---|---:|---:|---:|---|",
        *[
            f"| `{page}` | {figures['sample_seconds']:.2f} s | {figures['district_seconds']:.2f} s | "
            f"{figures['ratio']:.1f}× | {verdict(figures['ratio'], 3)}"
            + (f"; shows errors: {'; '.join(figures['problems'])[:200]}" if figures["problems"] else "")
            + " |"
            for page, figures in pages["pages"].items()
        ],
        "",
    ]


def followups_section(followups: dict) -> list[str]:
    return [
        f"## Follow-up grid of a {followups['people']}-person site (district scale, one transaction each)",
        "",
        "| save | rows | time | target < 1 s |",
        "|---|---:|---:|---|",
        f"| the day filled in | {followups['fill_rows']} readings | {followups['fill_seconds']:.2f} s | "
        f"{verdict(followups['fill_seconds'], followups['target_seconds'])} |",
        f"| every morning reading corrected | {followups['correct_rows']} corrections | "
        f"{followups['correct_seconds']:.2f} s | "
        f"{verdict(followups['correct_seconds'], followups['target_seconds'])} |",
        "",
    ]


def writers_section(writers: dict) -> list[str]:
    lines = [
        f"## Entry commit latency ({writers['writers']} writer processes against one writer alone)",
        "",
        "| store | durability | load | entries | p50 | p95 | max | p95 ratio to alone | target ≤ 10× "
        "| rows stored | duplicated | errors shown |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|",
    ]
    for setup in (setup for setup in SETUPS if setup in writers):
        alone = writers[setup]["alone"]
        for label in ("alone", "burst", "paced"):
            figures = writers[setup][label]
            ratio = figures["p95_ms"] / alone["p95_ms"]
            target = "" if label == "alone" else verdict(ratio, 10)
            if setup == "sqlite" and label != "alone":
                target += f"; p95 ≤ 50 ms: {verdict(figures['p95_ms'], 50)}"
            lines.append(
                f"| {setup} | {durability_text(writers[setup]['durability'])} | {label} | {figures['entries']} | "
                f"{figures['p50_ms']:.1f} ms | {figures['p95_ms']:.1f} ms | {figures['max_ms']:.0f} ms | "
                f"{ratio:.1f}× | {target} | {figures['rows']} | {figures['rows'] - figures['distinct_rows']} | "
                f"{figures['error_count']} |"
            )
    return [
        *lines,
        "",
        "Burst: every writer submits again the moment its entry is saved. Paced: each writer submits "
        "about twice a second. `postgresql-durable`: the same server with its durability settings on, as a "
        "production server runs (`benchmarks.common.durable_pg`).",
        "",
    ]


def import_section(imports: dict) -> list[str]:
    return [
        "## Import throughput (`checkpoint_counts` CSV)",
        "",
        "| store | durability | rows | import | bare executemany (floor) | import / floor | target ≥ 0.5× |",
        "|---|---|---:|---:|---:|---:|---|",
        *[
            f"| {setup} | {durability_text(figures['durability'])} | {figures['rows']:,} | "
            f"{figures['import_rows_per_second']:,.0f} rows/s ({figures['import_seconds']:.1f} s) | "
            f"{figures['floor_rows_per_second']:,.0f} rows/s ({figures['floor_seconds']:.1f} s) | "
            f"{figures['ratio']:.3f}× | {verdict(figures['ratio'], 0.5, at_most=False)} |"
            for setup, figures in ((setup, imports[setup]) for setup in SETUPS if setup in imports)
        ],
        "",
        *[
            f"{setup}: the least of {figures['repeat']} runs of each, in turn, into fresh stores (import "
            + ", ".join(f"{seconds:.1f}" for seconds in figures["import_runs"])
            + " s; floor "
            + ", ".join(f"{seconds:.1f}" for seconds in figures["floor_runs"])
            + " s)."
            for setup, figures in imports.items()
            if "repeat" in figures
        ],
        "",
    ]


def memory_section(memory: dict) -> list[str]:
    rss = memory["rss_mib"]
    return [
        "## Server memory of a wall screen (RSS of `streamlit run`)",
        "",
        f"After 100 refreshes {rss['100']:.0f} MiB, after {memory['refreshes']:,} "
        f"{rss[str(memory['refreshes'])]:.0f} MiB: {memory['ratio']:.2f}× (target ≤ 1.2×: "
        f"{verdict(memory['ratio'], 1.2)}). A refresh took {memory['refresh_ms']:.0f} ms on average "
        f"(fragment runs: {memory['statuses']}). RSS along the way (MiB): "
        + ", ".join(f"{key}: {value:.0f}" for key, value in rss.items())
        + ".",
        "",
    ]


SECTIONS: dict[str, Callable[[dict], list[str]]] = {
    "briefing": briefing_section,
    "pages": pages_section,
    "followups": followups_section,
    "writers": writers_section,
    "import": import_section,
    "memory": memory_section,
}
"""``make bench``'s sections, in the report's order, by the name of their result (``bench_<name>`` measures it)."""

PARTS = {
    part.name: part
    for part in (
        Part(
            "live",
            "Live wall and a TV on for days",
            ("bench_live_wall", "bench_kiosk_soak"),
            ("live_wall", "kiosk_soak"),
            ("BENCH_WALLS", "BENCH_LIVE_ENTRIES", "BENCH_IDLE_SECONDS", "BENCH_SOAK_MINUTES", "BENCH_SOAK_FULL"),
            live_lines,
            sample_store,
        ),
        Part(
            "growth",
            "Cost against history and against the size of the district",
            ("bench_growth",),
            ("growth",),
            ("BENCH_GROWTH_DAYS", "BENCH_GROWTH_HISTORY_SCALE", "BENCH_GROWTH_SCALES", "BENCH_GROWTH_ROUNDS"),
            growth_lines,
        ),
        Part(
            "sessions",
            "Sessions per process",
            ("bench_sessions",),
            ("sessions",),
            (
                "BENCH_SESSIONS",
                "BENCH_SESSIONS_WINDOW",
                "BENCH_SESSIONS_REPEATS",
                "BENCH_SESSIONS_BROWSER_AT",
                "BENCH_SESSIONS_BROWSERS",
            ),
            sessions_lines,
            sample_store,
        ),
    )
}
"""The parts of the report measured apart: `make bench-live` drives Chromium (the browsers share the cores with
the server, so they run on their own); `make bench-growth` generates the district with up to three years of
history and at up to three times its size; `make bench-sessions` loads one app process with hundreds of sessions,
which needs the machine to itself."""


if __name__ == "__main__":
    if sys.argv[1:2] == ["--only"]:
        sys.exit(only(sys.argv[2]))
    if sys.argv[1:2] and sys.argv[1] in PARTS:
        part = PARTS[sys.argv[1]]
        sys.exit(render_part(part) if sys.argv[2:] == ["--render"] else main_part(part))
    sys.exit(main())
