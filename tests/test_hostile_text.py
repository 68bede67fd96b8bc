"""Hostile text in every free-text field of every write function: stored exactly or refused, never executed.

Each text field of each write function gets SQL-injection-shaped strings, quotes, backslashes and LIKE
wildcards, Chinese with emoji and right-to-left script, 10,000 and 1,000,000 characters, and for a column of
declared length n a text of exactly n characters and one of n + 1. The outcome is one of two:

- stored, and reading the column back gives exactly the text given;
- refused with a ``ValidationError`` naming the field in words in both languages, and nothing written.

Which one is fixed by the column: a text that fits a ``VARCHAR(n)`` column must be stored, a longer one must
be refused as too long (PostgreSQL would raise an error where SQLite silently stores it, so both backends are
held to the same rule); a short text in an unbounded column must be stored, a huge one may be refused. A
name that is only looked up (a checkpoint, site, item, enterprise or account named by the text) is refused
as unknown. After every case each table still exists and holds at least the rows it held.

The cases share a few databases per run of this module: one for looked-up names (where no hostile name is
ever stored); for the fields that store into one column of unique names, one each (so that the name stored by
``add_item`` cannot clash with the same name given to ``rename_item``); one for the rest.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from sqlalchemy.engine import Engine
from test_enterprises import add as add_enterprise_as
from test_quarantine import D, person

from data_layer import briefing, clock, notify, quarantine, supplies, users
from data_layer import checkpoints as cp
from data_layer import enterprises as en
from data_layer.db import Actor, connect, data_version, perform
from data_layer.errors import ValidationError
from data_layer.i18n import translate
from support import assert_explained, snapshot

TODAY = clock.today()
YESTERDAY = TODAY - timedelta(days=1)
SETUP = Actor("setup-admin", "admin")
SHORT = 100  # a text this short must be stored by an unbounded column
serial = itertools.count(1)

PAYLOADS = {
    "sql_drop_table": "'); DROP TABLE checkpoint_counts; --",
    "sql_or_true": '" OR 1=1 --',
    "sql_delete_audit_log": "Robert'); DELETE FROM audit_log;--",
    "quotes_backslashes_wildcards": "O'Brien \"K\" C:\\x\\' 100% a_b",
    "chinese_emoji_rtl": "东门卡口😷 مرحبا שלום",
    "10k_chars": ("卡口'; DROP TABLE users;--😷" * 400)[:10_000],
    "1m_chars": ("x' OR '1'='1" * 90_000)[:1_000_000],
}


def exact_length(length: int) -> str:
    return ("字😷" * length)[:length]


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch):
    """argon2 at its production cost takes about a second a hash on a busy test machine; nothing tested here
    depends on the cost (the hash still starts with ``$argon2``)."""
    monkeypatch.setattr(users, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


# --- building what a call needs ---------------------------------------------------------------------------------


def unique(prefix: str) -> str:
    return f"{prefix}{next(serial)}"


Arguments = tuple[tuple, dict]  # positional and keyword arguments of a call
Locate = Callable[[Engine, object], object]  # (engine, what the call returned) -> id of the row holding the text


def args(*positional: object, **keywords: object) -> Arguments:
    return positional, keywords


def returned(engine: Engine, result: object) -> object:
    return result


def fixed(row_id: object) -> Locate:
    return lambda engine, result: row_id


def newest_row(engine: Engine, where: sa.Column, key: object) -> int:
    """The newest row of ``where``'s table whose ``where`` column equals ``key``."""
    with engine.connect() as conn:
        return conn.execute(
            sa.select(where.table.c.id).where(where == key).order_by(where.table.c.id.desc()).limit(1)
        ).scalar_one()


def new_checkpoint(engine: Engine) -> int:
    return perform(engine, SETUP, cp.add_checkpoint, checkpoint_data())


def checkpoint_data(**fields: object) -> dict[str, object]:
    return {"name": unique("卡口"), "grid": "第一网格", "kind": "road", **fields}


