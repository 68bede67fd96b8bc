"""Scale-out (issue 8): two app processes on two ports over one PostgreSQL database.

A clerk saves a shift through the browser on process A; the wall screen that process B serves shows the
new figure within one refresh. Nothing but the database joins the two processes: B's cached reads are keyed
on the store's data version, so A's write reaches B without any message between them. Runs when the suite
runs on PostgreSQL; the SQLite default serves one process only, so the test is skipped there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from e2e_support import (
    SHIFT_ON_DUTY,
    fill_a_shift_on_quick_entry,
    open_wall,
    persons_checked_tile,
    sample_database,
    serve_app,
    settle,
    sign_in,
    wait_for_figure,
)

from sample_data.checkpoints import SILENT_TODAY
from support import BACKEND

REFRESH_SECONDS = 3
REFRESH_RUN_SECONDS = 12
PERSONS = 4321

pytestmark = pytest.mark.skipif(
    BACKEND != "postgresql", reason="several app processes share a PostgreSQL database, not a SQLite file"
)


@pytest.fixture
def two_processes(database_factory) -> Iterator[tuple[str, str]]:
    """Processes A and B (two ports) over one fresh PostgreSQL sample command post."""
    url = sample_database(database_factory)
    refresh = {"COMMAND_POST_REFRESH_SECONDS": str(REFRESH_SECONDS), **SHIFT_ON_DUTY}
    with serve_app(url, **refresh) as process_a, serve_app(url, **refresh) as process_b:
        yield process_a, process_b


def test_an_entry_saved_through_one_process_shows_on_the_wall_screen_of_the_other_within_one_refresh(
    browser, two_processes, artifacts
):
    process_a, process_b = two_processes
    assert process_a.rsplit(":", 1)[1] != process_b.rsplit(":", 1)[1]
    wall = open_wall(browser, process_b)
    before = int(persons_checked_tile(wall).replace(",", ""))

    clerk, _ = sign_in(browser, process_a, "clerk", "clerk-demo-1", 390, 844)
    fill_a_shift_on_quick_entry(clerk, SILENT_TODAY, persons=PERSONS, vehicles=0)
    clerk.get_by_role("button", name="保存", exact=True).click()
    clerk.get_by_text(re.compile("已保存（记录")).first.wait_for(timeout=30_000)

    # One refresh of the wall is REFRESH_SECONDS; the rest is the time a refresh run takes on a loaded machine.
    wait_for_figure(wall, before + PERSONS, timeout=(REFRESH_SECONDS + REFRESH_RUN_SECONDS) * 1000)
    wall.screenshot(path=str(artifacts / "scale-out-wall-on-b-1920x1080.png"))
    assert persons_checked_tile(wall).replace(",", "") == str(before + PERSONS)
    settle(clerk)
    clerk.screenshot(path=str(artifacts / "scale-out-entry-on-a-390x844.png"))
    clerk.close()
    wall.close()
