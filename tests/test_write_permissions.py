"""Who may write what (DESIGN §8), one case per write function of the data layer and role.

Every public function of ``data_layer`` whose first argument is a :class:`WriteContext` is called through
``db.perform`` by each of six actors: an administrator, a leader, the wall screen, a clerk assigned to the
unit the call touches, a clerk assigned to another unit of the same domain and a clerk assigned only to
another domain. Administrators write everything; leaders write nothing but briefing notes; the wall screen
writes nothing; a clerk writes entries for their own units only, never master data, users, settings or the
risk level.

A refused call raises ``PermissionDenied`` and leaves every table as it was (row counts and the newest audit
id). An allowed call succeeds and leaves audit rows that name the actor and describe the change with JSON:
an insert has ``after``; an update has ``before`` and ``after``; a correction, reversal or closure is a new
row whose ``after`` names the row it supersedes. No audit row ever holds a password hash.

The cases share one database per run of this module; each case builds its own units with fresh names, so
no case depends on what another one stored.
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from test_enterprises import ALL_MET
from test_enterprises import add as add_enterprise_as
from test_quarantine import D, person

import data_layer
from data_layer import briefing, checkpoints, clock, db, notify, quarantine, retention, situation, supplies, users
from data_layer import enterprises as en
from data_layer.db import Actor, WriteContext, audit_log, connect, data_version, perform
from data_layer.errors import PermissionDenied
from support import snapshot

TODAY = clock.today()
YESTERDAY = TODAY - timedelta(days=1)
SETUP = Actor("setup-admin", "admin")
ROLES = ("admin", "leader", "wall", "clerk_own_unit", "clerk_other_unit", "clerk_other_domain")
DOMAINS = ("checkpoints", "quarantine", "supplies", "enterprises")
OTHER_DOMAIN = {
    "checkpoints": "supplies",
    "quarantine": "enterprises",
    "supplies": "checkpoints",
    "enterprises": "quarantine",
    None: "supplies",
}
PASSWORD_HASH_MARK = "$argon2"
serial = itertools.count(1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 at its production cost takes about a second a hash on a busy test machine; nothing tested here
    depends on the cost (the hash still starts with ``$argon2``)."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


# --- the units each case builds ---------------------------------------------------------------------------------


@dataclass
class World:
    """What one case built: the unit the call touches (``mine``), another unit of its domain (``other``) and
    the rows the call refers to."""

    n: int
    mine: int | None = None
    other: int | None = None
    rows: dict[str, object] = field(default_factory=dict)


def at_yesterday(hour: int):
    return clock.day_bounds(YESTERDAY)[0] + timedelta(hours=hour)


def count_entry(checkpoint: int, start_hour: int, persons: int) -> dict[str, object]:
    return {
        "checkpoint": checkpoint,
        "period_start": at_yesterday(start_hour),
        "period_end": at_yesterday(start_hour + 8),
        "persons": persons,
        "vehicles": 0,
        "fever": 0,
        "turned_back": 0,
    }


def checkpoint_world(engine, n: int) -> World:
    """Two road checkpoints and one count entry of the first, yesterday 0:00–8:00."""
    mine, other = (
        perform(
            engine,
            SETUP,
            checkpoints.add_checkpoint,
            {"name": f"权限卡口{n}{side}", "grid": "第一网格", "kind": "road"},
        )
        for side in "甲乙"
    )
    entry = perform(engine, SETUP, checkpoints.add_count, count_entry(mine, 0, 5))
    return World(n, mine, other, {"entry": entry})


def followup_row(episode: int, day, slot: str, temperature: float = 36.5) -> dict[str, object]:
    return {"episode_id": episode, "date": day, "slot": slot, "temperature": temperature, "by": "网格员甲"}


def quarantine_world(engine, n: int) -> World:
    """Two sites; two people in centralized quarantine at the first since D; one follow-up of the first person."""
    mine, other = (
        perform(
            engine, SETUP, quarantine.add_site, {"name": f"权限隔离点{n}{side}", "address": "城东路1号", "capacity": 10}
        )
        for side in "甲乙"
    )
    episodes = [
        perform(engine, SETUP, quarantine.register, person(next(serial), mode="centralized", site=mine, start_date=D))
        for _ in range(2)
    ]
    followup = perform(engine, SETUP, quarantine.add_followup, followup_row(episodes[0], D, "AM"))
    return World(n, mine, other, {"episodes": episodes, "followup": followup})


def supplies_world(engine, n: int) -> World:
    """Two items; 100 of the first bought five days ago."""
    mine, other = (
        perform(
            engine,
            SETUP,
            supplies.add_item,
            {"name": f"权限物资{n}{side}", "unit": "只", "category": "防护用品", "safety_stock": 10},
        )
        for side in "甲乙"
    )
    movement = perform(
        engine,
        SETUP,
        supplies.add_movement,
        {"item": mine, "date": TODAY - timedelta(days=5), "kind": "purchase", "quantity": 100},
    )
    return World(n, mine, other, {"movement": movement})


def enterprises_world(engine, n: int) -> World:
    """A shop not reopened for ten days, inspected three days ago with one item due today; a reopened shop."""
    mine = add_enterprise_as(engine, SETUP, f"权限面馆{n}", "not_reopened", TODAY - timedelta(days=10), "workers_short")
    other = add_enterprise_as(engine, SETUP, f"权限超市{n}")
    inspection = perform(
        engine,
        SETUP,
        en.add_inspection,
        mine,
        TODAY - timedelta(days=3),
        "督查组王",
        [{"item": "消毒记录不全", "deadline": TODAY}],
    )
    with engine.connect() as conn:
        item = en.inspection_items(conn, inspection)[0]["id"]
    return World(n, mine, other, {"rectification": item})


def users_world(engine, n: int) -> World:
    """A wall-screen account."""
    perform(engine, SETUP, users.create_user, f"wall{n}", "wall", "wall-password")
    return World(n, rows={"wall": f"wall{n}"})


def locked_world(engine, n: int) -> World:
    """A clerk's account locked by repeated failed sign-ins."""
    perform(engine, SETUP, users.create_user, f"locked{n}", "clerk", "clerk-password", None, {"checkpoints": []})
    for _ in range(users.MAX_FAILED_SIGN_INS):
        users.authenticate(engine, f"locked{n}", "wrong-password", pause=lambda seconds: None)
    return World(n, rows={"user": f"locked{n}"})


