"""Sessions per process (issue 20, target 2): how many people one app process serves at shift change.

One real server (``streamlit run app.py`` over a copy of the sample store, clock frozen at the benchmarks' day,
as :func:`benchmarks.common.served_app` serves it) and N sessions that speak Streamlit's own websocket protocol
(:mod:`benchmarks.sessions`) in one client process: three quarters clerks on quick entry, a twentieth kiosk walls
(the sample's device token), the rest leaders on the domain pages. At 200 that is the target's 150 clerks, 40
leaders and 10 walls. Every session is signed in as a browser is: a clerk and a leader by a session cookie of
their own (``users.open_session``), a wall by its device token. Walls and leaders follow the data live, as their
browsers do: every fragment that asks to run again (the data-version check each second, the wall's refresh) is
run at its interval, so an entry redraws every live page, as it does at a command post.

Each step of the ramp (``BENCH_SESSIONS``, default ``25,50,100,200,300``) gets a fresh server over a fresh copy
of the store, with a checkpoint of its own for every clerk (so that no two entries overlap) and a clerk account
for every ten checkpoints:

1. the sessions open and draw their page (a clerk's home is quick entry, a leader opens a domain page, a wall
   the kiosk), a few at a time;
2. shift change: within ``BENCH_SESSIONS_WINDOW`` seconds (default 30) each clerk submits a count on its
   checkpoint, and each leader moves to another domain page, at random moments;
3. the stored rows are counted: each clerk's entry once.

Latency is the time from the ``BackMsg`` sent to the run's ``script_finished``. The interactions (a clerk's save,
a leader's move) give p50/p95/max and the target; opening a page and the live pages' checks are reported beside
them. Errors: an exception drawn, a refusal, a save without its message, a session disconnected or a run that
timed out, an entry not stored once. The server's RSS (``/proc``) after a warm-up session and with the N sessions
open gives the memory a session costs. The server's CPU time over the shift change (``/proc``) and the load
average are noted: this client shares the machine's cores with the server, and so may other work.

The target's step (200 sessions) runs ``BENCH_SESSIONS_REPEATS`` times (default 3), each on a fresh server: on
two cores the same code's p95 moved from 0.37 to 0.92 s between runs, so one run says little, and the step's
figures are those of the run with the middle p95, each run's p95 kept beside them. Then the step at
``BENCH_SESSIONS_BROWSER_AT`` (default 200) runs once more with a few more clerks on phones in Chromium
(``BENCH_SESSIONS_BROWSERS``, default 3), each saving an entry during the same shift change, timed from the tap
to the saved message on screen, to confirm what a real session feels under that load (each phone's screen at the
end in ``benchmarks/out/sessions-phone-N.png``). That run is reported apart and not judged: the phones' Chromium
draws on the two cores the server runs on (load 2.4 where the protocol's runs have 0.6–1.1), which a command
post's phones, each drawing on its own, do not.

After the ramp, the clerks of the target's step save once more on a server of their own, with no wall and no
leader (``BENCH_SESSIONS_CLERKS_ALONE``, on unless ``0``): what a process kept for the phones gives them, and
how much of a save's wait the redraws of the pages that follow the data cause.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from benchmarks.common import (
    BENCH_ADMIN,
    CHROMIUM,
    CHROMIUM_ARGS,
    IDLE,
    OUT,
    PHONE,
    copy_sqlite,
    cpu_seconds,
    freeze_clock,
    line,
    percentile,
    rss_kib,
    sample_store,
    save,
    served_app,
)
from benchmarks.sessions import SESSION_COOKIE, Disconnected, Run, Session
from data_layer import checkpoints, users
from data_layer.db import connect, perform
from sample_data import DEMO_WALL_DEVICE_TOKEN

STEPS = [int(count) for count in os.environ.get("BENCH_SESSIONS", "25,50,100,200,300").split(",")]
WINDOW = float(os.environ.get("BENCH_SESSIONS_WINDOW", "30"))
BROWSER_AT = int(os.environ.get("BENCH_SESSIONS_BROWSER_AT", "200"))
BROWSERS = int(os.environ.get("BENCH_SESSIONS_BROWSERS", "3"))
REPEATS = int(os.environ.get("BENCH_SESSIONS_REPEATS", "3"))
TARGET_SESSIONS = 200
TARGET_P95 = 0.5
LIMIT_P95 = 1.0
GIVE_UP_P95 = 10.0
"""A step whose interactions' p95 passes this ends the ramp: the steps above it would only take longer."""
CLERKS_ALONE = os.environ.get("BENCH_SESSIONS_CLERKS_ALONE", "1") != "0"
"""Whether the target step's clerks are measured once more on a process of their own, with no live page."""
OPENING_AT_ONCE = 8
RUN_TIMEOUT = 120
"""A run that has not ended after two minutes counts as an error (a person would have given up long before)."""
CLERKS_PER_ACCOUNT = 10
LEADER_PAGES = ("checkpoints", "quarantine", "enterprises", "supplies")
GATE = "压测卡口{:03d}"