def count_entry(checkpoint: object, **fields: object) -> dict[str, object]:
    """Yesterday's first eight hours at ``checkpoint``."""
    start = clock.day_bounds(YESTERDAY)[0]
    return {
        "checkpoint": checkpoint,
        "period_start": start,
        "period_end": start + timedelta(hours=8),
        "persons": 10,
        "vehicles": 2,
        "fever": 0,
        "turned_back": 0,
        **fields,
    }


def new_count(engine: Engine) -> int:
    return perform(engine, SETUP, cp.add_count, count_entry(new_checkpoint(engine)))


def site_data(**fields: object) -> dict[str, object]:
    return {"name": unique("隔离点"), "address": "城东路1号", "capacity": 10, **fields}


def new_site(engine: Engine) -> int:
    return perform(engine, SETUP, quarantine.add_site, site_data())


def register_data(**fields: object) -> dict[str, object]:
    """A new person for home quarantine since D."""
    return person(next(serial), **fields)


def new_episode(engine: Engine) -> int:
    return perform(engine, SETUP, quarantine.register, register_data())


def person_of_episode(engine: Engine, episode: object) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(EPISODE.person_id).where(EPISODE.id == episode)).scalar_one()


def followup_row(episode: int, **fields: object) -> dict[str, object]:
    return {"episode_id": episode, "date": D, "slot": "AM", "temperature": 36.5, "by": "网格员甲", **fields}


def new_followup(engine: Engine) -> tuple[int, int]:
    episode = new_episode(engine)
    return episode, perform(engine, SETUP, quarantine.add_followup, followup_row(episode))


def item_data(**fields: object) -> dict[str, object]:
    return {"name": unique("物资"), "unit": "只", "category": "防护用品", **fields}


def new_item(engine: Engine) -> int:
    return perform(engine, SETUP, supplies.add_item, item_data())


def movement_data(item: object, **fields: object) -> dict[str, object]:
    return {"item": item, "date": TODAY - timedelta(days=5), "kind": "purchase", "quantity": 100, **fields}


def new_purchase(engine: Engine) -> int:
    return perform(engine, SETUP, supplies.add_movement, movement_data(new_item(engine)))


def enterprise_data(**fields: object) -> dict[str, object]:
    return {
        "name": unique("新店"),
        "kind": "shop",
        "sector": "餐饮",
        "grid": "第一网格",
        "employees": 4,
        "status": "not_reopened",
        "status_date": YESTERDAY,
        "reason": "workers_short",
        **fields,
    }


def new_enterprise(engine: Engine) -> int:
    return add_enterprise_as(engine, SETUP, unique("面馆"), "not_reopened", TODAY - timedelta(days=10), "workers_short")


def new_rectification(engine: Engine) -> int:
    inspection = perform(
        engine,
        SETUP,
        en.add_inspection,
        new_enterprise(engine),
        TODAY - timedelta(days=3),
        "督查组王",
        [{"item": "消毒记录不全", "deadline": TODAY}],
    )
    with engine.connect() as conn:
        return en.inspection_items(conn, inspection)[0]["id"]


# --- every text field of every write function -------------------------------------------------------------------

CPC, COUNT = cp.checkpoints.c, cp.checkpoint_counts.c
SITE, PERSON, EPISODE = quarantine.quarantine_sites.c, quarantine.persons.c, quarantine.quarantine_episodes.c
CHANGE, FOLLOWUP = quarantine.episode_changes.c, quarantine.quarantine_followups.c
ITEM, MOVEMENT = supplies.supply_items.c, supplies.supply_movements.c
ENTERPRISE, STATUS, CONDITION = en.enterprises.c, en.status_changes.c, en.conditions.c
INSPECTION, RECTIFICATION, CLOSURE = en.inspections.c, en.rectifications.c, en.rectification_closures.c
USER = users.users.c

Call = Callable[[Engine, str], tuple[Arguments, Locate]]


@dataclass(frozen=True)
class TextField:
    name: str  # module.function.field, as the case ids show it
    function: Callable
    field: str  # the field a refusal names
    column: sa.Column | None  # where the text is stored; None when it is only looked up or stored hashed
    call: Call  # builds what the call needs; returns its arguments and where the text should land
    kind: str = "stored"  # "stored"; "looked_up": names a row that must exist; "password": stored hashed


