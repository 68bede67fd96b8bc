"""The wall screen in a real browser: fits the screen, refreshes itself, survives a restart, shows no one."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa
from e2e_support import (
    KIOSK,
    STREAMLIT_CHROME,
    assert_shows_only_its_message,
    free_port,
    open_wall,
    persons_checked_tile,
    sample_database,
    serve_app,
    sign_in,
    wait_for_figure,
)

from data_layer import checkpoints, clock, users
from data_layer.db import Actor, connect, perform
from data_layer.i18n import translate
from data_layer.quarantine import persons
from sample_data import DEMO_WALL_DEVICE_TOKEN
from sample_data.community import CENTER

REFRESH = "3"

GATE_NUMBERS = itertools.count(1)


@pytest.fixture(scope="module")
def wall_database(database_factory) -> str:
    """A sample command post of its own, since these tests write to it."""
    return sample_database(database_factory, days=5)


def enter_count(url: str, persons_count: int) -> None:
    """An entry made through the data layer (not the screen) at a new checkpoint of the tests' own, which no
    sample entry nor another test's entry can overlap, whatever the minute the tests run at. Its period is the
    minute just past, cut at midnight, so that it always counts in today's figures."""
    engine = connect(url)
    actor = Actor("e2e-clerk", "admin")
    gate = f"测试卡口{next(GATE_NUMBERS)}"
    perform(engine, actor, checkpoints.add_checkpoint, {"name": gate, "grid": "第一网格", "kind": "road"})
    end = clock.now().replace(microsecond=0)
    start = max(end - timedelta(minutes=1), end.replace(hour=0, minute=0, second=0))
    perform(
        engine,
        actor,
        checkpoints.add_count,
        {
            "checkpoint": gate,
            "period_start": start,
            "period_end": end,
            "persons": persons_count,
            "vehicles": 0,
            "fever": 0,
            "turned_back": 0,
        },
    )
    engine.dispose()


def test_kiosk_wall_screen_fits_1920x1080_and_scales_to_4k(browser, wall_database, artifacts):
    with serve_app(wall_database) as base_url:
        page = open_wall(browser, base_url)
        page.screenshot(path=str(artifacts / "wall-kiosk-1920x1080.png"))
        scroll_height, viewport_height = page.evaluate(
            "() => [document.querySelector('[data-testid=stMain]').scrollHeight, window.innerHeight]"
        )
        assert scroll_height <= viewport_height
        assert page.locator("[data-testid='stSidebar']").is_hidden()
        page.close()
        large = open_wall(browser, base_url, 3840, 2160)
        large.screenshot(path=str(artifacts / "wall-kiosk-3840x2160.png"))
        assert "scale=2" in large.url
        assert large.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "32px"
        chart_overflow = large.evaluate("""() => [...document.querySelectorAll('[data-testid=stVegaLiteChart]')]
            .some(chart => chart.scrollWidth > chart.parentElement.clientWidth + 2)""")
        assert not chart_overflow
        large.close()


def test_entry_shows_on_the_open_screen_within_one_refresh(browser, wall_database):
    with serve_app(wall_database, COMMAND_POST_REFRESH_SECONDS=REFRESH) as base_url:
        page = open_wall(browser, base_url)
        before = int(persons_checked_tile(page).replace(",", ""))
        enter_count(wall_database, 777)
        wait_for_figure(page, before + 777, timeout=8_000)
        page.close()


def test_screen_says_it_is_stale_while_the_server_is_down_and_recovers_after_restart(browser, wall_database, artifacts):
    port = free_port()
    with serve_app(wall_database, port, COMMAND_POST_REFRESH_SECONDS=REFRESH) as base_url:
        page = open_wall(browser, base_url)
        assert page.locator("#wall-stale-banner").is_hidden()
    page.wait_for_selector("#wall-stale-banner", state="visible", timeout=20_000)
    assert "过期" in page.inner_text("#wall-stale-banner")
    page.screenshot(path=str(artifacts / "wall-stale-1920x1080.png"))
    with serve_app(wall_database, port, COMMAND_POST_REFRESH_SECONDS=REFRESH):
        page.wait_for_selector("#wall-stale-banner", state="hidden", timeout=120_000)
        before = int(persons_checked_tile(page).replace(",", ""))
        enter_count(wall_database, 555)
        wait_for_figure(page, before + 555, timeout=30_000)
    page.close()


@pytest.mark.parametrize("path", [KIOSK, f"/?lang=en&device={DEMO_WALL_DEVICE_TOKEN}"])
def test_wall_screen_never_shows_a_name_id_number_or_phone(browser, wall_database, path):
    engine = connect(wall_database)
    with engine.connect() as conn:
        people = conn.execute(sa.select(persons.c.name, persons.c.id_number, persons.c.phone)).all()
    engine.dispose()
    assert people
    with serve_app(wall_database) as base_url:
        page = open_wall(browser, base_url, path=path)
        shown = page.inner_text("body") + page.content()
        page.close()
    leaked = [value for person in people for value in person if value and value in shown]
    assert leaked == []