def mix(sessions: int, clerks_alone: bool = False) -> tuple[int, int, int]:
    """Clerks, leaders and walls among ``sessions``: 150, 40 and 10 of 200; all clerks if ``clerks_alone``."""
    if clerks_alone:
        return sessions, 0, 0
    clerks, walls = round(sessions * 0.75), max(1, round(sessions * 0.05))
    return clerks, sessions - clerks - walls, walls


def prepared_store() -> str:
    """A copy of the sample with a checkpoint for every clerk of the largest step and every browser, a clerk
    account for every :data:`CLERKS_PER_ACCOUNT` of them, and one clerk account for each browser's checkpoint."""
    url = copy_sqlite(sample_store(), "sessions-base")
    gates = max(mix(count)[0] for count in STEPS)

    def add(ctx) -> None:
        ids = [
            checkpoints.add_checkpoint(ctx, {"name": GATE.format(number), "grid": "第一网格", "kind": "road"})
            for number in range(gates + BROWSERS)
        ]
        for first in range(0, gates, CLERKS_PER_ACCOUNT):
            users.create_user(
                ctx,
                clerk_account(first),
                "clerk",
                "bench-clerk-password",
                assignments={"checkpoints": ids[first : first + CLERKS_PER_ACCOUNT]},
            )
        for number in range(BROWSERS):
            users.create_user(
                ctx,
                browser_account(number),
                "clerk",
                "bench-clerk-password",
                assignments={"checkpoints": [ids[gates + number]]},
            )

    engine = connect(url)
    perform(engine, BENCH_ADMIN, add)
    engine.dispose()
    return url


def clerk_account(clerk: int) -> str:
    return f"bench-clerk-{clerk // CLERKS_PER_ACCOUNT:02d}"


def browser_account(number: int) -> str:
    return f"bench-phone-{number}"


def session_tokens(url: str, usernames: list[str]) -> list[str]:
    """A remembered session (its cookie's token) for each of ``usernames``, one each, as each phone or laptop
    that signed in with its password holds."""
    engine = connect(url)
    tokens = [users.open_session(engine, users.actor_for(engine, name)) for name in usernames]
    engine.dispose()
    return tokens


def stored_entries(url: str) -> dict[str, int]:
    """The benchmark's checkpoints and how many count entries each holds."""
    engine = connect(url)
    with engine.connect() as conn:
        gates, counts = checkpoints.checkpoints, checkpoints.checkpoint_counts
        rows = conn.execute(
            sa.select(gates.c.name, sa.func.count(counts.c.id))
            .join(counts, counts.c.checkpoint_id == gates.c.id)
            .where(gates.c.name.like("压测卡口%"))
            .group_by(gates.c.name)
        ).all()
    engine.dispose()
    return {name: count for name, count in rows}


@dataclass
class Tally:
    """Every timed run of a step by kind (``open``, ``save``, ``move``, ``live``, ``browser save``) and every
    error, each with what it was."""

    seconds: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def note(self, kind: str, who: str, run: Run) -> Run:
        self.seconds.setdefault(kind, []).append(run.seconds)
        if run.status and not run.status.startswith("FINISHED"):
            self.errors.append(f"{who} {kind}: {run.status}")
        self.errors += [f"{who} {kind}: {text[:200]}" for text in run.exceptions]
        return run

    async def guarded(self, who: str, kind: str, work: Awaitable[object]) -> None:
        """Await ``work``, noting a disconnection or a timeout as an error of ``who`` rather than ending the step."""
        try:
            await work
        except (Disconnected, TimeoutError, KeyError, OSError) as problem:
            self.errors.append(f"{who} {kind}: {type(problem).__name__} {str(problem)[:600]}")

    def figures(self, kind: str) -> dict[str, float]:
        values = self.seconds.get(kind, [])
        if not values:
            return {"count": 0}
        return {
            "count": len(values),
            "p50_s": percentile(values, 0.5),
            "p95_s": percentile(values, 0.95),
            "max_s": max(values),
        }