def adding(make: Callable[..., dict], key: str) -> Call:
    """Add the record ``make`` gives, with the text as ``key``; the text lands in the new row."""
    return lambda engine, text: (args(make(**{key: text})), returned)


def changing(target: Callable[[Engine], int], arguments: Callable[[int, str], Arguments]) -> Call:
    """Change a fresh ``target`` row; the text lands in that row."""

    def call(engine: Engine, text: str) -> tuple[Arguments, Locate]:
        row = target(engine)
        return arguments(row, text), fixed(row)

    return call


def zero_report(engine: Engine, text: str) -> tuple[Arguments, Locate]:
    entry = count_entry(new_checkpoint(engine))
    return args(entry["checkpoint"], entry["period_start"], entry["period_end"], text), returned


def registering_person(key: str) -> Call:
    """Register a new person with the text as ``key``; the text lands in the person's row."""
    return lambda engine, text: (args(register_data(**{key: text})), person_of_episode)


def change_planned_end(engine: Engine, text: str) -> tuple[Arguments, Locate]:
    episode = new_episode(engine)
    return (args(episode, text, planned_days=21), lambda engine, result: newest_row(engine, CHANGE.episode_id, episode))


def release_many(engine: Engine, text: str) -> tuple[Arguments, Locate]:
    episodes = [new_episode(engine), new_episode(engine)]
    return args(episodes, TODAY, text), fixed(episodes[1])


def add_followups(key: str) -> Call:
    def call(engine: Engine, text: str) -> tuple[Arguments, Locate]:
        episode = new_episode(engine)
        rows = [followup_row(episode, **{key: text}), followup_row(episode, slot="PM")]
        return args(rows), lambda engine, ids: ids[0]

    return call


def correct_followup(key: str) -> Call:
    """Correct a fresh follow-up with the text as its reason or as the corrected ``key``."""

    def call(engine: Engine, text: str) -> tuple[Arguments, Locate]:
        _, followup = new_followup(engine)
        if key == "reason":
            return args(followup, {"temperature": 36.8}, text), returned
        return args(followup, {"temperature": 36.8, key: text}, "读数录错"), returned

    return call


def save_followup_grid(engine: Engine, text: str) -> tuple[Arguments, Locate]:
    episode, followup = new_followup(engine)
    return (
        args([followup_row(episode, slot="PM")], [(followup, {"temperature": 37.0})], text),
        lambda engine, result: newest_row(engine, FOLLOWUP.supersedes_id, followup),
    )


def record_conditions(engine: Engine, text: str) -> tuple[Arguments, Locate]:
    enterprise = new_enterprise(engine)
    return (
        args(enterprise, {"masks_for_staff": True}, YESTERDAY, text),
        lambda engine, result: newest_row(engine, CONDITION.enterprise_id, enterprise),
    )


def inspection_item(engine: Engine, text: str) -> tuple[Arguments, Locate]:
    return (
        args(new_enterprise(engine), YESTERDAY, "督查组王", [{"item": text, "deadline": TODAY}]),
        lambda engine, inspection: newest_row(engine, RECTIFICATION.inspection_id, inspection),
    )


def looking_up(arguments: Callable[[str], Arguments]) -> Call:
    return lambda engine, text: (arguments(text), returned)


