"""Checkpoint throughput in a real browser: the page on a wall-sized screen, a shift entered on a phone.

The app runs over its own copy of the sample (three days), since the test writes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from e2e_support import (
    SHIFT_ON_DUTY,
    fill_a_shift_on_quick_entry,
    open_from_sidebar,
    sample_database,
    serve_app,
    settle,
    sign_in,
)

from data_layer import clock
from data_layer.checkpoints import checkpoint_counts, checkpoints
from data_layer.db import connect
from sample_data.checkpoints import SILENT_TODAY


@pytest.fixture
def writable_app(database_factory) -> Iterator[tuple[str, str]]:
    url = sample_database(database_factory)
    with serve_app(url, **SHIFT_ON_DUTY) as base_url:
        yield base_url, url


def test_the_checkpoints_page_on_a_wall_sized_screen(browser, writable_app, artifacts):
    base_url, _ = writable_app
    page, errors = sign_in(browser, base_url, "clerk", "clerk-demo-1", 1920, 1080)
    open_from_sidebar(page, "卡口通行")
    page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=60_000)
    page.wait_for_timeout(2500)
    text = page.inner_text("body")
    assert "卡口通行" in text and "检测人数" in text and SILENT_TODAY in text
    page.screenshot(path=str(artifacts / "checkpoints-1920x1080.png"))
    assert not [error for error in errors if "deck" in error.lower()], errors
    page.close()


def test_a_clerk_enters_a_shift_on_a_phone_and_a_double_tap_stores_once(browser, writable_app, artifacts):
    base_url, url = writable_app
    page, _ = sign_in(browser, base_url, "clerk", "clerk-demo-1", 390, 844)
    fill_a_shift_on_quick_entry(page, SILENT_TODAY, persons=36, vehicles=12)
    page.get_by_role("button", name="保存", exact=True).dblclick()  # a double tap must still store once
    # The clerk is told it was saved: with what was stored, or, when the second tap arrived while the first
    # was still storing, that the form was already submitted and stored once.
    saved = page.get_by_text(re.compile("已保存（记录|该表单已提交过，只保存了一次"))
    saved.first.wait_for(timeout=30_000)
    settle(page)
    saved.first.scroll_into_view_if_needed()
    text = saved.first.inner_text()
    assert (SILENT_TODAY in text and "检测人数 36" in text) or "只保存了一次" in text
    page.screenshot(path=str(artifacts / "checkpoint-entry-390x844.png"))
    page.close()
    engine = connect(url)
    with engine.connect() as conn:
        entries = conn.execute(
            sa.select(checkpoint_counts.c.persons, checkpoint_counts.c.vehicles)
            .join(checkpoints, checkpoints.c.id == checkpoint_counts.c.checkpoint_id)
            .where(
                checkpoints.c.name == SILENT_TODAY,
                checkpoint_counts.c.period_start >= clock.day_bounds(clock.today())[0],
            )
        ).all()
    engine.dispose()
    assert [tuple(entry) for entry in entries] == [(36, 12)]