class Crowd:
    """The sessions of one step and what each does."""

    def __init__(self, port: int, url: str, sessions: int, tally: Tally, clerks_alone: bool = False):
        self.clerks, self.leaders, self.walls = mix(sessions, clerks_alone)
        self.tally = tally
        tokens = session_tokens(url, [clerk_account(clerk) for clerk in range(self.clerks)] + ["leader"] * self.leaders)
        self.clerk_sessions = [Session(port, "lang=zh", token, timeout=RUN_TIMEOUT) for token in tokens[: self.clerks]]
        self.leader_sessions = [Session(port, "lang=zh", token, timeout=RUN_TIMEOUT) for token in tokens[self.clerks :]]
        self.wall_sessions = [
            Session(port, f"kiosk=1&lang=zh&device={DEMO_WALL_DEVICE_TOKEN}", timeout=RUN_TIMEOUT)
            for _ in range(self.walls)
        ]
        self.following: list[asyncio.Task] = []

    def everyone(self) -> list[tuple[str, Session, str | None]]:
        """Each session, interleaved as people arrive: its name, itself, and the page it opens."""
        people = [(f"wall {index}", session, None) for index, session in enumerate(self.wall_sessions)]
        people += [
            (f"leader {index}", session, LEADER_PAGES[index % len(LEADER_PAGES)])
            for index, session in enumerate(self.leader_sessions)
        ]
        people += [(f"clerk {index}", session, None) for index, session in enumerate(self.clerk_sessions)]
        random.Random(len(people)).shuffle(people)
        return people

    async def open(self) -> None:
        gate = asyncio.Semaphore(OPENING_AT_ONCE)

        async def one(who: str, session: Session, page: str | None) -> None:
            async with gate:
                await session.open()
                self.tally.note("open", who, await session.run(page=page))
            self.following.append(asyncio.create_task(session.follow(self._live(who))))

        await asyncio.gather(*(self.tally.guarded(person[0], "open", one(*person)) for person in self.everyone()))

    def _live(self, who: str) -> Callable[[str, Run], None]:
        return lambda fragment, run: self.tally.note("live", who, run)

    async def shift_change(self, extra: list[Awaitable[None]]) -> None:
        """Every clerk saves once and every leader moves once, each at a random moment of the window; ``extra``
        (the browsers) runs alongside."""
        moments = random.Random(7)
        work = [
            self.tally.guarded(f"clerk {index}", "save", self._save(index, session, moments.uniform(0, WINDOW)))
            for index, session in enumerate(self.clerk_sessions)
        ]
        work += [
            self.tally.guarded(f"leader {index}", "move", self._move(index, session, moments.uniform(0, WINDOW)))
            for index, session in enumerate(self.leader_sessions)
        ]
        await asyncio.gather(*work, *extra)

    async def _save(self, index: int, session: Session, delay: float) -> None:
        await asyncio.sleep(delay)
        run = await session.run(
            widgets={"卡口": GATE.format(index), "检测人数": float(40 + index % 50), "检查车辆": 3.0}, trigger="保存"
        )
        self.tally.note("save", f"clerk {index}", run)
        self.tally.errors += [f"clerk {index} save refused: {text[:200]}" for text in run.refusals]
        if not any(GATE.format(index) in text for text in run.successes):
            self.tally.errors.append(f"clerk {index} save: no saved message ({run.alerts})")

    async def _move(self, index: int, session: Session, delay: float) -> None:
        await asyncio.sleep(delay)
        page = LEADER_PAGES[(index + 1) % len(LEADER_PAGES)]
        self.tally.note("move", f"leader {index}", await session.run(page=page))

    async def close(self) -> None:
        for task in self.following:
            task.cancel()
        await asyncio.gather(*self.following, return_exceptions=True)
        sessions = self.clerk_sessions + self.leader_sessions + self.wall_sessions
        await asyncio.gather(*(session.close() for session in sessions), return_exceptions=True)


