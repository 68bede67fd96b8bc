"""Who may open which page, signing in and out, the wall screen's device token, idle sessions (DESIGN §8)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from data_layer import users
from data_layer.db import Actor, connect, perform
from data_layer.errors import ValidationError
from data_layer.i18n import translate
from support import ROOT
from ui.navigation import PAGES

ADMIN = Actor("admin-test", "admin")
CLERK = Actor("clerk-test", "clerk", tuple((domain, frozenset()) for domain in users.DOMAINS))
ROLES = {
    "admin": ADMIN,
    "leader": Actor("leader-test", "leader"),
    "clerk": CLERK,
    "wall": Actor("wall-test", "wall"),
    "visitor": None,
}
MAY_USE = {
    "overview": {"admin", "leader", "clerk", "wall"},
    "briefing": {"admin", "leader"},
    "checkpoints": {"admin", "leader", "clerk"},
    "quick_entry": {"admin", "clerk"},
    "quarantine": {"admin", "leader", "clerk"},
    "enterprises": {"admin", "leader", "clerk"},
    "supplies": {"admin", "leader", "clerk"},
    "admin": {"admin"},
    "audit_log": {"admin"},
    "privacy": {"admin"},
}


def run_page(monkeypatch, url: str, path: str, actor: Actor | None) -> AppTest:
    """Run one page's script on its own, as if its URL had been opened directly by ``actor``."""
    monkeypatch.setenv("COMMAND_POST_DB", url)
    page = AppTest.from_file(str(ROOT / path), default_timeout=60)
    page.query_params["lang"] = "zh"
    if actor is not None:
        page.session_state["actor"] = actor
    return page.run()


def refused(page: AppTest, role: str) -> bool:
    return any(
        error.value == translate("access.page_refused", "zh_CN", role=translate(f"role.{role}", "zh_CN"))
        for error in page.error
    )


def shows_sign_in_form(page: AppTest) -> bool:
    return any(str(button.key).startswith("FormSubmitter:sign_in-") for button in page.button)


def test_the_role_table_covers_every_page_of_the_app():
    assert {page.url_path: set(page.roles) for page in PAGES} == MAY_USE


def test_every_page_s_address_is_its_file_name_so_a_first_visit_stays_on_it():
    assert [page.url_path for page in PAGES] == [Path(page.path).stem for page in PAGES]


def test_streamlit_still_has_the_pages_folder_switch_a_first_visit_relies_on():
    """``ui.navigation.run_through_app`` turns off Streamlit's old handling of a ``pages/`` folder, which a
    fresh server applies to a deep link until ``st.navigation`` has run once. Streamlit offers no public way
    to do that; this fails on an upgrade that renames or drops the switch, before a wall screen finds out."""
    assert "uses_pages_directory" in vars(PagesManager)
    assert PagesManager.__annotations__["uses_pages_directory"] in ("bool | None", bool | None)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.url_path)
def test_a_page_runs_for_the_roles_that_may_use_it_and_refuses_the_others(monkeypatch, db_url, page, role):
    shown = run_page(monkeypatch, db_url, page.path, ROLES[role])
    assert not shown.exception
    if role in MAY_USE[page.url_path]:
        assert not refused(shown, role) and not shows_sign_in_form(shown)
    elif role == "visitor":
        assert shows_sign_in_form(shown) and len(shown.title) == 1
    else:
        assert refused(shown, role)
        assert [title.value for title in shown.title] == [translate("app.title", "zh_CN")]


