"""Checkpoint throughput in a real browser: the page on a wall-sized screen, a shift entered on a phone.

The app runs over its own copy of the sample (three days), since the test writes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from e2e_support import serve_app
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from data_layer import clock
from data_layer.checkpoints import checkpoint_counts, checkpoints, current_shift
from data_layer.db import connect
from sample_data import generate_sample
from sample_data.checkpoints import SILENT_TODAY

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


@pytest.fixture
def writable_app(database_factory) -> Iterator[tuple[str, str]]:
    url = database_factory.fresh_url()
    engine = connect(url)
    generate_sample(engine, days=3)
    engine.dispose()
    with serve_app(url) as base_url:
        yield base_url, url


def settle(page, pause: int = 800) -> None:
    """Wait until the script run that the last action started has finished drawing."""
    page.wait_for_timeout(pause)
    page.wait_for_selector(IDLE, timeout=60_000)


def sign_in_as_clerk(browser, base_url: str, width: int, height: int):
    """Open the app (the wall screen) and sign in as the demo clerk through the sidebar form.

    The wall screen refreshes itself; a sign-in sent while its first run is
    still drawing can be lost, so the form is sent once the figures are up,
    and once more if no session began.
    """
    page = browser.new_page(viewport={"width": width, "height": height})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{base_url}/?lang=zh", wait_until="networkidle")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    settle(page, 1500)
    sidebar = page.get_by_test_id("stSidebar")
    for _ in range(3):
        if not sidebar.locator("input[type='password']").is_visible():
            page.get_by_test_id("stExpandSidebarButton").click()
        sidebar.locator("input[type='text']").fill("clerk")
        sidebar.locator("input[type='password']").fill("clerk-demo-1")
        sidebar.locator("input[type='password']").press("Enter")  # a pointer click may land on a redrawn button
        try:
            sidebar.get_by_role("button", name="退出登录").wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            settle(page)
    settle(page)
    return page, errors


def open_from_sidebar(page, title: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    link = sidebar.get_by_role("link").filter(has_text=title)
    if not link.is_visible():
        page.get_by_test_id("stExpandSidebarButton").click()
    link.dispatch_event("click")  # Playwright finds the wall screen's sidebar "outside the viewport" on a phone
    settle(page, 1500)


def test_the_checkpoints_page_on_a_wall_sized_screen(browser, writable_app, artifacts):
    base_url, _ = writable_app
    page, errors = sign_in_as_clerk(browser, base_url, 1920, 1080)
    open_from_sidebar(page, "卡口通行")
    page.wait_for_selector("[data-testid='stDeckGlJsonChart'] canvas", timeout=60_000)
    page.wait_for_timeout(2500)
    text = page.inner_text("body")
    assert "卡口通行" in text and "检测人数" in text and SILENT_TODAY in text
    page.screenshot(path=str(artifacts / "checkpoints-1920x1080.png"))
    assert not [error for error in errors if "deck" in error.lower()], errors
    page.close()


def wait_out_the_first_minute_of_a_shift() -> None:
    """A shift entered in its first minute would end as it starts; the form stores the shift up to now."""
    start, _ = current_shift()
    if clock.now().replace(second=0) == start:
        time.sleep(61 - clock.now().second)


def test_a_clerk_enters_a_shift_on_a_phone_and_a_double_tap_stores_once(browser, writable_app, artifacts):
    base_url, url = writable_app
    page, _ = sign_in_as_clerk(browser, base_url, 390, 844)
    open_from_sidebar(page, "快速录入")
    wait_out_the_first_minute_of_a_shift()
    page.get_by_test_id("stSelectbox").filter(has_text="卡口").first.click()
    page.get_by_role("option", name=SILENT_TODAY).click()
    page.get_by_label("检测人数").fill("36")
    page.get_by_label("检查车辆").fill("12")
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
        entries = conn.execute(sa.select(checkpoint_counts.c.persons, checkpoint_counts.c.vehicles).join(
            checkpoints, checkpoints.c.id == checkpoint_counts.c.checkpoint_id).where(
            checkpoints.c.name == SILENT_TODAY, checkpoint_counts.c.period_start >= clock.day_bounds(clock.today())[0]
        )).all()
    engine.dispose()
    assert [tuple(entry) for entry in entries] == [(36, 12)]
