"""The administration page's 消息推送 tab in Chromium at 1440×900: two channels (one in English) and their
deliveries, sent and failed, with no text cut off; the screenshot is kept with the other e2e artifacts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from e2e_support import OVERFLOWING, sample_database, serve_app, settle, sign_in
from test_notify import receiver  # noqa: F401 - the local robot fixture

from data_layer import clock, db, notify

ADMIN = db.Actor("admin", "admin")
ROBOT_ANSWER_REFUSED = (200, '{"errcode":93000,"errmsg":"invalid webhook url, or the robot was removed"}')


def channels_with_deliveries(url: str, receiver) -> None:  # noqa: F811
    """Two channels; a test message and the briefing sent to each; a test message the robot refused every time."""
    engine = db.connect(url)
    try:
        group = db.perform(
            engine, ADMIN, notify.add_channel, "指挥部工作群", "wecom", receiver.url("/cgi-bin/webhook/send?key=k1")
        )
        liaison = db.perform(
            engine, ADMIN, notify.add_channel, "Liaison group", "dingtalk", receiver.url("/robot/send"), language="en"
        )
        now = clock.now()
        for channel in (group, liaison):
            notify.deliver_one(engine, db.perform(engine, ADMIN, notify.queue_test, channel), 0, now)
        db.perform(engine, ADMIN, notify.queue_briefing_now)
        notify.run_once(engine, "e2e-sender", now)
        receiver.answers += [ROBOT_ANSWER_REFUSED] * notify.MAX_ATTEMPTS
        refused = db.perform(engine, ADMIN, notify.queue_test, liaison)
        for attempt in range(notify.MAX_ATTEMPTS):
            notify.deliver_one(engine, refused, attempt, now)
    finally:
        engine.dispose()


@pytest.fixture
def app_with_channels(database_factory, receiver) -> Iterator[str]:  # noqa: F811
    url = sample_database(database_factory)
    channels_with_deliveries(url, receiver)
    with serve_app(url) as base_url:
        yield base_url


def test_the_notify_tab_shows_two_channels_and_their_deliveries_with_no_text_cut_off(
    browser, app_with_channels, artifacts
):
    page, errors = sign_in(browser, app_with_channels, "admin", "admin-demo-1", 1440, 900, path="/admin")
    page.get_by_role("tab", name="消息推送").click()
    settle(page, 1500)
    deliveries = page.get_by_role("heading", name="最近的推送")
    deliveries.wait_for(timeout=30_000)
    page.screenshot(path=str(artifacts / "admin-notify-channels-1440x900.png"))
    deliveries.scroll_into_view_if_needed()
    settle(page)
    page.screenshot(path=str(artifacts / "admin-notify-deliveries-1440x900.png"))
    assert page.evaluate(OVERFLOWING) == []
    assert page.get_by_text("发送失败", exact=False).count() > 0
    assert not [error for error in errors if "Error" in error]
    page.close()