def test_a_visitor_sees_the_sign_in_form_and_nothing_else(monkeypatch, sample_url):
    monkeypatch.setenv("COMMAND_POST_DB", sample_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert shows_sign_in_form(app)
    assert not app.metric and not app.dataframe and not app.sidebar.button


def sign_in(app: AppTest, username: str, password: str) -> AppTest:
    app.text_input[0].input(username)
    app.text_input[1].input(password)
    return app.button[0].click().run()


def test_signing_in_opens_the_overview_for_the_account_s_role(monkeypatch, sample_url):
    monkeypatch.setenv("COMMAND_POST_DB", sample_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    sign_in(app, "leader", "leader-demo-1")
    assert app.session_state["actor"].role == "leader"
    assert app.metric, "the leader lands on the overview with its figures"


def test_the_menu_lists_the_role_s_pages_and_a_sign_out_button(monkeypatch, sample_url):
    """Signing out itself is proved in the browser (tests/e2e/test_access_browser.py): AppTest puts back the
    session state a test set before every run, so it cannot show the state emptied."""
    monkeypatch.setenv("COMMAND_POST_DB", sample_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.session_state["actor"] = Actor("leader", "leader")
    app.run()
    assert len(app.sidebar.get("page_link")) == len([page for page in PAGES if "leader" in page.roles])
    assert [button.label for button in app.sidebar.button] == [translate("app.sign_out", "zh_CN")]


def test_a_wrong_password_is_refused_with_a_message(monkeypatch, sample_url):
    monkeypatch.setenv("COMMAND_POST_DB", sample_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    sign_in(app, "leader", "not-the-password")
    assert "actor" not in app.session_state
    assert [error.value for error in app.error] == [translate("app.sign_in_failed", "zh_CN")]


def run_after_idling(monkeypatch, url: str, idle_minutes: int) -> AppTest:
    """The app's next run for an administrator idle for ``idle_minutes``, with a 30-minute limit."""
    monkeypatch.setenv("COMMAND_POST_DB", url)
    monkeypatch.setenv("COMMAND_POST_SESSION_MINUTES", "30")
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.session_state["actor"] = ADMIN
    app.session_state["last_activity"] = time.monotonic() - idle_minutes * 60
    return app.run()


def test_a_person_idle_beyond_the_limit_is_signed_out(monkeypatch, sample_url):
    app = run_after_idling(monkeypatch, sample_url, 31)
    assert "actor" not in app.session_state
    assert translate("access.session_expired", "zh_CN") in [info.value for info in app.info]
    assert shows_sign_in_form(app)


def test_a_person_active_within_the_limit_stays_signed_in(monkeypatch, sample_url):
    app = run_after_idling(monkeypatch, sample_url, 29)
    assert app.session_state["actor"] == ADMIN


def open_with_device_token(monkeypatch, url: str, token: str) -> AppTest:
    monkeypatch.setenv("COMMAND_POST_DB", url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params["device"] = token
    app.query_params["kiosk"] = "1"
    return app.run()


def test_a_wall_screen_signs_in_with_its_device_token_and_sees_the_overview(monkeypatch, db_url):
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "hall-screen", "wall", "wall-password-1")
    token = perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    app = open_with_device_token(monkeypatch, db_url, token)
    assert app.session_state["actor"].username == "hall-screen"
    assert app.session_state["actor"].role == "wall"
    assert not shows_sign_in_form(app)


def test_a_reissued_device_token_revokes_the_old_one(monkeypatch, db_url):
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "hall-screen", "wall", "wall-password-1")
    old = perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    new = perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    assert users.actor_for_device_token(engine, old) is None
    assert users.actor_for_device_token(engine, new).username == "hall-screen"
    app = open_with_device_token(monkeypatch, db_url, old)
    assert shows_revoked_link(app, message_key="access.link_invalid")


@pytest.mark.parametrize(("language", "catalog"), [("zh", "zh_CN"), ("en", "en")])
def test_a_screen_opened_with_an_unknown_token_says_its_link_is_invalid(monkeypatch, db_url, language, catalog):
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params.update({"device": "not-a-token", "kiosk": "1", "lang": language})
    app.run()
    assert shows_revoked_link(app, catalog, "access.link_invalid")


def shows_revoked_link(app: AppTest, language: str = "zh_CN", message_key: str = "access.link_revoked") -> bool:
    """The revoked-link screen and nothing else: its message, no figure, no sign-in form."""
    message = translate(message_key, language)
    return (
        any(message in element.value for element in app.html)
        and not app.metric
        and not shows_sign_in_form(app)
        and "actor" not in app.session_state
    )


def open_wall_screen(monkeypatch, db_url: str, language: str = "zh") -> tuple:
    """An open wall screen signed in by a fresh device token, with the figures showing; its engine and app."""
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "hall-screen", "wall", "wall-password-1")
    token = perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params.update({"device": token, "kiosk": "1", "lang": language})
    app.run()
    assert app.session_state["actor"].username == "hall-screen" and app.metric
    return engine, app


def test_an_open_wall_screen_goes_dark_when_a_new_device_token_is_issued(monkeypatch, db_url):
    engine, app = open_wall_screen(monkeypatch, db_url)
    perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    app.run()
    assert shows_revoked_link(app)
    app.run()
    assert shows_revoked_link(app), "the old link stays revoked at every later refresh"


def test_an_open_wall_screen_goes_dark_in_its_language_when_its_account_is_disabled(monkeypatch, db_url):
    engine, app = open_wall_screen(monkeypatch, db_url, language="en")
    perform(engine, ADMIN, users.set_active, "hall-screen", False)
    app.run()
    assert shows_revoked_link(app, "en")


def test_device_tokens_are_for_wall_accounts_only_and_stored_as_a_hash(db_url):
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "zhang", "clerk", "clerk-password-1")
    with pytest.raises(ValidationError) as refusal:
        perform(engine, ADMIN, users.issue_device_token, "zhang")
    assert refusal.value.fields == ["username"]
    perform(engine, ADMIN, users.create_user, "hall-screen", "wall", "wall-password-1")
    token = perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    with engine.connect() as conn:
        stored = conn.execute(users.users.select().where(users.users.c.username == "hall-screen")).mappings().one()
    assert token not in str(dict(stored))


def test_a_disabled_account_is_signed_out_at_its_next_step(monkeypatch, db_url):
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "zhang", "clerk", "clerk-password-1", None, {"checkpoints": []})
    signed_in = users.actor_for(engine, "zhang")
    perform(engine, ADMIN, users.set_active, "zhang", False)
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.session_state["actor"] = signed_in
    app.run()
    assert shows_sign_in_form(app)


def test_a_clerk_signing_in_lands_on_quick_entry(monkeypatch, sample_url):
    monkeypatch.setenv("COMMAND_POST_DB", sample_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    sign_in(app, "clerk", "clerk-demo-1")
    assert app.session_state["actor"].role == "clerk"
    assert [title.value for title in app.title] == [translate("quick_entry.title", "zh_CN")]
    assert not app.metric, "the clerk does not land on the overview's figures"


def test_the_sign_in_form_lets_a_password_manager_fill_it(monkeypatch, sample_url):
    monkeypatch.setenv("COMMAND_POST_DB", sample_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert [field.autocomplete for field in app.text_input] == ["username", "current-password"]
