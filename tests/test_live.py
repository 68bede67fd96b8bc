"""Pages that follow the data live (issue 20): the check that redraws a page only when something was entered,
the reads of a domain that stay cached through the other domains' entries, who follows the data on which page,
and the kiosk's scheduled reload. The timings are the benchmarks' business
(benchmarks/bench_live_wall.py, bench_kiosk_soak.py); these tests hold the mechanisms."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from data_layer import changes, checkpoints, clock, db, situation, users
from data_layer.db import Actor, connect, load_schema, metadata, perform
from support import ROOT, ago, register_enterprise, register_person
from ui import charts, live, navigation, session

ADMIN = Actor("admin-test", "admin")
LEADER = Actor("leader-test", "leader")
CLERK = Actor("clerk-test", "clerk", tuple((domain, frozenset()) for domain in users.DOMAINS))
CHECKPOINT_CLERK = Actor("clerk-test", "clerk", (("checkpoints", frozenset()),))
WALL = Actor("wall-test", "wall")
FOLLOWS = {
    "overview": {"admin", "leader", "clerk", "wall"},
    "briefing": set(),
    "checkpoints": {"leader"},
    "quick_entry": set(),
    "quarantine": {"leader"},
    "enterprises": {"leader"},
    "supplies": {"leader"},
    "admin": set(),
    "audit_log": set(),
    "privacy": set(),
}
"""Who follows the data live on each page: every page of figures for those who only read it, never a page
with a form they may be filling in."""


class Checks:
    """One browser's checks of :func:`ui.live.redraw_on_new_data`, outside a script run: the session state
    a dict, and each rerun it asks for noted rather than made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, url: str, who: Actor):
        self.reruns: list[str] = []
        self.state: dict[str, object] = {"actor": who}
        monkeypatch.setenv("COMMAND_POST_DB", url)
        monkeypatch.setattr(session.st, "session_state", self.state)
        monkeypatch.setattr(session.st, "rerun", lambda scope="app": self.reruns.append(scope))
        turns = live.RedrawTurns()  # the process's turns, this test's alone
        monkeypatch.setattr(live, "redraw_turns", lambda: turns)
        session.note_data_version()

    def check(self, domain: str | None = None) -> list[str]:
        """One check of a page of ``domain`` (the whole picture when None); the reruns it asked for."""
        self.reruns.clear()
        live.redraw_on_new_data(domain)
        return list(self.reruns)

    def half_a_second_later(self) -> None:
        """The process's shared version, and what it knows of the accounts, are read again at the next check."""
        live._shared_version.clear()
        live._account_revoked.clear()


def new_checkpoint(engine) -> int:
    return perform(engine, ADMIN, checkpoints.add_checkpoint, {"name": "东门", "grid": "第一网格", "kind": "road"})


def count_entered(engine, checkpoint: int) -> int:
    """A count of the last hour at ``checkpoint``: an entry in the checkpoints' ledger."""
    now = clock.now().replace(second=0, microsecond=0)
    entry = {"checkpoint": checkpoint, "period_start": now - timedelta(hours=1), "period_end": now}
    return perform(
        engine, ADMIN, checkpoints.add_count, {**entry, "persons": 9, "vehicles": 1, "fever": 0, "turned_back": 0}
    )


@pytest.mark.parametrize("page", navigation.PAGES, ids=lambda page: page.url_path)
def test_pages_of_figures_follow_the_data_for_those_who_only_read_them(page):
    roles = {"admin": ADMIN, "leader": LEADER, "clerk": CLERK, "wall": WALL}
    following = {
        role
        for role, who in roles.items()
        if navigation.may_use(role, page) and navigation.follows_live_data(who, page)
    }
    assert following == FOLLOWS[page.url_path]


def test_a_clerk_follows_a_domain_page_they_may_only_read_but_not_one_they_enter():
    quarantine = navigation.page_entry("quarantine")
    checkpoints = navigation.page_entry("checkpoints")
    assert not navigation.follows_live_data(CHECKPOINT_CLERK, checkpoints)
    assert navigation.follows_live_data(CHECKPOINT_CLERK, quarantine)


def test_a_check_with_nothing_entered_draws_nothing_again(monkeypatch, db_url):
    checks = Checks(monkeypatch, db_url, LEADER)
    assert checks.check() == []
    assert checks.check() == []