async def browser_clerks(port: int, url: str, tally: Tally) -> tuple[list[Awaitable[None]], Callable]:
    """:data:`BROWSERS` clerks on phones in Chromium, each signed in by its cookie on quick entry; the saves they
    make during the shift change, and what closes them."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import async_playwright

    playwright = await async_playwright().start()
    browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    tokens = session_tokens(url, [browser_account(number) for number in range(BROWSERS)])
    pages = []
    for token in tokens:
        context = await browser.new_context(**PHONE)
        await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": f"http://127.0.0.1:{port}"}])
        page = await context.new_page()
        await page.goto(f"http://127.0.0.1:{port}/?lang=zh", wait_until="networkidle")  # a clerk's home
        await page.get_by_label("检测人数").wait_for(timeout=RUN_TIMEOUT * 1000)
        pages.append(page)

    async def save(number: int, page, delay: float) -> None:
        await asyncio.sleep(delay)
        try:
            await page.wait_for_selector(IDLE, timeout=RUN_TIMEOUT * 1000)
            await page.get_by_label("检测人数").fill(str(30 + number), timeout=RUN_TIMEOUT * 1000)
            await page.get_by_label("检查车辆").fill("2", timeout=RUN_TIMEOUT * 1000)
            started = time.perf_counter()
            await page.get_by_role("button", name="保存", exact=True).click(timeout=RUN_TIMEOUT * 1000)
            await page.get_by_text("已保存（记录").wait_for(timeout=RUN_TIMEOUT * 1000)
        except PlaywrightError as problem:
            tally.errors.append(f"phone {number} browser save: {str(problem).splitlines()[0][:200]}")
            return
        finally:
            with contextlib.suppress(PlaywrightError):  # what the phone showed, kept to look at
                await page.screenshot(path=str(OUT / f"sessions-phone-{number}.png"), full_page=True)
        tally.note("browser save", f"phone {number}", Run(seconds=time.perf_counter() - started))

    async def close() -> None:
        await browser.close()
        await playwright.stop()

    moments = random.Random(11)
    work = [
        tally.guarded(f"phone {number}", "browser save", save(number, page, moments.uniform(WINDOW / 4, WINDOW)))
        for number, page in enumerate(pages)
    ]
    return work, close


async def step(sessions: int, base: str, clerks_alone: bool = False, phones: bool = False) -> dict:
    """One step of the ramp: a fresh server over a fresh copy of ``base`` and ``sessions`` sessions (all of them
    clerks if ``clerks_alone``), and :data:`BROWSERS` clerks on phones in Chromium besides if ``phones``."""
    url = copy_sqlite(base, f"sessions-{sessions}")
    tally = Tally()
    with served_app(url) as (server, port):
        warm = Crowd(port, url, 6, Tally())
        await warm.open()
        await warm.close()
        await asyncio.sleep(2)
        rss_before = rss_kib(server.pid)
        crowd = Crowd(port, url, sessions, tally, clerks_alone)
        started = time.perf_counter()
        await crowd.open()
        opened_in = time.perf_counter() - started
        rss_open = rss_kib(server.pid)
        browsers, close_browsers = [], None
        if phones:
            browsers, close_browsers = await browser_clerks(port, url, tally)
        load_before, cpu_before, window_began = os.getloadavg()[0], cpu_seconds(server.pid), time.perf_counter()
        await crowd.shift_change(browsers)
        window_cpu, window_seconds = cpu_seconds(server.pid) - cpu_before, time.perf_counter() - window_began
        load, rss_end = os.getloadavg(), rss_kib(server.pid)
        await crowd.close()
        if close_browsers is not None:
            await close_browsers()
    stored = stored_entries(url)
    expected = {GATE.format(index) for index in range(crowd.clerks)}
    tally.errors += [f"{name}: stored {count} times" for name, count in stored.items() if count != 1]
    tally.errors += [f"{name}: not stored" for name in sorted(expected - set(stored))]
    interactions = tally.seconds.get("save", []) + tally.seconds.get("move", [])
    return {
        "sessions": sessions,
        "clerks_alone": clerks_alone,
        "clerks": crowd.clerks,
        "leaders": crowd.leaders,
        "walls": crowd.walls,
        "interactions": Tally({"all": interactions}).figures("all"),
        **{kind: tally.figures(kind) for kind in ("save", "move", "open", "live", "browser save")},
        "opened_in_s": opened_in,
        "entries_stored": sum(stored.get(name, 0) for name in expected),
        "errors": len(tally.errors),
        "error_examples": tally.errors[:10],
        "rss_before_mib": rss_before / 1024,
        "rss_open_mib": rss_open / 1024,
        "rss_end_mib": rss_end / 1024,
        "rss_per_session_kib": (max(rss_open, rss_end) - rss_before) / sessions,
        "server_cpu": window_cpu / window_seconds,
        "server_cpu_seconds": window_cpu,
        "shift_change_s": window_seconds,
        "load_average_before": load_before,
        "load_average": load,
    }


def repeated_step(sessions: int, base: str) -> dict:
    """The step of ``sessions`` run :data:`REPEATS` times (:func:`middle_run`)."""
    runs = [asyncio.run(step(sessions, base)) for _ in range(REPEATS)]
    for run in runs:
        line(f"  one run of {sessions}: {summary(run)}")
    return middle_run(runs)


def middle_run(runs: list[dict]) -> dict:
    """The figures of the run with the middle p95 of ``runs``, with each run's p95 and errors, and the errors of
    them all: the target asks for no error in any."""
    middle = sorted(runs, key=lambda run: run["interactions"].get("p95_s", 0.0))[len(runs) // 2]
    return {
        **middle,
        "runs": [{"p95_s": run["interactions"].get("p95_s", 0.0), "errors": run["errors"]} for run in runs],
        "errors": sum(run["errors"] for run in runs),
        "error_examples": [example for run in runs for example in run["error_examples"]][:10],
    }


def crossing(steps: list[dict], limit: float) -> float | None:
    """The number of sessions at which the interactions' p95 passes ``limit``, interpolated linearly between the
    last step under it and the first over it; the first step's count if that one is already over; None if no
    step is."""
    previous = None
    for result in steps:
        p95 = result["interactions"].get("p95_s", 0.0)
        if p95 > limit:
            if previous is None:
                return float(result["sessions"])
            low, high = previous["interactions"]["p95_s"], p95
            return previous["sessions"] + (limit - low) / (high - low) * (result["sessions"] - previous["sessions"])
        previous = result
    return None


def summary(result: dict) -> str:
    figures, rss = result["interactions"], result["rss_per_session_kib"]
    text = (
        f"{result['sessions']} sessions ({result['clerks']} clerks, {result['leaders']} leaders, {result['walls']} "
        f"walls): save/move p50 {figures['p50_s'] * 1000:.0f} ms, p95 {figures['p95_s'] * 1000:.0f} ms, max "
        f"{figures['max_s']:.2f} s; open p95 {result['open']['p95_s']:.2f} s; live check p95 "
        f"{result['live'].get('p95_s', 0):.2f} s ({result['live']['count']} runs); errors {result['errors']}; "
        f"stored {result['entries_stored']}; RSS {result['rss_before_mib']:.0f} → {result['rss_end_mib']:.0f} MiB "
        f"({rss:.0f} KiB a session); server CPU {result['server_cpu']:.0%} of a core; load "
        f"{result['load_average'][0]:.1f}"
    )
    if len(result.get("runs", [])) > 1:
        text += "; p95 of each run " + ", ".join(f"{run['p95_s'] * 1000:.0f} ms" for run in result["runs"])
    browser = result["browser save"]
    if browser["count"]:
        text += f"; Chromium phones' save p50 {browser['p50_s']:.2f} s, max {browser['max_s']:.2f} s"
    return text


def main() -> None:
    freeze_clock()
    started = time.perf_counter()
    base = prepared_store()
    steps = []
    for count in STEPS:
        result = repeated_step(count, base) if count == TARGET_SESSIONS else asyncio.run(step(count, base))
        steps.append(result)
        line(summary(result))
        if result["interactions"].get("p95_s", 0) > GIVE_UP_P95:
            line(f"p95 above {GIVE_UP_P95:g} s: the ramp ends here")
            break
    at_target = next((result for result in steps if result["sessions"] == TARGET_SESSIONS), None)
    alone = None
    if at_target is not None and CLERKS_ALONE:
        alone = asyncio.run(step(at_target["clerks"], base, clerks_alone=True))
        line(f"the same clerks alone: {summary(alone)}")
    with_phones = None
    if BROWSERS and CHROMIUM.exists() and BROWSER_AT in [result["sessions"] for result in steps]:
        with_phones = asyncio.run(step(BROWSER_AT, base, phones=True))
        line(f"again with {BROWSERS} phones in Chromium: {summary(with_phones)}")
    result = {
        "steps": steps,
        "window_s": WINDOW,
        "target_sessions": TARGET_SESSIONS,
        "target_p95_s": TARGET_P95,
        "limit_p95_s": LIMIT_P95,
        "passes_limit_at": crossing(steps, LIMIT_P95),
        "largest_step": steps[-1]["sessions"],
        "planned_steps": STEPS,
        "give_up_p95_s": GIVE_UP_P95,
        "at_target": at_target,
        "clerks_alone": alone,
        "with_phones": with_phones,
        "seconds": time.perf_counter() - started,
    }
    save("sessions", result)
    where = result["passes_limit_at"]
    line(
        f"p95 of a save or a move passes {LIMIT_P95:g} s at "
        + (f"about {where:.0f} sessions" if where is not None else f"beyond {steps[-1]['sessions']} sessions")
        + f"; {result['seconds']:.0f} s in all"
    )


if __name__ == "__main__":
    main()
