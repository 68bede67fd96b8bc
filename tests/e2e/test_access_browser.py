"""Accounts in a real browser: a clerk enters a shift and signs out, a leader sees masked numbers, and a
page the role may not use refuses when opened by its URL (issue 9)."""

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
    sign_out,
)

from data_layer import quarantine
from data_layer.db import connect
from data_layer.i18n import translate
from sample_data.checkpoints import SILENT_TODAY

MASKED_ID = re.compile(r"\d{4}\*{10}[\dX]{4}")
ADMIN_PAGE = "/admin"


@pytest.fixture(scope="module")
def app_and_store(database_factory) -> Iterator[tuple[str, str]]:
    url = sample_database(database_factory)
    with serve_app(url, **SHIFT_ON_DUTY) as base_url:
        yield base_url, url


def test_a_clerk_signs_in_enters_a_shift_and_signs_out(browser, app_and_store, artifacts):
    base_url, _ = app_and_store
    page, _ = sign_in(browser, base_url, "clerk", "clerk-demo-1", 390, 844)
    fill_a_shift_on_quick_entry(page, SILENT_TODAY, persons=21, vehicles=4)
    page.get_by_role("button", name="保存", exact=True).click()
    page.get_by_text(re.compile("已保存（记录")).first.wait_for(timeout=30_000)
    sign_out(page)
    assert page.locator("input[type='password']").is_visible()
    assert "检测人数" not in page.inner_text("body")
    page.screenshot(path=str(artifacts / "signed-out-390x844.png"))
    page.close()


def test_a_leader_sees_id_and_phone_numbers_masked(browser, app_and_store, artifacts):
    base_url, url = app_and_store
    engine = connect(url)
    with engine.connect() as conn:
        numbers = [
            value
            for row in conn.execute(sa.select(quarantine.persons.c.id_number, quarantine.persons.c.phone))
            for value in row
            if value
        ]
    engine.dispose()
    page, _ = sign_in(browser, base_url, "leader", "leader-demo-1")
    open_from_sidebar(page, "隔离管控")
    page.get_by_role("tab", name="登记台账").click()
    settle(page, 2500)
    page.screenshot(path=str(artifacts / "quarantine-register-leader-1920x1080.png"))
    shown = page.content()
    assert MASKED_ID.search(shown), "the register shows no masked ID number"
    assert [number for number in numbers if number in shown] == []
    page.close()


def test_a_clerk_opening_the_admin_page_by_its_url_is_refused(browser, app_and_store):
    base_url, _ = app_and_store
    page, _ = sign_in(browser, base_url, "clerk", "clerk-demo-1", path=ADMIN_PAGE)
    text = page.inner_text("body")
    assert "无权使用此页面" in text and "用户管理" not in text
    page.close()


def test_a_deep_link_opened_first_on_a_fresh_server_runs_inside_the_app(browser, app_and_store, artifacts):
    """A bookmark of the admin page, the first visit after a restart: the app's sign-in, menu and sign-out."""
    _, url = app_and_store
    with serve_app(url) as fresh_server:
        page, _ = sign_in(browser, fresh_server, "admin", "admin-demo-1", path=ADMIN_PAGE)
        page.get_by_role("tab").first.wait_for(timeout=30_000)
        settle(page, 1500)
        assert "无权使用此页面" not in page.inner_text("body")
        page.screenshot(path=str(artifacts / "admin-1920x1080.png"))
        page.close()


def test_a_leader_switches_to_english_and_every_page_and_a_reload_stay_english(browser, app_and_store, artifacts):
    base_url, _ = app_and_store
    page, _ = sign_in(browser, base_url, "leader", "leader-demo-1", 1440, 900)
    open_from_sidebar(page, translate("checkpoints.page.nav", "zh_CN"))
    page.get_by_test_id("stSidebar").get_by_role("radio", name="English").click()
    settle(page, 1500)
    title = page.locator("h1").first
    assert title.inner_text() == translate("checkpoints.page.title", "en")
    open_from_sidebar(page, translate("quarantine.page.nav", "en"))
    assert page.locator("h1").first.inner_text() == translate("quarantine.page.title", "en")
    assert "lang=en" in page.url
    page.reload(wait_until="networkidle")
    settle(page, 1500)
    assert page.locator("h1").first.inner_text() == translate("quarantine.page.title", "en")
    page.screenshot(path=str(artifacts / "quarantine-english-leader-1440x900.png"))
    page.close()