def ended_world(engine, n: int) -> World:
    """A person released 40 days ago: due for anonymisation after the default 28 days."""
    episode = perform(
        engine, SETUP, quarantine.register, person(next(serial), mode="home", start_date=TODAY - timedelta(days=60))
    )
    perform(engine, SETUP, quarantine.release, episode, TODAY - timedelta(days=40))
    return World(n)


def settings_world(engine, n: int) -> World:
    """The risk level set to low."""
    perform(engine, SETUP, situation.set_risk_level, "low")
    return World(n)


def empty_world(engine, n: int) -> World:
    return World(n)


def channel_world(engine, n: int) -> World:
    """A generic webhook channel, switched on."""
    return World(n, perform(engine, SETUP, notify.add_channel, f"权限群{n}", "webhook", "http://127.0.0.1:9/hook"))


# --- what each write function is, what a call needs and what its audit row says ---------------------------------


@dataclass(frozen=True)
class Inserted:
    """The call inserts a row of ``table``: its audit row has ``after`` and no ``before``."""

    table: str


@dataclass(frozen=True)
class Updated:
    """The call changes a row of ``table`` in place: its audit row has ``before`` and ``after`` that differ."""

    table: str


@dataclass(frozen=True)
class Superseding:
    """The call stores a new row of ``table`` whose ``after`` names the earlier row (``rows[earlier]``) in ``key``."""

    table: str
    key: str
    earlier: str