FIELDS = [
    TextField(
        "notify.add_channel.name",
        notify.add_channel,
        "name",
        notify.notify_channels.c.name,
        lambda engine, text: (args(text, "webhook", "http://127.0.0.1:9/hook"), returned),
    ),
    TextField("checkpoints.add_checkpoint.name", cp.add_checkpoint, "name", CPC.name, adding(checkpoint_data, "name")),
    TextField("checkpoints.add_checkpoint.grid", cp.add_checkpoint, "grid", CPC.grid, adding(checkpoint_data, "grid")),
    TextField(
        "checkpoints.rename_checkpoint.name",
        cp.rename_checkpoint,
        "name",
        CPC.name,
        changing(new_checkpoint, lambda checkpoint, text: args(checkpoint, text)),
    ),
    TextField(
        "checkpoints.rename_checkpoint.checkpoint",
        cp.rename_checkpoint,
        "checkpoint",
        None,
        looking_up(lambda text: args(text, unique("卡口"))),
        "looked_up",
    ),
    TextField(
        "checkpoints.set_checkpoint_location.grid",
        cp.set_checkpoint_location,
        "grid",
        CPC.grid,
        changing(new_checkpoint, lambda checkpoint, text: args(checkpoint, text, None, None)),
    ),
    TextField(
        "checkpoints.add_count.note",
        cp.add_count,
        "note",
        COUNT.note,
        lambda engine, text: (args(count_entry(new_checkpoint(engine), note=text)), returned),
    ),
    TextField(
        "checkpoints.add_count.checkpoint",
        cp.add_count,
        "checkpoint",
        None,
        looking_up(lambda text: args(count_entry(text))),
        "looked_up",
    ),
    TextField("checkpoints.add_zero_report.note", cp.add_zero_report, "note", COUNT.note, zero_report),
    TextField(
        "checkpoints.correct_count.reason",
        cp.correct_count,
        "reason",
        COUNT.reason,
        lambda engine, text: (args(new_count(engine), {"persons": 9, "reason": text}), returned),
    ),
    TextField(
        "checkpoints.correct_count.note",
        cp.correct_count,
        "note",
        COUNT.note,
        lambda engine, text: (args(new_count(engine), {"note": text, "reason": "核对有误"}), returned),
    ),
    TextField("quarantine.add_site.name", quarantine.add_site, "name", SITE.name, adding(site_data, "name")),
    TextField(
        "quarantine.add_site.address", quarantine.add_site, "address", SITE.address, adding(site_data, "address")
    ),
    TextField(
        "quarantine.rename_site.name",
        quarantine.rename_site,
        "name",
        SITE.name,
        changing(new_site, lambda site, text: args(site, text)),
    ),
    *(
        TextField(f"quarantine.register.{key}", quarantine.register, key, PERSON[key], registering_person(key))
        for key in ("name", "grid", "address", "origin")
    ),
    TextField(
        "quarantine.register.reason", quarantine.register, "reason", EPISODE.reason, adding(register_data, "reason")
    ),
    TextField(
        "quarantine.register.site",
        quarantine.register,
        "site",
        None,
        looking_up(lambda text: args(register_data(mode="centralized", site=text))),
        "looked_up",
    ),
    TextField(
        "quarantine.change_planned_end.reason",
        quarantine.change_planned_end,
        "reason",
        CHANGE.reason,
        change_planned_end,
    ),
    *(
        TextField(
            f"quarantine.{function.__name__}.reason",
            function,
            "reason",
            EPISODE.reason,
            changing(new_episode, lambda episode, text: args(episode, TODAY, text)),
        )
        for function in (quarantine.release, quarantine.transfer_to_hospital, quarantine.end_other)
    ),
    TextField("quarantine.release_many.reason", quarantine.release_many, "reason", EPISODE.reason, release_many),
    *(
        TextField(
            f"quarantine.add_followup.{key}",
            quarantine.add_followup,
            key,
            column,
            lambda engine, text, key=key: (args(followup_row(new_episode(engine), **{key: text})), returned),
        )
        for key, column in (("symptom_text", FOLLOWUP.symptom_text), ("by", FOLLOWUP.by_name))
    ),
    *(
        TextField(f"quarantine.add_followups.{key}", quarantine.add_followups, key, column, add_followups(key))
        for key, column in (("symptom_text", FOLLOWUP.symptom_text), ("by", FOLLOWUP.by_name))
    ),
    *(
        TextField(f"quarantine.correct_followup.{key}", quarantine.correct_followup, key, column, correct_followup(key))
        for key, column in (
            ("reason", FOLLOWUP.reason),
            ("symptom_text", FOLLOWUP.symptom_text),
            ("by", FOLLOWUP.by_name),
        )
    ),
    TextField(
        "quarantine.save_followup_grid.reason",
        quarantine.save_followup_grid,
        "reason",
        FOLLOWUP.reason,
        save_followup_grid,
    ),
    *(
        TextField(f"supplies.add_item.{key}", supplies.add_item, key, ITEM[key], adding(item_data, key))
        for key in ("name", "unit", "category")
    ),
    TextField(
        "supplies.rename_item.name",
        supplies.rename_item,
        "name",
        ITEM.name,
        changing(new_item, lambda item, text: args(item, text)),
    ),
    *(
        TextField(
            f"supplies.{function.__name__}.{key}",
            function,
            key,
            ITEM[key],
            changing(new_item, lambda item, text, key=key: args(item, {key: text})),
        )
        for function, key in (
            (supplies.set_item, "unit"),
            (supplies.set_item, "category"),
            (supplies.edit_item, "name"),
            (supplies.edit_item, "category"),
        )
    ),
    *(
        TextField(
            f"supplies.add_movement.{key}",
            supplies.add_movement,
            key,
            MOVEMENT[key],
            lambda engine, text, key=key: (args(movement_data(new_item(engine), **{key: text})), returned),
        )
        for key in ("counterparty", "note")
    ),
    TextField(
        "supplies.add_movement.item",
        supplies.add_movement,
        "item",
        None,
        looking_up(lambda text: args(movement_data(text))),
        "looked_up",
    ),
    TextField(
        "supplies.reverse_movement.reason",
        supplies.reverse_movement,
        "reason",
        MOVEMENT.note,
        lambda engine, text: (args(new_purchase(engine), text), returned),
    ),
    TextField(
        "supplies.record_stock_count.reason",
        supplies.record_stock_count,
        "reason",
        MOVEMENT.note,
        lambda engine, text: (args(new_item(engine), TODAY, 90, text), returned),
    ),
    *(
        TextField(
            f"enterprises.add_enterprise.{key}", en.add_enterprise, key, ENTERPRISE[key], adding(enterprise_data, key)
        )
        for key in ("name", "sector", "grid", "address", "contact")
    ),
    TextField(
        "enterprises.add_enterprise.note",
        en.add_enterprise,
        "note",
        STATUS.note,
        lambda engine, text: (
            args(enterprise_data(note=text)),
            lambda engine, enterprise: newest_row(engine, STATUS.enterprise_id, enterprise),
        ),
    ),
    *(
        TextField(
            f"enterprises.update_enterprise.{key}",
            en.update_enterprise,
            key,
            ENTERPRISE[key],
            changing(new_enterprise, lambda enterprise, text, key=key: args(enterprise, {key: text})),
        )
        for key in ("name", "sector", "grid", "address", "contact")
    ),
    TextField(
        "enterprises.change_status.note",
        en.change_status,
        "note",
        STATUS.note,
        lambda engine, text: (args(new_enterprise(engine), "applied", YESTERDAY, None, text), returned),
    ),
    TextField(
        "enterprises.change_status.enterprise",
        en.change_status,
        "enterprise",
        None,
        looking_up(lambda text: args(text, "applied", YESTERDAY)),
        "looked_up",
    ),
    TextField(
        "enterprises.record_conditions.checked_by",
        en.record_conditions,
        "checked_by",
        CONDITION.checked_by,
        record_conditions,
    ),
    TextField(
        "enterprises.add_inspection.inspector",
        en.add_inspection,
        "inspector",
        INSPECTION.inspector,
        lambda engine, text: (args(new_enterprise(engine), YESTERDAY, text, []), returned),
    ),
    TextField("enterprises.add_inspection.item", en.add_inspection, "item", RECTIFICATION.item, inspection_item),
    TextField(
        "enterprises.close_rectification.verified_by",
        en.close_rectification,
        "verified_by",
        CLOSURE.verified_by,
        lambda engine, text: (args(new_rectification(engine), TODAY, text), returned),
    ),
    TextField(
        "enterprises.close_rectification.note",
        en.close_rectification,
        "note",
        CLOSURE.note,
        lambda engine, text: (args(new_rectification(engine), TODAY, "督查组王", text), returned),
    ),
    TextField(
        "briefing.save_note.text",
        briefing.save_note,
        "text",
        briefing.briefing_notes.c.text,
        lambda engine, text: (args(YESTERDAY, text), returned),
    ),
    TextField(
        "users.create_user.username",
        users.create_user,
        "username",
        USER.username,
        lambda engine, text: (args(text, "clerk", "s3cret-pass"), returned),
    ),
    TextField(
        "users.create_user.display_name",
        users.create_user,
        "display_name",
        USER.display_name,
        lambda engine, text: (args(unique("hostile"), "clerk", "s3cret-pass", text), returned),
    ),
    TextField(
        "users.create_user.password",
        users.create_user,
        "password",
        None,
        lambda engine, text: (args(unique("hostile"), "clerk", text), returned),
        "password",
    ),
    TextField(
        "users.issue_device_token.username",
        users.issue_device_token,
        "username",
        None,
        looking_up(lambda text: args(text)),
        "looked_up",
    ),
]
FIELDS_BY_NAME = {field.name: field for field in FIELDS}