def test_a_check_after_an_entry_through_any_process_reruns_the_whole_app_once(monkeypatch, db_url):
    checks = Checks(monkeypatch, db_url, LEADER)
    perform(connect(db_url), ADMIN, users.create_user, "zhang", "clerk", "clerk-password-1")
    assert checks.check() == ["app"]
    session.note_data_version()  # what the rerun does first (prepare_session)
    assert checks.check() == [], "the redrawn page is at the new version: no second rerun"


def test_the_checks_of_a_process_share_one_version_for_half_a_second(monkeypatch, db_url):
    checks = Checks(monkeypatch, db_url, LEADER)
    assert checks.check() == []
    perform(connect(db_url), ADMIN, users.create_user, "zhang", "clerk", "clerk-password-1")
    assert checks.check() == [], "within the moment, every check sees the version the first one read"
    checks.half_a_second_later()
    assert checks.check() == ["app"]
    version, _turn = checks.state[live.REDRAW_KEY]
    assert version == live.shared_version()


def test_a_domain_page_passes_over_another_domain_s_entries_and_is_drawn_again_for_its_own(monkeypatch, db_url):
    engine = connect(db_url)
    gate = new_checkpoint(engine)
    checks = Checks(monkeypatch, db_url, LEADER)
    count_entered(engine, gate)
    checks.half_a_second_later()
    assert checks.check("quarantine") == [], "a count changes nothing the quarantine page shows"
    assert checks.state[live.CHECKED_KEY] == live.shared_version(), "the next check starts from this version"
    register_person(engine, ADMIN, 1, ago(1))
    checks.half_a_second_later()
    assert checks.check("quarantine") == ["app"]


def test_a_domain_page_is_drawn_again_for_another_domain_s_master_data_and_for_a_setting(monkeypatch, db_url):
    engine = connect(db_url)
    checks = Checks(monkeypatch, db_url, LEADER)
    new_checkpoint(engine)
    checks.half_a_second_later()
    assert checks.check("supplies") == ["app"], "a supply issue names the checkpoint it went to"
    with live.live_redraw():
        pass
    perform(engine, ADMIN, users.create_user, "zhang", "clerk", "clerk-password-1")
    checks.half_a_second_later()
    assert checks.check("enterprises") == ["app"], "a write no domain declares counts for every page"


@pytest.mark.parametrize("domain", ["checkpoints", None], ids=["its domain's page", "the whole picture"])
def test_a_count_draws_the_checkpoints_page_and_the_whole_picture_again(monkeypatch, db_url, domain):
    engine = connect(db_url)
    gate = new_checkpoint(engine)
    checks = Checks(monkeypatch, db_url, WALL)
    count_entered(engine, gate)
    checks.half_a_second_later()
    assert checks.check(domain) == ["app"]


def test_each_domain_passes_over_exactly_the_ledgers_the_other_domains_declare():
    load_schema()
    ledgers = {domain: changes.ledger_tables(domain) for domain in users.DOMAINS}
    assert all(ledgers.values()), "every domain declares ledgers"
    every_ledger = frozenset().union(*ledgers.values())
    assert sum(map(len, ledgers.values())) == len(every_ledger), "no table in two domains"
    assert every_ledger.isdisjoint(users.UNIT_TABLES.values()), "master data counts for every page"
    assert every_ledger.isdisjoint({"users", "settings", "audit_log"})
    assert every_ledger <= set(metadata.tables)
    for domain in users.DOMAINS:
        assert changes.passed_over_by(domain) == frozenset().union(*(ledgers[d] for d in users.DOMAINS if d != domain))
    assert changes.passed_over_by(None) == frozenset()


def test_a_write_under_a_name_no_domain_declares_changes_every_page(db_url):
    engine = connect(db_url)
    with engine.begin() as conn:
        conn.execute(sa.insert(changes.audit_log).values(at=clock.now(), username="x", action="a", table_name="store"))
        version = conn.execute(sa.select(sa.func.max(changes.audit_log.c.id))).scalar_one()
    with engine.connect() as conn:
        assert all(changes.changed_for(conn, domain, version - 1, version) for domain in (*users.DOMAINS, None))
        assert not changes.changed_for(conn, None, version, version), "nothing after the newest version"