@dataclass(frozen=True)
class Write:
    function: Callable
    domain: str | None  # the domain whose units the call touches; None for users, settings and notes
    writer: str  # "entry": admins and the unit's clerks; "domain": admins and the domain's clerks;
    #               "master": admins only; "note": admins and leaders
    build: Callable[[object, int], World]
    arguments: Callable[[World], tuple[tuple, dict]]
    audit: Inserted | Updated | Superseding

    @property
    def name(self) -> str:
        return f"{domain_of(self.function)}.{self.function.__name__}"


def domain_of(function: Callable) -> str | None:
    """The data layer module that defines ``function``, or the domain package whose module does; ``None``
    outside the data layer."""
    module = function.__module__
    return module.split(".")[1] if module.startswith("data_layer.") else None


def args(*positional: object, **keywords: object) -> tuple[tuple, dict]:
    return positional, keywords


CP, QU, SU, EN = "checkpoints", "quarantine", "supplies", "enterprises"
WRITES = [
    Write(
        briefing.save_note,
        None,
        "note",
        empty_world,
        lambda w: args(YESTERDAY, "明日重点：东门卡口加派人手"),
        Inserted("briefing_notes"),
    ),
    Write(
        checkpoints.add_count,
        CP,
        "entry",
        checkpoint_world,
        lambda w: args(count_entry(w.mine, 8, 120)),
        Inserted("checkpoint_counts"),
    ),
    Write(
        checkpoints.add_zero_report,
        CP,
        "entry",
        checkpoint_world,
        lambda w: args(w.mine, at_yesterday(16), at_yesterday(24)),
        Inserted("checkpoint_counts"),
    ),
    Write(
        checkpoints.correct_count,
        CP,
        "entry",
        checkpoint_world,
        lambda w: args(w.rows["entry"], {"persons": 7, "reason": "登记表核对有误"}),
        Superseding("checkpoint_counts", "supersedes_id", "entry"),
    ),
    Write(
        checkpoints.add_checkpoint,
        CP,
        "master",
        checkpoint_world,
        lambda w: args({"name": f"新卡口{w.n}", "grid": "第一网格", "kind": "station"}),
        Inserted("checkpoints"),
    ),
    Write(
        checkpoints.rename_checkpoint,
        CP,
        "master",
        checkpoint_world,
        lambda w: args(w.mine, f"改名卡口{w.n}"),
        Updated("checkpoints"),
    ),
    Write(
        checkpoints.set_checkpoint_active,
        CP,
        "master",
        checkpoint_world,
        lambda w: args(w.mine, False),
        Updated("checkpoints"),
    ),
    Write(
        checkpoints.set_checkpoint_location,
        CP,
        "master",
        checkpoint_world,
        lambda w: args(w.mine, "第二网格", 30.5, 114.2),
        Updated("checkpoints"),
    ),
    Write(
        checkpoints.set_checkpoint_kind,
        CP,
        "master",
        checkpoint_world,
        lambda w: args(w.mine, "station"),
        Updated("checkpoints"),
    ),
    Write(
        db.put_setting, None, "master", empty_world, lambda w: args(f"test_setting_{w.n}", "on"), Inserted("settings")
    ),
    Write(
        notify.add_channel,
        None,
        "master",
        empty_world,
        lambda w: args(f"新群{w.n}", "webhook", "http://127.0.0.1:9/hook"),
        Inserted("notify_channels"),
    ),
    Write(
        notify.set_channel_enabled,
        None,
        "master",
        channel_world,
        lambda w: args(w.mine, False),
        Updated("notify_channels"),
    ),
    Write(
        notify.set_channel_language,
        None,
        "master",
        channel_world,
        lambda w: args(w.mine, "en"),
        Updated("notify_channels"),
    ),
    Write(
        notify.set_rule,
        None,
        "master",
        channel_world,
        lambda w: args(notify.BRIEFING_RULE, True, [w.mine]),
        Inserted("settings"),
    ),
    Write(notify.queue_test, None, "master", channel_world, lambda w: args(w.mine), Inserted("notify_outbox")),
    Write(notify.queue_briefing_now, None, "master", channel_world, lambda w: args(), Inserted("notify_outbox")),
    Write(
        en.add_enterprise,
        EN,
        "registrar",
        enterprises_world,
        lambda w: args(
            {
                "name": f"新店{w.n}",
                "kind": "shop",
                "sector": "餐饮",
                "grid": "第一网格",
                "employees": 4,
                "status": "not_reopened",
                "status_date": YESTERDAY,
                "reason": "workers_short",
            }
        ),
        Inserted("enterprises"),
    ),
    Write(
        en.update_enterprise,
        EN,
        "entry",
        enterprises_world,
        lambda w: args(w.mine, {"employees": 9}),
        Updated("enterprises"),
    ),
    Write(
        en.change_status,
        EN,
        "entry",
        enterprises_world,
        lambda w: args(w.mine, "applied", YESTERDAY),
        Inserted("enterprise_status_changes"),
    ),
    Write(
        en.record_conditions,
        EN,
        "entry",
        enterprises_world,
        lambda w: args(w.mine, ALL_MET, YESTERDAY),
        Inserted("enterprise_conditions"),
    ),
    Write(
        en.add_inspection,
        EN,
        "entry",
        enterprises_world,
        lambda w: args(w.mine, YESTERDAY, "督查组李", [{"item": "未设隔离观察室", "deadline": TODAY}]),
        Inserted("inspections"),
    ),
    Write(
        en.close_rectification,
        EN,
        "entry",
        enterprises_world,
        lambda w: args(w.rows["rectification"], TODAY, "督查组王"),
        Superseding("rectification_closures", "rectification_id", "rectification"),
    ),
    Write(
        quarantine.add_site,
        QU,
        "master",
        quarantine_world,
        lambda w: args({"name": f"新隔离点{w.n}", "address": "城西路2号", "capacity": 5}),
        Inserted("quarantine_sites"),
    ),
    Write(
        quarantine.rename_site,
        QU,
        "master",
        quarantine_world,
        lambda w: args(w.mine, f"改名隔离点{w.n}"),
        Updated("quarantine_sites"),
    ),
    Write(
        quarantine.set_site_capacity,
        QU,
        "master",
        quarantine_world,
        lambda w: args(w.mine, 20),
        Updated("quarantine_sites"),
    ),
    Write(
        quarantine.set_site_active,
        QU,
        "master",
        quarantine_world,
        lambda w: args(w.mine, False),
        Updated("quarantine_sites"),
    ),
    Write(
        quarantine.register,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(person(next(serial), mode="centralized", site=w.mine, start_date=D)),
        Inserted("quarantine_episodes"),
    ),
    Write(
        quarantine.change_planned_end,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(w.rows["episodes"][0], "流调要求延长", planned_days=21),
        Updated("quarantine_episodes"),
    ),
    Write(
        quarantine.release,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(w.rows["episodes"][0], TODAY),
        Updated("quarantine_episodes"),
    ),
    Write(
        quarantine.release_many,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(w.rows["episodes"], TODAY),
        Updated("quarantine_episodes"),
    ),
    Write(
        quarantine.transfer_to_hospital,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(w.rows["episodes"][0], TODAY),
        Updated("quarantine_episodes"),
    ),
    Write(
        quarantine.end_other,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(w.rows["episodes"][0], TODAY, "迁出本辖区"),
        Updated("quarantine_episodes"),
    ),
    Write(
        quarantine.add_followups,
        QU,
        "entry",
        quarantine_world,
        lambda w: args([followup_row(w.rows["episodes"][0], D + timedelta(days=1), slot) for slot in ("AM", "PM")]),
        Inserted("quarantine_followups"),
    ),
    Write(
        quarantine.add_followup,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(followup_row(w.rows["episodes"][0], D, "PM")),
        Inserted("quarantine_followups"),
    ),
    Write(
        quarantine.correct_followup,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(w.rows["followup"], {"temperature": 36.9}, "体温计读数录错"),
        Superseding("quarantine_followups", "supersedes_id", "followup"),
    ),
    Write(
        quarantine.save_followup_grid,
        QU,
        "entry",
        quarantine_world,
        lambda w: args(
            [followup_row(w.rows["episodes"][1], D, "AM")],
            [(w.rows["followup"], {"temperature": 37.0})],
            "体温计读数录错",
        ),
        Superseding("quarantine_followups", "supersedes_id", "followup"),
    ),
    Write(situation.set_risk_level, None, "master", settings_world, lambda w: args("high"), Updated("settings")),
    Write(
        supplies.add_item,
        SU,
        "master",
        supplies_world,
        lambda w: args({"name": f"新物资{w.n}", "unit": "双", "category": "防护用品", "safety_stock": 5}),
        Inserted("supply_items"),
    ),
    Write(
        supplies.rename_item,
        SU,
        "master",
        supplies_world,
        lambda w: args(w.mine, f"改名物资{w.n}"),
        Updated("supply_items"),
    ),
    Write(
        supplies.set_item,
        SU,
        "master",
        supplies_world,
        lambda w: args(w.mine, {"safety_stock": 20}),
        Updated("supply_items"),
    ),
    Write(
        supplies.edit_item,
        SU,
        "master",
        supplies_world,
        lambda w: args(w.mine, {"name": f"编辑物资{w.n}", "unit": "盒"}),
        Updated("supply_items"),
    ),
    Write(
        supplies.add_movement,
        SU,
        "entry",
        supplies_world,
        lambda w: args(
            {
                "item": w.mine,
                "date": TODAY,
                "kind": "issue",
                "quantity": 5,
                "counterparty": "第一网格",
                "recipient_kind": "grid",
            }
        ),
        Inserted("supply_movements"),
    ),
    Write(
        supplies.reverse_movement,
        SU,
        "entry",
        supplies_world,
        lambda w: args(w.rows["movement"], "录错了"),
        Superseding("supply_movements", "reverses_id", "movement"),
    ),
    Write(
        supplies.record_stock_count,
        SU,
        "entry",
        supplies_world,
        lambda w: args(w.mine, TODAY, 90, "盘点短少"),
        Inserted("supply_movements"),
    ),
    Write(
        users.create_user,
        None,
        "master",
        empty_world,
        lambda w: args(f"clerk{w.n}", "clerk", "s3cret-pass", "录入员", {"checkpoints": []}),
        Inserted("users"),
    ),
    Write(users.issue_device_token, None, "master", users_world, lambda w: args(w.rows["wall"]), Updated("users")),
    Write(
        users.reset_password,
        None,
        "master",
        users_world,
        lambda w: args(w.rows["wall"], "new-password-1"),
        Updated("users"),
    ),
    Write(users.set_active, None, "master", users_world, lambda w: args(w.rows["wall"], False), Updated("users")),
    Write(
        users.set_assignments,
        None,
        "master",
        locked_world,
        lambda w: args(w.rows["user"], {"supplies": []}),
        Updated("users"),
    ),
    Write(
        users.unlock_account, None, "master", locked_world, lambda w: args(w.rows["user"]), Updated("sign_in_unlocks")
    ),
    Write(retention.set_retention_days, None, "master", empty_world, lambda w: args(40 + w.n), Inserted("settings")),
    Write(retention.anonymise_people, None, "master", ended_world, lambda w: args(), Inserted("persons")),
    Write(
        checkpoints.add_counts_batch,
        CP,
        "entry",
        checkpoint_world,
        lambda w: args([count_entry(w.mine, 8, 120), count_entry(w.mine, 16, 80)]),
        Inserted("checkpoint_counts"),
    ),
    Write(
        quarantine.add_followups_batch,
        QU,
        "entry",
        quarantine_world,
        lambda w: args([followup_row(w.rows["episodes"][1], D, slot) for slot in ("AM", "PM")]),
        Inserted("quarantine_followups"),
    ),
    Write(
        quarantine.correct_followups,
        QU,
        "entry",
        quarantine_world,
        lambda w: args([(w.rows["followup"], {"temperature": 36.8})], "体温计读数录错"),
        Superseding("quarantine_followups", "supersedes_id", "followup"),
    ),
    Write(
        supplies.add_movements_batch,
        SU,
        "entry",
        supplies_world,
        lambda w: args(
            [
                {
                    "item": w.mine,
                    "date": TODAY,
                    "kind": "issue",
                    "quantity": 5,
                    "counterparty": "第一网格",
                    "recipient_kind": "grid",
                }
            ]
        ),
        Inserted("supply_movements"),
    ),
]
WRITES_BY_NAME = {write.name: write for write in WRITES}


