"""What the browser tests share: a real Streamlit server on a free port, Chromium's settings, and the steps
a person takes: open the wall screen, read a figure, sign in, open a page, wait for the page to settle."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.common import IDLE
from data_layer import clock
from data_layer.checkpoints import current_shift
from data_layer.db import connect
from sample_data import DEMO_WALL_DEVICE_TOKEN, generate_sample

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
KIOSK = f"/?kiosk=1&device={DEMO_WALL_DEVICE_TOKEN}"

OVERFLOWING = """
() => [...document.querySelectorAll('[data-testid=stMain] *')]
  .filter((element) => [...element.childNodes].some((node) => node.nodeType === 3 && node.textContent.trim()))
  .filter((element) => element instanceof HTMLElement && element.checkVisibility() && element.clientWidth > 0)
  .filter((element) => element.scrollWidth > element.clientWidth + 1)
  .map((element) => element.textContent.trim().slice(0, 40))
"""
"""The texts of the page's main area cut off by their box (wider than it): a label, a button or a caption that
does not fit."""


def sample_database(database_factory, days: int = 3) -> str:
    """A fresh database holding its own sample command post of ``days`` days (for tests that write); its URL."""
    url = database_factory.fresh_url()
    engine = connect(url)
    generate_sample(engine, days=days)
    engine.dispose()
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(base_url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"Streamlit did not answer at {base_url}")


@contextmanager
def serve_app(database_url: str, port: int | None = None, **settings: str) -> Iterator[str]:
    """`streamlit run app.py` over ``database_url`` (on ``port`` or a free one); yields the base URL.

    ``settings`` are further environment variables, such as ``COMMAND_POST_REFRESH_SECONDS``.
    """
    port = port or free_port()
    environment = {**os.environ, "COMMAND_POST_DB": database_url, **settings}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=20)


def settle(page, pause: int = 800) -> None:
    """Wait until the script run that the last action started has finished drawing."""
    page.wait_for_timeout(pause)
    page.wait_for_selector(IDLE, timeout=60_000)


def open_wall(browser, base_url: str, width: int = 1920, height: int = 1080, path: str = KIOSK):
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(base_url + path, wait_until="networkidle")
    page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
    page.wait_for_timeout(2000)
    return page


def persons_checked_tile(page) -> str:
    tile = page.locator("[data-testid='stMetric']", has_text=re.compile("检测人数")).first
    return tile.locator("[data-testid='stMetricValue']").inner_text()


def wait_for_figure(page, expected: int, timeout: int) -> None:
    """Wait until some big figure of the page reads ``expected`` (thousands separators ignored)."""
    page.wait_for_function(
        "(expected) => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
        ".some(e => e.innerText.replace(/,/g, '') === expected)",
        arg=str(expected),
        timeout=timeout,
    )


def sign_in(
    browser,
    base_url: str,
    username: str,
    password: str,
    width: int = 1920,
    height: int = 1080,
    path: str = "/",
    **page_options,
):
    """A new page at ``path``, signed in as ``username`` through the sign-in form a visitor sees there.

    ``page_options`` are further Playwright page options (``**benchmarks.common.PHONE`` for a phone; its viewport
    replaces ``width`` and ``height``). Returns the page and the list that collects the browser console's errors.
    """
    page = browser.new_page(**{"viewport": {"width": width, "height": height}, **page_options})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(f"{base_url}{path}?lang=zh", wait_until="networkidle")
    password_field = page.locator("input[type='password']")
    password_field.wait_for(timeout=60_000)
    settle(page)
    page.locator("input[type='text']").first.fill(username)
    password_field.fill(password)
    password_field.press("Enter")
    page.get_by_test_id("stSidebar").get_by_role("button", name="退出登录").wait_for(timeout=30_000)
    settle(page)
    return page, errors


def sign_out(page) -> None:
    """Press the sidebar's sign-out button (opening the sidebar first on a phone)."""
    sidebar = page.get_by_test_id("stSidebar")
    button = sidebar.get_by_role("button", name="退出登录")
    if not button.is_visible():
        page.get_by_test_id("stExpandSidebarButton").click()
    button.dispatch_event("click")
    page.locator("input[type='password']").wait_for(timeout=30_000)
    settle(page)


def open_from_sidebar(page, title: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    link = sidebar.get_by_role("link").filter(has_text=title)
    if not link.is_visible():
        page.get_by_test_id("stExpandSidebarButton").click()
    link.dispatch_event("click")  # Playwright finds the sidebar "outside the viewport" on a phone
    settle(page, 1500)


SHIFT_ON_DUTY = {"COMMAND_POST_HANDOVER_MINUTES": "0"}
"""The setting a test serves the app with when its clerk enters the shift on duty (:func:`fill_a_shift_on_quick_entry`):
at any hour the form then proposes that shift. With the default handover window, it proposes the shift just ended
for an hour after each shift begins, and in the hour after midnight that is yesterday's last shift, which the
sample has filled for every checkpoint that reported yesterday."""


def wait_out_the_first_minute_of_a_shift() -> None:
    """A shift entered in its first minute would end as it starts; the form stores the shift up to now."""
    start, _ = current_shift()
    if clock.now().replace(second=0) == start:
        time.sleep(61 - clock.now().second)


def fill_a_shift_on_quick_entry(page, checkpoint: str, persons: int, vehicles: int) -> None:
    """Open quick entry and fill the shift form for ``checkpoint``; the test then saves it its own way."""
    open_from_sidebar(page, "快速录入")
    wait_out_the_first_minute_of_a_shift()
    page.get_by_test_id("stSelectbox").filter(has_text="卡口").first.click()
    page.get_by_role("option", name=checkpoint).click()
    page.get_by_label("检测人数").fill(str(persons))
    page.get_by_label("检查车辆").fill(str(vehicles))


STREAMLIT_CHROME = ("stHeader", "stToolbar", "stMainMenu")


def assert_shows_only_its_message(page) -> None:
    """A kiosk that may show nothing but its message: no figures, no sign-in form, and Streamlit's header, toolbar
    and ⋮ menu drawn yet hidden (drawn, so that a renamed test id fails here rather than the rule hiding nothing)."""
    assert page.locator("[data-testid='stMetric']").count() == 0
    assert page.locator("input[type='password']").count() == 0
    for test_id in STREAMLIT_CHROME:
        chrome = page.locator(f"[data-testid='{test_id}']")
        assert chrome.count() > 0, test_id
        assert all(chrome.nth(index).is_hidden() for index in range(chrome.count())), test_id