class CountedReads:
    """A data-layer read whose runs are counted, under its own module and name, so that ``session.read`` finds
    it where it finds the read it stands for."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module, name: str, *args: object):
        self.runs = 0
        self.args = args
        real = getattr(module, name)

        @functools.wraps(real)
        def counted(conn, *args):
            self.runs += 1
            return real(conn, *args)

        monkeypatch.setattr(module, name, counted)
        self.read = counted

    def runs_after_reading(self) -> int:
        """Read it as a new run would (at the store's newest version) and say how often it ran so far."""
        session.note_data_version()
        session.read(self.read, *self.args)
        return self.runs


def test_a_domain_s_read_stays_cached_through_another_domain_s_entries_and_not_through_its_own(monkeypatch, db_url):
    engine = connect(db_url)
    gate = new_checkpoint(engine)
    Checks(monkeypatch, db_url, LEADER)
    figures = CountedReads(
        monkeypatch, importlib.import_module("data_layer.enterprises.figures"), "figures", clock.today()
    )
    assert figures.runs_after_reading() == 1
    count_entered(engine, gate)
    register_person(engine, ADMIN, 1, ago(1))
    assert figures.runs_after_reading() == 1, "a count and a person under quarantine change no enterprise figure"
    register_enterprise(engine, ADMIN, "东门面馆", "reopened", ago(1))
    assert figures.runs_after_reading() == 2
    perform(engine, ADMIN, situation.set_risk_level, situation.RISK_LEVELS[1])
    assert figures.runs_after_reading() == 3, "a setting counts for every domain"


def test_a_read_of_a_domain_s_units_alone_stays_cached_through_every_ledger_and_not_through_its_units(
    monkeypatch, db_url
):
    engine = connect(db_url)
    gate = new_checkpoint(engine)
    Checks(monkeypatch, db_url, CLERK)
    listed = CountedReads(
        monkeypatch, importlib.import_module("data_layer.checkpoints.master"), "list_checkpoints", False
    )
    assert listed.runs_after_reading() == 1
    count_entered(engine, gate)
    register_person(engine, ADMIN, 1, ago(1))
    register_enterprise(engine, ADMIN, "东门面馆", "reopened", ago(1))
    assert listed.runs_after_reading() == 1, "counts, people and another domain's units leave the checkpoints"
    perform(engine, ADMIN, checkpoints.rename_checkpoint, gate, "东大门")
    assert listed.runs_after_reading() == 2
    perform(engine, ADMIN, situation.set_risk_level, situation.RISK_LEVELS[1])
    assert listed.runs_after_reading() == 3, "a setting counts for every read"


def test_a_read_of_the_whole_picture_is_read_again_after_any_entry(monkeypatch, db_url):
    engine = connect(db_url)
    gate = new_checkpoint(engine)
    Checks(monkeypatch, db_url, LEADER)
    alerts = CountedReads(monkeypatch, situation, "alerts", clock.today())
    assert alerts.runs_after_reading() == 1
    register_person(engine, ADMIN, 1, ago(1))
    assert alerts.runs_after_reading() == 2
    count_entered(engine, gate)
    assert alerts.runs_after_reading() == 3


def test_a_page_chart_is_built_again_for_an_entry_it_shows_and_kept_through_another_domain_s(monkeypatch, db_url):
    engine = connect(db_url)
    gate = new_checkpoint(engine)
    Checks(monkeypatch, db_url, LEADER)
    monkeypatch.setattr(charts, "language", lambda: "zh_CN")
    charts._built_spec.clear()
    charts._scopes_read_by().clear()
    enterprise_figures = importlib.import_module("data_layer.enterprises.figures").figures
    built: list[int] = []

    @charts.once_per_version
    def reopened(day):
        built.append(session.data_version())
        return {"mark": "bar", "title": str(session.read(enterprise_figures, day))}

    def drawn() -> int:
        """Draw the chart in a new run; how often it was built so far."""
        session.note_data_version()
        reopened(clock.today())
        return len(built)

    assert drawn() == 1 and drawn() == 1
    count_entered(engine, gate)
    register_person(engine, ADMIN, 1, ago(1))
    assert drawn() == 1, "a count and a person under quarantine change no enterprise figure"
    register_enterprise(engine, ADMIN, "东门面馆", "reopened", ago(1))
    assert drawn() == 2
    perform(engine, ADMIN, situation.set_risk_level, situation.RISK_LEVELS[1])
    assert drawn() == 3, "a setting counts for every chart"


def test_a_run_at_an_older_version_than_its_process_asked_for_is_never_keyed_on_a_newer_change(monkeypatch, db_url):
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    engine = connect(db_url)
    versions = session.DomainVersions()
    count_entered(engine, new_checkpoint(engine))
    before = db.data_version(engine)
    register_enterprise(engine, ADMIN, "东门面馆", "reopened", ago(1))
    after = db.data_version(engine)
    assert versions.at("enterprises", before) == before, "the first answer of a process is the version itself"
    assert versions.at("enterprises", after) == after
    assert versions.at("enterprises", before) <= before


def package_modules(domain: str) -> list:
    package = importlib.import_module(f"data_layer.{domain}")
    return [
        importlib.import_module(f"data_layer.{domain}.{info.name}") for info in pkgutil.iter_modules(package.__path__)
    ]


@pytest.mark.parametrize("domain", users.DOMAINS)
def test_no_module_of_a_domain_s_package_holds_another_domain_s_ledger(domain):
    """What keeps a domain's cached reads true through the other domains' entries: its package reads none of
    their ledgers (a read that must goes outside the domain's packages, keyed on every write)."""
    held = {
        value.name
        for module in package_modules(domain)
        for value in vars(module).values()
        if isinstance(value, sa.Table)
    }
    assert held, "the check sees the package's tables"
    assert not held & changes.passed_over_by(domain)


def test_a_read_marked_as_of_a_domain_s_units_alone_names_no_other_table():
    """What keeps a read of the units cached through the ledgers true: the function names its domain's unit
    table and no other table of its module."""
    marked = {
        read: domain
        for domain in users.DOMAINS
        for module in package_modules(domain)
        for read in vars(module).values()
        if getattr(read, changes.UNITS_ONLY, False) and read.__module__ == module.__name__
    }
    assert {read.__name__ for read in marked} >= {"list_checkpoints", "list_sites", "list_items"}
    for read, domain in marked.items():
        module_tables = {name: value for name, value in read.__globals__.items() if isinstance(value, sa.Table)}
        named = {module_tables[name].name for name in read.__code__.co_names if name in module_tables}
        assert named == {users.UNIT_TABLES[domain]}, read.__name__
        assert changes.scope_of_read(read) == changes.units_scope(domain)


@pytest.mark.parametrize("domain", users.DOMAINS)
def test_a_read_of_a_domain_s_units_passes_over_every_declared_table_but_its_units(domain):
    passed_over = changes.passed_over_by(changes.units_scope(domain))
    assert users.UNIT_TABLES[domain] not in passed_over
    assert changes.ledger_tables(domain) <= passed_over, "its own domain's entries too"
    assert {table for other, table in users.UNIT_TABLES.items() if other != domain} <= passed_over
    assert passed_over.isdisjoint({"users", "settings", "audit_log"}), "a write no domain declares counts"


def test_the_domain_of_a_read_is_the_package_it_is_in():
    assert changes.domain_of_read("data_layer.enterprises.figures") == "enterprises"
    assert changes.domain_of_read("data_layer.checkpoints.master") == "checkpoints"
    assert changes.domain_of_read("data_layer.situation") is None
    assert changes.domain_of_read("data_layer.briefing") is None
    assert changes.domain_of_read("data_layer.users") is None


def test_a_leader_s_check_that_finds_every_turn_taken_lets_the_page_be_until_its_next_check(monkeypatch, db_url):
    checks = Checks(monkeypatch, db_url, LEADER)
    perform(connect(db_url), ADMIN, users.create_user, "zhang", "clerk", "clerk-password-1")
    other = live.redraw_turns().take()
    assert other is not None
    started = time.monotonic()
    assert checks.check() == []
    assert time.monotonic() - started < 0.5, "a leader's check does not wait: a click of theirs would wait with it"
    live.redraw_turns().give_back(other)
    assert checks.check() == ["app"]


def test_a_wall_s_check_waits_for_the_turn_another_redraw_gives_back(monkeypatch, db_url):
    checks = Checks(monkeypatch, db_url, WALL)
    perform(connect(db_url), ADMIN, users.create_user, "zhang", "clerk", "clerk-password-1")
    other = live.redraw_turns().take()
    threading.Timer(0.2, live.redraw_turns().give_back, args=[other]).start()
    assert checks.check() == ["app"]


def test_a_live_redraw_draws_its_check_s_version_and_gives_its_turn_back_however_it_ends(monkeypatch, db_url):
    checks = Checks(monkeypatch, db_url, LEADER)
    turn = live.redraw_turns().take()
    checks.state[live.REDRAW_KEY] = (41, turn)
    with pytest.raises(RuntimeError), live.live_redraw():
        assert session.data_version() == 41
        assert live.redraw_turns().take() is None
        raise RuntimeError("a rerun or a stop ends a run by an exception")
    assert live.REDRAW_KEY not in checks.state
    assert live.redraw_turns().take() is not None


def test_a_turn_whose_redraw_never_came_lapses(monkeypatch):
    monkeypatch.setattr(live, "TURN_LEASE_SECONDS", 0.1)
    turns = live.RedrawTurns()
    assert turns.take() is not None
    assert turns.take() is None
    assert turns.take(wait=1.0) is not None, "the lapsed turn is free again"


def test_a_person_s_own_run_takes_no_live_turn(monkeypatch, db_url):
    Checks(monkeypatch, db_url, LEADER)
    drawn_at = session.data_version()
    with live.live_redraw():
        assert session.data_version() == drawn_at
        assert live.redraw_turns().take() is not None


def test_a_check_ends_a_wall_screen_whose_link_was_revoked(monkeypatch, db_url):
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "hall-screen", "wall", "wall-password-1")
    token = perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    checks = Checks(monkeypatch, db_url, users.actor_for_device_token(engine, token))
    checks.state["device_token"] = token
    assert checks.check() == []
    with engine.begin() as conn:  # revoked without a new audit row: the check must not rely on the version
        conn.execute(users.users.update().where(users.users.c.username == "hall-screen").values(active=False))
    checks.half_a_second_later()
    assert checks.check() == ["app"]