def may_write(role: str, write: Write) -> bool:
    """DESIGN §8 as a table. New enterprises are registered by the inspection team, the clerks assigned the whole
    enterprise domain (and the administrator): a clerk assigned some enterprises, like both clerks here, edits
    those and registers none (:func:`test_only_the_administrator_and_a_clerk_of_every_enterprise_register_one`)."""
    return {"admin": True, "leader": write.writer == "note", "clerk_own_unit": write.writer == "entry"}.get(role, False)


def actor_for(role: str, write: Write, world: World) -> Actor:
    domain = write.domain
    if role == "admin":
        return Actor("admin-test", "admin")
    if role in ("leader", "wall"):
        return Actor(f"{role}-test", role)
    if role == "clerk_own_unit":
        # A clerk of the unit the call touches; for writes outside the four domains, a clerk of all of them.
        assignments = ((domain, frozenset({world.mine})),) if domain else tuple((d, frozenset()) for d in DOMAINS)
        return Actor("clerk-own-unit", "clerk", assignments)
    if role == "clerk_other_unit":
        # For writes outside the four domains any clerk will do: one of a single quarantine site.
        assignments = ((domain, frozenset({world.other})),) if domain else (("quarantine", frozenset({1})),)
        return Actor("clerk-other-unit", "clerk", assignments)
    return Actor("clerk-other-domain", "clerk", ((OTHER_DOMAIN[domain], frozenset()),))


