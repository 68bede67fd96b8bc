"""Pages that follow the data live (issue 20), in Chromium: a new entry shows within seconds without a reload on a
kiosk wall (and without its clock-driven refresh) and on a leader's domain page on a laptop, and a kiosk reloads
itself on its schedule back onto the same screen."""

from __future__ import annotations

import pytest
from e2e_support import (
    KIOSK,
    open_from_sidebar,
    open_wall,
    persons_checked_tile,
    sample_database,
    serve_app,
    sign_in,
    wait_for_figure,
)
from test_wall_screen import enter_count

NO_CLOCK_REFRESH = "3600"  # the wall's clock-driven redraw, out of the way: only the live check can show the entry
MARK = "() => { window.drawnWithoutReload = true; }"
STILL_MARKED = "() => window.drawnWithoutReload === true"


@pytest.fixture(scope="module")
def live_database(database_factory) -> str:
    return sample_database(database_factory, days=2)


def test_a_new_entry_shows_on_an_open_kiosk_within_seconds_without_a_reload(browser, live_database, artifacts):
    with serve_app(
        live_database, COMMAND_POST_REFRESH_SECONDS=NO_CLOCK_REFRESH, COMMAND_POST_LIVE_CHECK_SECONDS="1"
    ) as base_url:
        page = open_wall(browser, base_url)
        page.evaluate(MARK)
        before = int(persons_checked_tile(page).replace(",", ""))
        enter_count(live_database, 4242)
        wait_for_figure(page, before + 4242, timeout=6_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(artifacts / "live-wall-after-entry-1920x1080.png"))
        assert page.evaluate(STILL_MARKED), "the figure came by a redraw, not by reloading the page"
        assert page.locator("#wall-stale-banner").is_hidden()
        page.close()


def test_a_leader_s_domain_page_on_a_laptop_shows_a_new_entry_without_a_reload(browser, live_database, artifacts):
    with serve_app(live_database, COMMAND_POST_LIVE_CHECK_SECONDS="1") as base_url:
        page, errors = sign_in(browser, base_url, "leader", "leader-demo-1", 1440, 900)
        open_from_sidebar(page, "卡口通行")
        persons = page.locator("[data-testid='stMetricValue']").first
        before = int(persons.inner_text().replace(",", ""))
        page.evaluate(MARK)
        enter_count(live_database, 3131)
        wait_for_figure(page, before + 3131, timeout=6_000)
        page.wait_for_timeout(1500)
        page.screenshot(path=str(artifacts / "live-leader-checkpoints-1440x900.png"))
        assert page.evaluate(STILL_MARKED), "the figure came by a redraw, not by reloading the page"
        assert errors == []
        page.close()


def test_a_kiosk_reloads_itself_on_schedule_onto_the_same_screen(browser, live_database, artifacts):
    with serve_app(live_database, COMMAND_POST_KIOSK_RELOAD_HOURS="0.002") as base_url:  # 7.2 seconds
        page = open_wall(browser, base_url)
        page.evaluate(MARK)
        address = page.url
        page.wait_for_function("() => window.drawnWithoutReload !== true", timeout=30_000)
        page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
        page.wait_for_timeout(2000)
        page.screenshot(path=str(artifacts / "live-wall-after-scheduled-reload-1920x1080.png"))
        assert page.url == address and KIOSK.lstrip("/") in page.url
        assert persons_checked_tile(page)
        assert page.locator("[data-testid='stSidebar']").is_hidden()
        page.close()
