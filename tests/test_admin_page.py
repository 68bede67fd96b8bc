"""The administration and audit log pages through AppTest: the administrator sees every tab, adds a user and
imports a file with a bad row (the row error shown, nothing stored); anyone else is refused with no content."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from data_layer import checkpoints, clock, situation, users
from data_layer.db import Actor, connect, perform
from data_layer.transfer import import_ledger
from support import ROOT, count_rows, open_page

ADMIN = Actor("admin", "admin")
CSV = "text/csv"
ADMIN_TABS = ["用户", "基础数据", "导入", "导出", "备份", "风险等级"]


def open_admin(
    monkeypatch, url: str, who: Actor | None = ADMIN, page: str = "pages/admin.py", language: str = "zh"
) -> AppTest:
    return open_page(monkeypatch, url, who, page, language)


def form_of(app: AppTest, name: str):
    """The form rendered for ``name`` (its key is the name and the current token)."""
    return next(form for form in app.form if form.key.startswith(f"{name}-"))


def by_label(widgets, label: str):
    return next(widget for widget in widgets if widget.label == label)


def test_admin_sees_every_tab_without_error(monkeypatch, db_url):
    app = open_admin(monkeypatch, db_url)
    assert not app.exception and not app.error
    labels = [tab.label for tab in app.tabs]
    assert all(label in labels for label in ADMIN_TABS)
    assert app.title[0].value == "系统管理"


def test_admin_adds_a_user_who_can_then_sign_in(monkeypatch, db_url, engine):
    app = open_admin(monkeypatch, db_url)
    form = form_of(app, "admin-user-add")
    by_label(form.text_input, "用户名").input("zhao")
    by_label(form.text_input, "密码").input("long-enough-1")
    by_label(form.selectbox, "角色").set_value("clerk")
    by_label(form.multiselect, "录入员负责的业务").set_value(["checkpoints"])
    form.button[0].click()
    app.run()
    assert not app.exception and not app.error
    assert "已新增用户 zhao。" in [message.value for message in app.success]
    signed_in = users.authenticate(engine, "zhao", "long-enough-1", pause=lambda _seconds: None)
    assert signed_in.role == "clerk" and signed_in.units("checkpoints") == frozenset()


def import_file(app: AppTest, kind: str, name: str, content: bytes) -> AppTest:
    app.selectbox(key="admin:import_kind").set_value(kind).run()
    app.file_uploader[0].set_value((name, content, CSV)).run()
    return app.button(key="admin:import_run").click().run()


def test_an_import_with_one_bad_row_shows_the_row_error_and_stores_nothing(monkeypatch, db_url, engine):
    app = open_admin(monkeypatch, db_url)
    content = "name,grid,kind,latitude,longitude,active\n东门,一网格,road,,,1\n西门,二网格,spaceship,,,1\n"
    import_file(app, "checkpoints", "卡口.csv", content.encode())
    assert not app.exception
    assert "卡口.csv 未导入" in app.error[0].value
    errors = app.dataframe[-1].value
    assert list(errors["行号"]) == [3]
    assert "spaceship" in errors["原因"][0]
    assert "写入 0 行，拒收 1 行" in app.error[-1].value
    assert count_rows(engine, "checkpoints") == 0

    import_file(app, "checkpoints", "卡口.csv", content.replace("spaceship", "road").encode())
    assert not app.error
    assert "写入 2 行，拒收 0 行" in app.success[-1].value
    assert count_rows(engine, "checkpoints") == 2


def test_a_refused_import_shows_its_first_100_problems_and_counts_the_rest(monkeypatch, db_url, engine):
    app = open_admin(monkeypatch, db_url)
    rows = "".join(f"卡口{number},一网格,spaceship,,,1\n" for number in range(150))
    import_file(app, "checkpoints", "卡口.csv", ("name,grid,kind,latitude,longitude,active\n" + rows).encode())
    assert not app.exception
    errors = app.dataframe[-1].value
    assert list(errors["行号"]) == list(range(2, 102))
    assert set(errors["列"]) == {"类型"}
    assert "…… 另有 50 处问题未列出" in [caption.value for caption in app.caption]
    assert "写入 0 行，拒收 150 行" in app.error[-1].value


def test_the_risk_level_is_set_on_the_admin_page_and_the_overview_has_no_control(monkeypatch, db_url, engine):
    app = open_admin(monkeypatch, db_url)
    form = form_of(app, "admin-risk-level")
    form.selectbox[0].set_value("high")
    form.button[0].click()
    app.run()
    assert situation.risk_level(engine) == "high"
    overview = open_admin(monkeypatch, db_url, page="pages/overview.py")
    assert "风险等级" not in [widget.label for widget in overview.selectbox]


def test_a_locked_account_is_shown_and_unlocked(monkeypatch, db_url, engine):
    perform(engine, ADMIN, users.create_user, "zhao", "clerk", "long-enough-1")
    for _ in range(users.MAX_FAILED_SIGN_INS):
        users.authenticate(engine, "zhao", "wrong", pause=lambda _seconds: None)
    app = open_admin(monkeypatch, db_url)
    assert any("zhao 已被锁定登录" in line.value for line in app.markdown)
    form_of(app, "admin-user-unlock-zhao").button[0].click()
    app.run()
    assert users.locked_accounts(engine) == []
    assert "zhao 已可重新登录。" in [message.value for message in app.success]


def test_a_locked_account_names_the_address_it_is_locked_for(monkeypatch, db_url, engine):
    perform(engine, ADMIN, users.create_user, "zhao", "clerk", "long-enough-1")
    for _ in range(users.MAX_FAILED_SIGN_INS):
        users.authenticate(engine, "zhao", "wrong", pause=lambda _seconds: None, source="10.0.0.66")
    app = open_admin(monkeypatch, db_url)
    assert any("zhao 已被锁定登录" in line.value and "锁定地址：10.0.0.66" in line.value for line in app.markdown)


def test_the_backup_tab_offers_a_download_or_the_pg_dump_command(monkeypatch, db_url, engine):
    app = open_admin(monkeypatch, db_url)
    if engine.dialect.name == "sqlite":
        app.button(key="admin:backup_make").click().run()
        assert not app.exception
        assert any("备份已生成" in message.value for message in app.success)
        assert any(button.label == "下载备份" for button in app.get("download_button"))
    else:
        assert "pg_dump" in app.code[0].value


@pytest.mark.parametrize("page", ["pages/admin.py", "pages/audit_log.py"])
@pytest.mark.parametrize(
    "who",
    [Actor("leader", "leader"), Actor("clerk", "clerk", (("checkpoints", frozenset()),)), None],
    ids=["leader", "clerk", "visitor"],
)
def test_anyone_but_the_admin_is_refused_and_sees_no_admin_content(monkeypatch, db_url, page, who):
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        open_admin(monkeypatch, db_url, who, page)
    app = AppTest.from_file(str(ROOT / page), default_timeout=60)
    app.query_params["lang"] = "zh"
    if who is not None:
        app.session_state["actor"] = who
    app.run()
    assert not app.exception
    if who is None:
        assert [form.key for form in app.form] == ["sign_in"]
    else:
        assert "无权使用此页面" in app.error[0].value
        assert not app.get("form")
    assert not app.tabs and not app.get("file_uploader") and not app.dataframe


def test_the_audit_log_page_filters_and_shows_a_change_before_and_after(monkeypatch, db_url, engine):
    gate = perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "东门", "grid": "一网格", "kind": "road"})
    perform(engine, ADMIN, checkpoints.rename_checkpoint, gate, "东大门")
    perform(engine, Actor("wang", "admin"), users.create_user, "zhao", "leader", "long-enough-1")
    app = open_admin(monkeypatch, db_url, page="pages/audit_log.py")
    assert not app.exception and not app.error
    assert len(app.dataframe[0].value) == 3
    app.selectbox(key="audit:table").set_value("checkpoints").run()
    assert list(app.dataframe[0].value["用户"]) == ["admin", "admin"]
    assert [json.loads(element.value) for element in app.json] == [{"name": "东门"}, {"name": "东大门"}]
    app.selectbox(key="audit:table").set_value(None).run()
    app.selectbox(key="audit:username").set_value("wang").run()
    assert list(app.dataframe[0].value["操作"]) == ["user.add"]
    assert "password_hash" not in str(app.json[1].value)


def test_the_audit_log_page_shows_an_import_as_one_entry_with_its_file_and_count(monkeypatch, db_url, engine):
    perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "东门", "grid": "一网格", "kind": "road"})
    start = clock.day_bounds(clock.today() - timedelta(days=1))[0]
    shifts = [(start + timedelta(hours=hour), start + timedelta(hours=hour + 1)) for hour in range(3)]
    rows = "".join(f"东门,{begin:%Y-%m-%d %H:%M},{end:%Y-%m-%d %H:%M},5,1,0,0,\n" for begin, end in shifts)
    content = ("checkpoint,period_start,period_end,persons,vehicles,fever,turned_back,note\n" + rows).encode()
    import_ledger(engine, ADMIN, "checkpoint_counts", content, "三班.csv")
    app = open_admin(monkeypatch, db_url, page="pages/audit_log.py")
    assert not app.exception and not app.error
    shown = app.dataframe[0].value
    assert list(shown["操作"]) == ["import.checkpoint_counts", "checkpoints.add_checkpoint"]
    assert len(shown["导入批次号"][0]) == 32
    assert json.loads(app.json[1].value) == {
        "file": "三班.csv",
        "rows": 3,
        "sha256": hashlib.sha256(content).hexdigest(),
    }


def test_admin_pages_run_in_english(monkeypatch, db_url):
    for page in ("pages/admin.py", "pages/audit_log.py"):
        app = open_admin(monkeypatch, db_url, page=page, language="en")
        assert not app.exception and not app.error
        assert app.title[0].value in ("Administration", "Audit log")
    assert connect(db_url).dialect.name in ("sqlite", "postgresql")


def test_the_audit_log_page_pages_through_the_entries_and_starts_again_when_a_filter_changes(
    monkeypatch, db_url, engine
):
    for number in range(51):
        perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": f"卡口{number}", "grid": "一网格", "kind": "road"})
    app = open_admin(monkeypatch, db_url, page="pages/audit_log.py")
    assert len(app.dataframe[0].value) == 50
    app.number_input[0].set_value(2).run()
    assert list(app.dataframe[0].value["编号"]) == [1]
    app.text_input(key="audit:action").input("checkpoints.").run()
    assert app.number_input[0].value == 1
    assert len(app.dataframe[0].value) == 50