def test_the_checks_of_a_process_ask_the_store_about_an_account_once_in_half_a_second(monkeypatch, db_url):
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "zhang", "leader", "leader-password-1")
    checks = Checks(monkeypatch, db_url, users.actor_for(engine, "zhang"))
    asked, real = [], users.is_disabled
    monkeypatch.setattr(users, "is_disabled", lambda *args: asked.append(args) or real(*args))
    assert checks.check() == [] and checks.check() == []
    assert len(asked) == 1, "the second check knows the answer of the first"
    with engine.begin() as conn:  # no new audit row: only the account's look-up can end the page
        conn.execute(users.users.update().where(users.users.c.username == "zhang").values(active=False))
    checks.half_a_second_later()
    assert checks.check() == ["app"], "a disabled account's live page ends at the check after the moment"
    assert len(asked) == 2


def kiosk(monkeypatch, db_url: str, kiosk_mode: bool = True) -> AppTest:
    engine = connect(db_url)
    perform(engine, ADMIN, users.create_user, "hall-screen", "wall", "wall-password-1")
    token = perform(engine, ADMIN, users.issue_device_token, "hall-screen")
    monkeypatch.setenv("COMMAND_POST_DB", db_url)
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    app.query_params.update({"device": token, "lang": "zh", **({"kiosk": "1"} if kiosk_mode else {})})
    app.run()
    assert app.metric and not app.exception
    return app