def test_an_open_kiosk_goes_dark_at_its_next_refresh_once_a_new_link_is_issued(browser, database_factory, artifacts):
    """The page refreshes only its figures, not the whole app, yet the revoked link shows within a refresh or
    two: the message, in the screen's language, and not one figure left."""
    url = sample_database(database_factory, days=1)
    with serve_app(url, COMMAND_POST_REFRESH_SECONDS=REFRESH) as base_url:
        page = open_wall(browser, base_url, path=KIOSK + "&lang=en")
        engine = connect(url)
        perform(engine, Actor("e2e-admin", "admin"), users.issue_device_token, "wall")
        engine.dispose()
        message = page.get_by_text(translate("access.link_revoked", "en"))
        message.wait_for(timeout=4 * int(REFRESH) * 1000)
        page.screenshot(path=str(artifacts / "wall-revoked-1920x1080.png"))
        assert page.locator("[data-testid='stMetric']").count() == 0
        assert page.locator("[data-testid='stVegaLiteChart']").count() == 0
        assert_shows_only_its_message(page)
        page.close()


def test_a_person_on_the_self_refreshing_overview_is_signed_out_once_the_account_is_disabled(browser, database_factory):
    url = sample_database(database_factory, days=1)
    with serve_app(url, COMMAND_POST_REFRESH_SECONDS=REFRESH) as base_url:
        page, _ = sign_in(browser, base_url, "leader", "leader-demo-1")
        page.wait_for_selector("[data-testid='stMetric']", timeout=60_000)
        engine = connect(url)
        perform(engine, Actor("e2e-admin", "admin"), users.set_active, "leader", False)
        engine.dispose()
        page.locator("input[type='password']").wait_for(timeout=4 * int(REFRESH) * 1000)
        assert page.locator("[data-testid='stMetric']").count() == 0
        page.close()


def test_a_kiosk_whose_server_is_unreachable_shows_only_its_own_banner(browser, wall_database, artifacts):
    """Streamlit's own connection dialog (in English, telling a developer to run `streamlit run`) stays hidden
    behind the wall's banner; the dialog must still be there, hidden, or ui.wall's rule no longer matches it."""
    with serve_app(wall_database, COMMAND_POST_REFRESH_SECONDS=REFRESH) as base_url:
        page = open_wall(browser, base_url, path=KIOSK + "&lang=en")
    page.wait_for_selector("[data-testid='stDialog']", state="attached", timeout=60_000)
    page.wait_for_selector("#wall-stale-banner", state="visible", timeout=30_000)
    page.screenshot(path=str(artifacts / "wall-outage-1920x1080.png"))
    assert page.locator("[data-testid='stDialog']").is_hidden()
    assert all(page.locator(f"[data-testid='{test_id}']").is_hidden() for test_id in STREAMLIT_CHROME)
    assert "Data is stale" in page.inner_text("#wall-stale-banner")
    assert "streamlit" not in page.inner_text("body").lower()
    page.close()


def test_a_kiosk_opened_with_an_old_token_says_its_link_is_invalid(browser, wall_database, artifacts):
    with serve_app(wall_database) as base_url:
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(f"{base_url}/?kiosk=1&lang=en&device=an-old-token", wait_until="networkidle")
        page.get_by_text(translate("access.link_invalid", "en")).wait_for(timeout=60_000)
        page.screenshot(path=str(artifacts / "wall-invalid-link-1920x1080.png"))
        assert page.locator("input[type='password']").count() == 0
        assert page.locator("[data-testid='stMetric']").count() == 0
        assert_shows_only_its_message(page)
        page.close()


def test_the_wall_s_map_names_two_close_checkpoints_without_one_name_over_the_other(
    browser, database_factory, artifacts
):
    """Two checkpoints a few metres apart in the middle of the area: their names go below and above the dots
    (ui.map_labels), which the screenshot shows; deck.gl draws on a canvas, so the placement itself is proved
    by tests/test_map_labels.py."""
    url = sample_database(database_factory, days=1)
    engine = connect(url)
    for name, east in (("测试近邻北卡口", 0.0), ("测试近邻南卡口", 0.0002)):
        perform(
            engine,
            Actor("e2e-admin", "admin"),
            checkpoints.add_checkpoint,
            {"name": name, "grid": "第一网格", "kind": "road", "latitude": CENTER[0], "longitude": CENTER[1] + east},
        )
    engine.dispose()
    with serve_app(url) as base_url:
        page = open_wall(browser, base_url)
        deck = page.locator("[data-testid='stDeckGlJsonChart']")
        deck.locator("canvas").first.wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        deck.screenshot(path=str(artifacts / "wall-map-close-checkpoints-1920x1080.png"))
        page.screenshot(path=str(artifacts / "wall-map-page-1920x1080.png"))
        assert deck.is_visible()
        page.close()


def test_a_stopped_server_shows_on_the_wall_within_seconds_whatever_its_refresh_interval(browser, wall_database):
    """The wall is redrawn on its own only for the clock (every minute by default, an hour here): the health probe,
    not the refresh, tells it the server is gone."""
    with serve_app(wall_database, COMMAND_POST_REFRESH_SECONDS="3600") as base_url:
        page = open_wall(browser, base_url)
        assert page.locator("#wall-stale-banner").is_hidden()
    page.wait_for_selector("#wall-stale-banner", state="visible", timeout=20_000)
    assert "过期" in page.inner_text("#wall-stale-banner")
    page.close()