# --- the store before and after --------------------------------------------------------------------------------


@dataclass
class Store:
    engine: Engine
    spare: dict[str, World] = field(default_factory=dict)  # worlds refused calls left untouched, by write

    def world_for(self, write: Write) -> World:
        """A world for ``write``: one that a refused call of it left as it was, else a new one."""
        return self.spare.pop(write.name, None) or write.build(self.engine, next(serial))


@pytest.fixture(scope="module")
def store(database_factory):
    """One database for the module's cases (each case builds its own units in it, or takes over the units of
    a refused case of the same write, which the refused case proved unchanged)."""
    engine = connect(database_factory.fresh_url())
    yield Store(engine)
    engine.dispose()


def state(engine) -> tuple[tuple, int]:
    """The row count of every table and the newest audit id."""
    return snapshot(engine), data_version(engine)


def audit_rows_after(engine, audit_id: int) -> list[dict]:
    with engine.connect() as conn:
        return [
            dict(row)
            for row in conn.execute(
                sa.select(audit_log).where(audit_log.c.id > audit_id).order_by(audit_log.c.id)
            ).mappings()
        ]


def parsed(text: str | None) -> dict | None:
    if text is None:
        return None
    value = json.loads(text)
    assert isinstance(value, dict) and value, f"audit JSON is not a non-empty object: {text[:200]}"
    return value