# --- expected outcomes ------------------------------------------------------------------------------------------


def column_length(field: TextField) -> int | None:
    return None if field.column is None else getattr(field.column.type, "length", None)


def payloads(field: TextField) -> dict[str, str]:
    """The hostile texts for ``field``: the common ones, and texts of the column's length and one more."""
    length = column_length(field)
    if length is None:
        return PAYLOADS
    return {
        **PAYLOADS,
        f"{length}_chars_the_column_length": exact_length(length),
        f"{length + 1}_chars": exact_length(length + 1),
    }


def expected_outcome(field: TextField, text: str) -> str:
    """``stored``, ``refused`` or ``either`` (see the module docstring)."""
    if field.kind == "looked_up":
        return "refused"
    length = column_length(field)
    if length is not None:
        return "stored" if len(text) <= length else "refused"
    return "stored" if len(text) <= SHORT else "either"


def is_unique(column: sa.Column) -> bool:
    return bool(column.unique) or any(
        isinstance(constraint, sa.UniqueConstraint) and list(constraint.columns.keys()) == [column.name]
        for constraint in column.table.constraints
    )


def database_for(field: TextField) -> str:
    """Names only looked up get a database where no hostile name is ever stored; the fields of one unique column
    get one database each, so that a name stored by one field cannot clash with the same name in another."""
    if field.kind == "looked_up":
        return "looked_up"
    if field.column is not None and is_unique(field.column):
        same_column = [other.name for other in FIELDS if other.column is field.column]
        return f"unique_{same_column.index(field.name)}"
    return "shared"


