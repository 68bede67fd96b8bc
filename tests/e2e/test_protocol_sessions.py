"""The protocol-level client of the sessions benchmark (``benchmarks/sessions.py``) against a served app: sessions
that speak Streamlit's websocket messages, with no browser, sign in as a phone, a laptop and a wall do and reach
the end of their runs; a clerk's save is stored once and brings the new data to the pages that follow it.

No timing is asserted: the benchmark measures (``make bench-sessions``). Not in ``STORE_BROWSER_MODULES``: it
runs on SQLite only, as the client speaks to the app, whatever the store.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from e2e_support import SHIFT_ON_DUTY, sample_database, serve_app, wait_out_the_first_minute_of_a_shift

from benchmarks.sessions import Session
from data_layer import clock, users
from data_layer.checkpoints import checkpoint_counts, checkpoints
from data_layer.db import connect
from sample_data import DEMO_WALL_DEVICE_TOKEN
from sample_data.checkpoints import SILENT_TODAY


@pytest.fixture
def served(database_factory) -> Iterator[tuple[int, str]]:
    """The app over its own copy of the sample (the test writes), the shift on duty at any hour; its port and
    the store's URL."""
    url = sample_database(database_factory)
    with serve_app(url, **SHIFT_ON_DUTY) as base_url:
        yield int(base_url.rsplit(":", 1)[1]), url


def cookie_for(url: str, username: str) -> str:
    """The session cookie's token of ``username`` signed in on some browser, as the sign-in form keeps it."""
    engine = connect(url)
    token = users.open_session(engine, users.actor_for(engine, username))
    engine.dispose()
    return token


def entries_today(url: str, checkpoint: str) -> int:
    engine = connect(url)
    with engine.connect() as conn:
        count = conn.execute(
            sa.select(sa.func.count())
            .select_from(checkpoint_counts.join(checkpoints, checkpoint_counts.c.checkpoint_id == checkpoints.c.id))
            .where(checkpoints.c.name == checkpoint, checkpoint_counts.c.period_start >= clock.today())
        ).scalar_one()
    engine.dispose()
    return count


async def three_sessions(port: int, url: str) -> dict:
    clerk = Session(port, "lang=zh", cookie_for(url, "clerk"))
    leader = Session(port, "lang=zh", cookie_for(url, "leader"))
    wall = Session(port, f"kiosk=1&lang=zh&device={DEMO_WALL_DEVICE_TOKEN}")
    for session in (clerk, leader, wall):
        await session.open()
    runs = {
        "clerk opens": await clerk.run(),
        "leader opens": await leader.run(page="checkpoints"),
        "wall opens": await wall.run(),
    }
    follows = {"leader": leader.fragments.copy(), "wall": wall.fragments.copy(), "clerk": clerk.fragments.copy()}
    wait_out_the_first_minute_of_a_shift()
    runs["clerk saves"] = await clerk.run(
        widgets={"卡口": SILENT_TODAY, "检测人数": 36.0, "检查车辆": 12.0}, trigger="保存"
    )
    live = min(leader.fragments, key=leader.fragments.__getitem__)
    runs["leader's check after the save"] = await leader.run(fragment=live)
    runs["wall's check after the save"] = await wall.run(fragment=min(wall.fragments, key=wall.fragments.__getitem__))
    runs["leader moves"] = await leader.run(page="quarantine")
    for session in (clerk, leader, wall):
        await session.close()
    return {"runs": runs, "follows": follows}


def run_in_a_loop_of_its_own(coroutine: Coroutine) -> dict:
    """Run ``coroutine`` to its end on an event loop in a thread of its own: Playwright's sync API, started by the
    browser tests earlier in the same run, keeps an event loop running in the test's thread."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, coroutine).result()


def test_a_clerk_a_leader_and_a_wall_over_the_protocol_finish_their_runs_and_the_entry_is_stored_once(served):
    port, url = served
    before = entries_today(url, SILENT_TODAY)
    outcome = run_in_a_loop_of_its_own(three_sessions(port, url))
    runs = outcome["runs"]
    assert {name: run.exceptions for name, run in runs.items() if run.exceptions} == {}
    assert not runs["clerk saves"].refusals
    assert any(SILENT_TODAY in text and "检测人数 36" in text for text in runs["clerk saves"].successes)
    assert entries_today(url, SILENT_TODAY) == before + 1
    # Stored in the tap's own run, which draws the saved message and the fresh form: no second run to show them.
    assert runs["clerk saves"].scripts == 1
    # The leader's and the wall's pages follow the data: their check finds the entry and redraws the whole app,
    # where a check that found nothing new ends as a fragment run. The clerk's form page does not follow it.
    assert outcome["follows"]["leader"] and outcome["follows"]["wall"] and not outcome["follows"]["clerk"]
    assert runs["leader's check after the save"].status == "FINISHED_SUCCESSFULLY"
    assert runs["wall's check after the save"].status == "FINISHED_SUCCESSFULLY"
    assert {run.status for name, run in runs.items() if "check" not in name} == {"FINISHED_SUCCESSFULLY"}
