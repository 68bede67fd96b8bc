"""Accounts: each administration write is the administrator's alone, audited without password hashes;
disabled and locked accounts cannot sign in; the last administrator cannot be disabled."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa

from data_layer import checkpoints, clock, users
from data_layer.db import Actor, perform
from data_layer.errors import PermissionDenied, ValidationError
from support import audit_rows

PASSWORD = "first-secret-1"
OTHER_ROLES = [
    Actor("leader-test", "leader"),
    Actor("clerk-test", "clerk", (("checkpoints", frozenset()),)),
    Actor("wall-test", "wall"),
]


def no_pause(_seconds: float) -> None:
    """Tests never sleep through the sign-in delay."""


def sign_in(
    engine, username: str, password: str, pauses: list[float] | None = None, source: str | None = None
) -> Actor | None:
    return users.authenticate(
        engine, username, password, pause=(pauses.append if pauses is not None else no_pause), source=source
    )


def stored_failures(engine) -> list[tuple]:
    """The failed sign-ins on record as (username, source), oldest first."""
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.select(users.sign_in_failures.c.username, users.sign_in_failures.c.source).order_by(
                    users.sign_in_failures.c.id
                )
            )
        ]


@pytest.fixture
def clerk_id(engine, admin) -> int:
    return perform(engine, admin, users.create_user, "zhang", "clerk", PASSWORD, None, {"checkpoints": []})


def audit_of(engine, action: str) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT before, after FROM audit_log WHERE action = :action ORDER BY id"), {"action": action}
        ).all()
    return [
        {"before": json.loads(row[0]) if row[0] else None, "after": json.loads(row[1]) if row[1] else None}
        for row in rows
    ]


def stored_hash(engine, username: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(users.users.c.password_hash).where(users.users.c.username == username)
        ).scalar_one()


def audit_text(engine) -> str:
    with engine.connect() as conn:
        return " ".join(
            str(value) for row in conn.execute(sa.text("SELECT before, after FROM audit_log")) for value in row
        )


# Each administration write: allowed for the administrator, refused for every other role ---------------------------


def admin_writes(user_id: int) -> list[tuple]:
    return [
        (users.reset_password, user_id, "second-secret-2"),
        (users.set_active, user_id, False),
        (users.set_assignments, user_id, {"supplies": []}),
        (users.unlock_account, "zhang"),
    ]


@pytest.mark.parametrize("who", OTHER_ROLES, ids=lambda actor: actor.role)
@pytest.mark.parametrize("position", range(4))
def test_account_administration_is_refused_to_other_roles_and_stores_nothing(engine, clerk_id, who, position):
    operation, *args = admin_writes(clerk_id)[position]
    before = audit_rows(engine)
    with pytest.raises(PermissionDenied):
        perform(engine, who, operation, *args)
    assert audit_rows(engine) == before
    assert sign_in(engine, "zhang", PASSWORD) is not None


def test_create_user_audits_the_account_without_its_password_hash(engine, clerk_id):
    [row] = audit_of(engine, "user.add")
    assert row["after"]["username"] == "zhang"
    assert "password_hash" not in row["after"]
    assert stored_hash(engine, "zhang") not in audit_text(engine)


def test_reset_password_lets_the_new_one_in_and_audits_no_hash(engine, admin, clerk_id):
    old_hash = stored_hash(engine, "zhang")
    perform(engine, admin, users.reset_password, clerk_id, "second-secret-2")
    assert sign_in(engine, "zhang", PASSWORD) is None
    assert sign_in(engine, "zhang", "second-secret-2").username == "zhang"
    [row] = audit_of(engine, "user.reset_password")
    assert row["before"] == {"password": users.HIDDEN_PASSWORD}
    assert row["after"] == {"password": users.NEW_PASSWORD}
    text = audit_text(engine)
    assert old_hash not in text and stored_hash(engine, "zhang") not in text


def test_reset_password_refuses_a_short_password_by_field(engine, admin, clerk_id):
    with pytest.raises(ValidationError) as refusal:
        perform(engine, admin, users.reset_password, clerk_id, "short")
    assert refusal.value.fields == ["password"]
    assert sign_in(engine, "zhang", PASSWORD) is not None


def test_disabled_user_cannot_sign_in_until_enabled_again(engine, admin, clerk_id):
    perform(engine, admin, users.set_active, clerk_id, False)
    assert sign_in(engine, "zhang", PASSWORD) is None
    assert users.actor_for(engine, "zhang") is None
    perform(engine, admin, users.set_active, "zhang", True)
    assert sign_in(engine, "zhang", PASSWORD).role == "clerk"
    assert [row["after"] for row in audit_of(engine, "user.disable") + audit_of(engine, "user.enable")] == [
        {"active": False},
        {"active": True},
    ]
    assert audit_of(engine, "user.disable")[0]["before"] == {"active": True}


def test_the_last_active_admin_cannot_be_disabled(engine, admin):
    boss = perform(engine, admin, users.create_user, "boss", "admin", PASSWORD)
    with pytest.raises(ValidationError) as refusal:
        perform(engine, admin, users.set_active, boss, False)
    assert refusal.value.messages("en") == ["Active: the last active administrator cannot be disabled"]
    assert sign_in(engine, "boss", PASSWORD) is not None


def test_an_admin_cannot_disable_their_own_account(engine, admin):
    perform(engine, admin, users.create_user, "boss", "admin", PASSWORD)
    perform(engine, admin, users.create_user, "deputy", "admin", PASSWORD)
    with pytest.raises(ValidationError) as refusal:
        perform(engine, Actor("boss", "admin"), users.set_active, "boss", False)
    assert refusal.value.fields == ["active"]
    perform(engine, Actor("boss", "admin"), users.set_active, "deputy", False)
    assert sign_in(engine, "deputy", PASSWORD) is None


def test_set_assignments_replaces_the_units_and_audits_before_and_after(engine, admin, clerk_id):
    gate = perform(engine, admin, checkpoints.add_checkpoint, {"name": "东门", "grid": "一网格", "kind": "road"})
    perform(engine, admin, users.set_assignments, clerk_id, {"checkpoints": [gate], "supplies": []})
    actor = users.actor_for(engine, "zhang")
    assert actor.units("checkpoints") == frozenset({gate})
    assert actor.units("supplies") == frozenset()
    assert actor.units("quarantine") is None
    [row] = audit_of(engine, "user.assign")[-1:]
    assert row["before"] == {"assignments": {"checkpoints": []}}
    assert row["after"] == {"assignments": {"checkpoints": [gate], "supplies": []}}


def test_set_assignments_refuses_unknown_units_and_domains_and_changes_nothing(engine, admin, clerk_id):
    before = audit_rows(engine)
    with pytest.raises(ValidationError) as refusal:
        perform(engine, admin, users.set_assignments, clerk_id, {"checkpoints": [999], "kitchen": []})
    assert refusal.value.fields == ["assignments", "assignments"]
    assert audit_rows(engine) == before
    assert users.actor_for(engine, "zhang").units("checkpoints") == frozenset()


# Throttling --------------------------------------------------------------------------------------------------------


def test_each_failure_makes_the_refusal_slower_up_to_a_cap(engine, clerk_id):
    pauses: list[float] = []
    for _ in range(4):
        sign_in(engine, "zhang", "wrong-password", pauses)
    assert pauses == [0.5, 1.0, 1.5, 2.0]
    assert users.sign_in_delay(100) == users.SIGN_IN_DELAY_CAP
    assert sign_in(engine, "zhang", PASSWORD, pauses) is not None
    assert len(pauses) == 4, "a correct password answers at once"


def test_five_failures_lock_the_account_visibly_until_an_admin_unlocks_it(engine, admin, clerk_id):
    for _ in range(users.MAX_FAILED_SIGN_INS):
        sign_in(engine, "zhang", "wrong-password")
    assert sign_in(engine, "zhang", PASSWORD) is None
    [locked] = users.locked_accounts(engine)
    assert locked["username"] == "zhang"
    assert locked["failures"] == users.MAX_FAILED_SIGN_INS
    assert clock.now() < locked["locked_until"] <= clock.now() + users.SIGN_IN_LOCKOUT
    assert len(audit_of(engine, "user.sign_in_failed")) == users.MAX_FAILED_SIGN_INS

    perform(engine, admin, users.unlock_account, "zhang")

    assert users.locked_accounts(engine) == []
    assert sign_in(engine, "zhang", PASSWORD).username == "zhang"
    [row] = audit_of(engine, "user.unlock")
    assert row["before"] == {"username": "zhang", "failures": users.MAX_FAILED_SIGN_INS}
    assert row["after"]["failures"] == 0


def test_the_lock_ends_by_itself_after_the_lockout(engine, clerk_id, monkeypatch):
    for _ in range(users.MAX_FAILED_SIGN_INS):
        sign_in(engine, "zhang", "wrong-password")
    later = clock.now() + users.SIGN_IN_LOCKOUT + users.SIGN_IN_LOCKOUT / 5
    monkeypatch.setattr(clock, "now", lambda: later)
    assert users.locked_accounts(engine) == []
    assert sign_in(engine, "zhang", PASSWORD) is not None


def test_unlocking_an_account_that_is_not_locked_is_refused(engine, admin, clerk_id):
    with pytest.raises(ValidationError) as refusal:
        perform(engine, admin, users.unlock_account, "zhang")
    assert refusal.value.fields == ["username"]


def test_thirty_guesses_in_parallel_are_counted_exactly_and_lock_after_five(engine, clerk_id):
    """Thirty sign-ins at the same moment, the right password among them: the lock is checked and each failure
    counted in one transaction, so exactly five failures are counted, the other guesses are refused unhashed,
    and the right password gets in only if it was decided before the lock (never after it)."""
    passwords = ["wrong-password"] * 29
    passwords.insert(20, PASSWORD)
    start = threading.Barrier(len(passwords))

    def guess(password: str) -> Actor | None:
        start.wait()
        return sign_in(engine, "zhang", password)

    with ThreadPoolExecutor(len(passwords)) as pool:
        results = list(pool.map(guess, passwords))

    assert stored_failures(engine) == [("zhang", None)] * users.MAX_FAILED_SIGN_INS
    assert len(audit_of(engine, "user.sign_in_failed")) == users.MAX_FAILED_SIGN_INS
    assert [result.username for result in results if result is not None] in ([], ["zhang"])
    assert all(result is None for result, password in zip(results, passwords, strict=True) if password != PASSWORD)
    assert users.sign_in_locked(engine, "zhang")
    assert sign_in(engine, "zhang", PASSWORD) is None, "the right password is refused while locked"


def test_five_failures_from_one_address_lock_only_that_address_out(engine, clerk_id):
    for _ in range(users.MAX_FAILED_SIGN_INS):
        sign_in(engine, "zhang", "wrong-password", source="10.0.0.66")
    assert sign_in(engine, "zhang", PASSWORD, source="10.0.0.66") is None
    assert sign_in(engine, "zhang", PASSWORD, source="10.0.0.7").username == "zhang"
    [locked] = users.locked_accounts(engine)
    assert (locked["username"], locked["sources"], locked["everywhere"]) == ("zhang", ["10.0.0.66"], False)


def test_twenty_failures_from_any_addresses_lock_the_account_everywhere(engine, admin, clerk_id):
    sources = [f"10.0.0.{n}" for n in range(users.MAX_FAILED_SIGN_INS_EVERY_SOURCE // users.MAX_FAILED_SIGN_INS)]
    for source in sources:
        for _ in range(users.MAX_FAILED_SIGN_INS):
            sign_in(engine, "zhang", "wrong-password", source=source)
    assert sign_in(engine, "zhang", PASSWORD, source="10.0.0.200") is None
    assert sign_in(engine, "zhang", PASSWORD) is None
    [locked] = users.locked_accounts(engine)
    assert locked["everywhere"] and locked["failures"] == users.MAX_FAILED_SIGN_INS_EVERY_SOURCE
    perform(engine, admin, users.unlock_account, "zhang")
    assert sign_in(engine, "zhang", PASSWORD, source="10.0.0.200").username == "zhang"


def test_a_name_that_matches_no_account_is_not_stored(engine, clerk_id):
    """A password typed into the name field by mistake must not stay in the store or the audit log."""
    pauses: list[float] = []
    sign_in(engine, "first-secret-1 ", "zhang", pauses, source="10.0.0.5")
    sign_in(engine, "zhang", "wrong-password", pauses, source="10.0.0.5")
    assert stored_failures(engine) == [(None, "10.0.0.5"), ("zhang", "10.0.0.5")]
    assert PASSWORD not in audit_text(engine)
    assert pauses == [0.5, 0.5], "a name that matches no account is answered like an account's first failure"
    assert users.locked_accounts(engine) == []


# Remembered sessions --------------------------------------------------------------------------------------------


def remembered(engine, clerk_id) -> tuple[str, Actor]:
    """A session opened by the clerk's sign-in with their password: the cookie's token and the clerk."""
    signed_in = sign_in(engine, "zhang", PASSWORD)
    return users.open_session(engine, signed_in), signed_in


def test_a_remembered_session_opens_its_account_and_only_its_hash_is_stored(engine, clerk_id):
    token, signed_in = remembered(engine, clerk_id)
    assert users.actor_for_session(engine, token) == signed_in
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.signed_in_sessions)).mappings().all()
    assert len(stored) == 1 and token not in json.dumps([dict(row) for row in stored], default=str)
    assert users.actor_for_session(engine, token + "x") is None


def test_a_remembered_session_ends_at_sign_out(engine, clerk_id):
    token, signed_in = remembered(engine, clerk_id)
    users.end_session(engine, signed_in, token)
    assert users.actor_for_session(engine, token) is None


def test_a_remembered_session_idle_past_the_limit_opens_nothing(engine, clerk_id, monkeypatch):
    monkeypatch.setenv("COMMAND_POST_SESSION_MINUTES", "30")
    token, signed_in = remembered(engine, clerk_id)
    opened = clock.now()
    monkeypatch.setattr(clock, "now", lambda: opened + timedelta(minutes=20))
    users.session_seen(engine, signed_in, token)  # active 20 minutes later
    monkeypatch.setattr(clock, "now", lambda: opened + timedelta(minutes=45))
    assert users.actor_for_session(engine, token) == signed_in
    monkeypatch.setattr(clock, "now", lambda: opened + timedelta(minutes=51))
    assert users.actor_for_session(engine, token) is None


def test_disabling_an_account_ends_its_remembered_sessions_for_good(engine, admin, clerk_id):
    token, _ = remembered(engine, clerk_id)
    perform(engine, admin, users.set_active, clerk_id, False)
    assert users.actor_for_session(engine, token) is None
    perform(engine, admin, users.set_active, clerk_id, True)
    assert users.actor_for_session(engine, token) is None