def reload_after_ms(app: AppTest) -> list[int]:
    return [
        int(found)
        for element in app.html
        for found in re.findall(r'id="kiosk-reload" data-after-ms="(\d+)"', element.value)
    ]


def test_a_kiosk_schedules_its_own_reload_after_six_hours(monkeypatch, db_url):
    app = kiosk(monkeypatch, db_url)
    assert reload_after_ms(app) == [6 * 3600 * 1000]
    scripts = [element.value for element in app.html if "kiosk-reload" in element.value]
    assert "window.location.reload()" in scripts[0] and "_stcore/health" in scripts[0]


def test_the_kiosk_reload_follows_its_setting_and_can_be_turned_off(monkeypatch, db_url):
    monkeypatch.setenv("COMMAND_POST_KIOSK_RELOAD_HOURS", "0.5")
    app = kiosk(monkeypatch, db_url)
    assert reload_after_ms(app) == [1800 * 1000]
    monkeypatch.setenv("COMMAND_POST_KIOSK_RELOAD_HOURS", "0")
    app.run()
    assert reload_after_ms(app) == []


def test_the_wall_on_a_leader_s_own_screen_does_not_reload_itself(monkeypatch, db_url):
    app = kiosk(monkeypatch, db_url, kiosk_mode=False)
    assert reload_after_ms(app) == []