def assert_audited(rows: list[dict], actor: Actor, expected: Inserted | Updated | Superseding, world: World) -> None:
    """The call's audit rows name the actor and describe the change (see the module docstring)."""
    assert rows, "an allowed write left no audit row"
    for row in rows:
        assert row["username"] == actor.username, row
        assert row["action"], row
        assert row["before"] is not None or row["after"] is not None, row
        for text in (row["before"], row["after"]):
            parsed(text)
            assert PASSWORD_HASH_MARK not in (text or ""), f"password hash in the audit log: {row['action']}"
    ours = [row for row in rows if row["table_name"] == expected.table]
    assert ours, f"no audit row for {expected.table}: {[row['table_name'] for row in rows]}"
    if isinstance(expected, Updated):
        changes = [(parsed(row["before"]), parsed(row["after"])) for row in ours if row["before"] and row["after"]]
        assert changes, f"an update of {expected.table} audited without before and after"
        assert any(before.keys() == after.keys() and before != after for before, after in changes), changes
    else:
        inserts = [parsed(row["after"]) for row in ours if row["before"] is None and row["after"] is not None]
        assert inserts, f"an insert into {expected.table} audited without after"
        if isinstance(expected, Superseding):
            assert any(after.get(expected.key) == world.rows[expected.earlier] for after in inserts), inserts