@pytest.fixture(scope="module")
def stores(database_factory):
    """Databases by name, made on first use and shared by the module's cases."""
    engines: dict[str, Engine] = {}

    def store(name: str) -> Engine:
        if name not in engines:
            engines[name] = connect(database_factory.fresh_url())
        return engines[name]

    yield store
    for engine in engines.values():
        engine.dispose()


def state(engine: Engine) -> tuple[tuple, int]:
    """The row count of every table (a query that fails if any table is gone) and the newest audit id."""
    return snapshot(engine), data_version(engine)


def stored_text(engine: Engine, field: TextField, text: str, arguments: Arguments, row_id: object) -> str | None:
    if field.kind == "password":
        username = arguments[0][0]
        return text if users.authenticate(engine, username, text) is not None else None
    with engine.connect() as conn:
        return conn.execute(sa.select(field.column).where(field.column.table.c.id == row_id)).scalar_one()


def shown(text: str | None) -> str:
    """A text short enough for a failure message."""
    return repr(text) if text is None or len(text) <= 60 else f"{text[:40]!r}… ({len(text)} characters)"


# --- the test ---------------------------------------------------------------------------------------------------


def cases() -> list:
    params = []
    for field in FIELDS:
        for payload_name in payloads(field):
            params.append(pytest.param(field.name, payload_name, id=f"{field.name}-{payload_name}"))
    return params


