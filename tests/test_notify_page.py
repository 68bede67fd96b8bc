"""The administration page's notifications tab through AppTest: the administrator adds a robot, sees its address
only masked, sends a test message that reaches the local receiver, switches the channel off and sets a rule;
the deliveries and the failures are listed."""

from __future__ import annotations

from test_admin_page import by_label, form_of, open_admin
from test_notify import receiver  # noqa: F401 - the local robot fixture

from data_layer import db, notify
from support import page_text

ROBOT_KEY = "693a91f6-7aaa-4bc4-97a0-0ec2b1fa5aaa"


def notify_tab(app):
    return next(tab for tab in app.tabs if tab.label == "消息推送")


def test_without_a_channel_the_tab_says_nothing_is_pushed(monkeypatch, db_url):
    app = open_admin(monkeypatch, db_url)
    assert not app.exception and not app.error
    assert "尚未配置推送渠道" in notify_tab(app).info[0].value


def test_admin_adds_a_robot_sees_it_masked_and_sends_a_test_message(monkeypatch, db_url, engine, receiver):  # noqa: F811
    app = open_admin(monkeypatch, db_url)
    form = form_of(app, "admin-notify-add")
    by_label(form.text_input, "名称").input("指挥部工作群")
    by_label(form.text_input, "地址").input(receiver.url(f"/cgi-bin/webhook/send?key={ROBOT_KEY}"))
    form.button[0].click()
    app.run()
    assert not app.exception and not app.error
    assert "已添加渠道 指挥部工作群。" in [message.value for message in app.success]
    text = page_text(app)
    assert ROBOT_KEY not in text and ROBOT_KEY[:-4] not in text and "http://127.0.0.1/…5aaa" in text

    form_of(app, "admin-notify-test-1").button[0].click()
    app.run()
    assert not app.exception
    assert [message.value for message in app.success][-1].startswith("测试消息已送达")
    assert receiver.bodies()[0]["markdown"]["content"].startswith("**测试消息**")
    assert "测试消息" in page_text(app) and ROBOT_KEY not in page_text(app)


def test_a_failed_test_message_shows_the_robots_answer_in_the_failures(monkeypatch, db_url, engine, receiver):  # noqa: F811
    db.perform(engine, db.Actor("admin", "admin"), notify.add_channel, "群", "wecom", receiver.url())
    receiver.answers.append((200, '{"errcode":93000,"errmsg":"invalid webhook url"}'))
    app = open_admin(monkeypatch, db_url)
    form_of(app, "admin-notify-test-1").button[0].click()
    app.run()
    assert [message.value for message in app.error][-1].startswith("测试消息未送达：HTTP 200")
    assert "93000" in page_text(app)


def test_admin_switches_a_channel_off_and_sets_a_rules_quiet_hours(monkeypatch, db_url, engine, receiver):  # noqa: F811
    db.perform(engine, db.Actor("admin", "admin"), notify.add_channel, "群", "wecom", receiver.url())
    app = open_admin(monkeypatch, db_url)
    form_of(app, "admin-notify-switch-1").button[0].click()
    app.run()
    assert "已停用渠道 群。" in [message.value for message in app.success]
    with engine.connect() as conn:
        assert notify.list_channels(conn)[0]["enabled"] is False

    form = form_of(app, "admin-notify-rule-checkpoint_fever")
    by_label(form.selectbox, "免打扰开始（时）").set_value(22)
    by_label(form.selectbox, "免打扰结束（时）").set_value(7)
    form.button[0].click()
    app.run()
    assert not app.exception and not app.error
    assert notify.rule_settings(engine, "checkpoint_fever").quiet == (22, 7)


def test_admin_adds_an_english_channel_and_switches_another_to_english(monkeypatch, db_url, engine, receiver):  # noqa: F811
    db.perform(engine, db.Actor("admin", "admin"), notify.add_channel, "指挥部工作群", "wecom", receiver.url())
    app = open_admin(monkeypatch, db_url)
    form = form_of(app, "admin-notify-add")
    by_label(form.text_input, "名称").input("Liaison group")
    by_label(form.text_input, "地址").input(receiver.url(f"/cgi-bin/webhook/send?key={ROBOT_KEY}"))
    by_label(form.selectbox, "推送语言").set_value("en")
    form.button[0].click()
    app.run()
    assert not app.exception and not app.error

    form = form_of(app, "admin-notify-language-1")
    by_label(form.selectbox, "推送语言").set_value("en")
    form.button[0].click()
    app.run()
    assert not app.exception and not app.error
    assert "渠道 指挥部工作群 今后用英文（English）推送。" in [message.value for message in app.success]
    with engine.connect() as conn:
        assert [channel["language"] for channel in notify.list_channels(conn)] == ["en", "en"]
    [shown] = [frame.value for frame in notify_tab(app).dataframe if "推送语言" in frame.value.columns]
    assert list(shown["推送语言"]) == ["英文（English）", "英文（English）"]