# --- the test ---------------------------------------------------------------------------------------------------


def cases() -> list:
    params = []
    for write in WRITES:
        for role in ROLES:
            params.append(pytest.param(write.name, role, id=f"{write.name}-{role}"))
    return params


@pytest.mark.parametrize(("write_name", "role"), cases())
def test_each_role_may_call_exactly_the_writes_design_section_8_gives_it(store, write_name, role):
    write = WRITES_BY_NAME[write_name]
    world = store.world_for(write)
    actor = actor_for(role, write, world)
    positional, keywords = write.arguments(world)
    engine = store.engine
    counts_before, audit_before = state(engine)

    if not may_write(role, write):
        with pytest.raises(PermissionDenied):
            perform(engine, actor, write.function, *positional, **keywords)
        assert state(engine) == (counts_before, audit_before), "a refused write changed the store"
        store.spare[write.name] = world
        return

    perform(engine, actor, write.function, *positional, **keywords)
    assert_audited(audit_rows_after(engine, audit_before), actor, write.audit, world)


def write_functions() -> set[str]:
    """Every public function of the data layer whose first parameter is a WriteContext. A domain package's public
    functions are those its ``__init__`` exports; the rest are the package's own."""
    found = set()
    for module_info in pkgutil.iter_modules(data_layer.__path__):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"data_layer.{module_info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if domain_of(function) != module_info.name or name.startswith("_"):
                continue
            parameters = list(inspect.signature(function).parameters.values())
            if parameters and parameters[0].annotation in ("WriteContext", WriteContext):
                found.add(f"{module_info.name}.{name}")
    return found


def test_the_table_covers_every_write_function_of_the_data_layer():
    assert write_functions() == set(WRITES_BY_NAME)


def test_only_the_administrator_and_a_clerk_of_every_enterprise_register_one(engine, admin):
    """A clerk limited to some enterprises works on those: a new enterprise is none of them, so registering one
    is refused with a message that says who may; the inspection team, assigned the whole domain, registers it."""
    world = enterprises_world(engine, next(serial))
    new_shop = WRITES_BY_NAME["enterprises.add_enterprise"].arguments(world)[0][0]
    some = Actor("clerk-some-enterprises", "clerk", ((EN, frozenset({world.mine})),))
    before = state(engine)
    with pytest.raises(PermissionDenied) as refusal:
        perform(engine, some, en.add_enterprise, new_shop)
    assert "仅限管理员和分配了全部企业的录入员" in refusal.value.messages("zh_CN")[0]
    assert "clerks assigned all enterprises" in refusal.value.messages("en")[0]
    assert state(engine) == before, "a refused registration changed the store"

    perform(engine, some, en.update_enterprise, world.mine, {"employees": 9})  # their own enterprise, still
    inspection_team = Actor("clerk-every-enterprise", "clerk", ((EN, frozenset()),))
    audit_before = data_version(engine)
    perform(engine, inspection_team, en.add_enterprise, new_shop)
    assert_audited(audit_rows_after(engine, audit_before), inspection_team, Inserted("enterprises"), world)