@pytest.mark.parametrize(("field_name", "payload_name"), cases())
def test_hostile_text_is_stored_exactly_or_refused_naming_the_field(stores, admin, field_name, payload_name):
    field = FIELDS_BY_NAME[field_name]
    text = payloads(field)[payload_name]
    expected = expected_outcome(field, text)
    engine = stores(database_for(field))
    (positional, keywords), locate = field.call(engine, text)
    counts_before, audit_before = state(engine)

    try:
        result = perform(engine, admin, field.function, *positional, **keywords)
    except ValidationError as refusal:
        assert expected != "stored", f"{shown(text)} was refused: {refusal.messages('en')}"
        assert field.field in refusal.fields, refusal.messages("en")
        if field.kind != "looked_up":
            assert {error.key for error in refusal.errors if error.field == field.field} == {"error.too_long"}
        assert_explained(refusal.errors)
        assert state(engine) == (counts_before, audit_before), "a refused write changed the store"
        return

    assert expected != "refused", f"{shown(text)} was not refused"
    stored = stored_text(engine, field, text, (positional, keywords), locate(engine, result))
    matches = stored == text  # compared apart from the assert: pytest's diff of a million characters takes minutes
    assert matches, f"stored {shown(stored)} for {shown(text)}"
    counts_after, audit_after = state(engine)
    assert all(after >= before for after, before in zip(counts_after, counts_before, strict=True)), "a table lost rows"
    assert audit_after > audit_before, "the write was not audited"


def test_every_write_function_has_its_text_fields_here_or_takes_no_free_text():
    """A new write function (test_write_permissions finds them all) cannot slip past this file unnoticed."""
    from test_write_permissions import WRITES_BY_NAME

    without_text = {
        "checkpoints.set_checkpoint_active",
        "checkpoints.set_checkpoint_kind",
        "quarantine.set_site_capacity",
        "quarantine.set_site_active",
        "situation.set_risk_level",
        "db.put_setting",
        "users.set_active",
        "users.set_assignments",
        "users.unlock_account",
        "users.reset_password",
        "retention.set_retention_days",
        "retention.anonymise_people",
        "notify.set_channel_enabled",
        "notify.set_channel_language",
        "notify.set_rule",
        "notify.queue_test",
        "notify.queue_briefing_now",
    }
    # The batch paths check every row with the very function the single write uses (tests/test_transfer_batch.py
    # proves they store and refuse alike), so the single write's fields here cover them.
    checked_as = {
        "checkpoints.add_counts_batch": "checkpoints.add_count",
        "quarantine.add_followups_batch": "quarantine.add_followup",
        "quarantine.correct_followups": "quarantine.correct_followup",
        "supplies.add_movements_batch": "supplies.add_movement",
    }
    covered = {field.name.rsplit(".", 1)[0] for field in FIELDS}
    assert set(checked_as.values()) <= covered
    assert covered | without_text | set(checked_as) == set(WRITES_BY_NAME)


# --- direction controls in names ----------------------------------------------------------------------------------

NAME_FIELDS = [
    "checkpoints.add_checkpoint.name",
    "checkpoints.rename_checkpoint.name",
    "quarantine.add_site.name",
    "quarantine.rename_site.name",
    "quarantine.register.name",
    "supplies.add_item.name",
    "supplies.rename_item.name",
    "supplies.edit_item.name",
    "enterprises.add_enterprise.name",
    "enterprises.update_enterprise.name",
    "users.create_user.username",
    "users.create_user.display_name",
]
BIDI_CONTROLS = [*map(chr, range(0x202A, 0x202F)), *map(chr, range(0x2066, 0x206A)), "\u200e", "\u200f", "\u061c"]


@pytest.mark.parametrize("field_name", NAME_FIELDS)
def test_a_name_with_a_text_direction_control_is_refused_naming_the_field(stores, admin, field_name):
    """A right-to-left override makes "卡口\u202egpj.exe" read as another name in every list that shows it."""
    field = FIELDS_BY_NAME[field_name]
    engine = stores(database_for(field))
    for control in BIDI_CONTROLS:
        (positional, keywords), _ = field.call(engine, f"{unique('东门')}{control}卡口")
        before = state(engine)
        with pytest.raises(ValidationError) as refusal:
            perform(engine, admin, field.function, *positional, **keywords)
        assert [(error.field, error.key) for error in refusal.value.errors] == [(field.field, "error.bidi_control")]
        assert_explained(refusal.value.errors)
        for language in ("zh_CN", "en"):  # the message names the field in words
            assert translate(refusal.value.errors[0].label, language) in refusal.value.messages(language)[0]
        assert state(engine) == before, "a refused write changed the store"
