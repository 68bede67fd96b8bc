"""Accounts, roles and what each role may do (design §8).

Roles are enforced here, in the write functions, not only by hiding menu
items: a page that forgot a check still cannot let a leader write a count.
Passwords are stored as argon2 hashes and never leave this module: no audit
row, listing or export carries a hash. Repeated failed sign-ins for one
account are throttled twice over: each failure makes the next refusal slower,
and five failures from one address within five minutes lock that address out
of the account (twenty from any addresses lock everyone out) until the window
has passed or an administrator unlocks it. Locking by address keeps one
person at one desk from locking the administrator out at will. A failure
against a name that matches no account is kept without that name: it may be
a password typed into the wrong field.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy.engine import Connection, Engine

from data_layer import clock, settings
from data_layer.db import Actor, WriteContext, load_schema, metadata, write
from data_layer.permissions import require_admin
from data_layer.validation import Checks, as_id

ROLES = ("admin", "leader", "clerk", "wall")
DOMAINS = ("checkpoints", "quarantine", "supplies", "enterprises")
MAX_FAILED_SIGN_INS = 5  # from one source (address): that source is locked out of the account
MAX_FAILED_SIGN_INS_EVERY_SOURCE = 20  # from every source together: the account is locked for everyone
SIGN_IN_LOCKOUT = timedelta(minutes=5)
SIGN_IN_DELAY_PER_FAILURE = 0.5
SIGN_IN_DELAY_CAP = 3.0
MIN_PASSWORD_LENGTH = 8
SOURCE_LENGTH = 45  # the longest address stored with a failed sign-in: an IPv6 address written out in full
# The table of the units a clerk may be assigned in each domain (design §8): a checkpoint, a quarantine
# site, a supply item of the store, an enterprise.
UNIT_TABLES = {
    "checkpoints": "checkpoints",
    "quarantine": "quarantine_sites",
    "supplies": "supply_items",
    "enterprises": "enterprises",
}
HIDDEN_PASSWORD = "[hidden]"
NEW_PASSWORD = "[reset]"
SIGN_IN_ACTOR = Actor("sign-in", "wall")

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(100), nullable=False, unique=True),
    sa.Column("display_name", sa.String(100)),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("device_token_hash", sa.String(64)),
    sa.Index("ix_users_device_token_hash", "device_token_hash", unique=True),
)

user_assignments = sa.Table(
    "user_assignments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("domain", sa.String(20), nullable=False),
    sa.Column("unit_id", sa.Integer),
)

sign_in_failures = sa.Table(
    "sign_in_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(100)),  # the account; NULL when the typed name matched none
    sa.Column("source", sa.String(SOURCE_LENGTH)),  # the address signed in from; NULL for this machine
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_sign_in_failures_username_at", "username", "at"),
)

sign_in_unlocks = sa.Table(
    "sign_in_unlocks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("unlocked_by", sa.String(100), nullable=False),
    sa.Index("ix_sign_in_unlocks_username_at", "username", "at"),
)

signed_in_sessions = sa.Table(
    "signed_in_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),  # the hash of the browser's cookie, never the token
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("started_at", sa.DateTime, nullable=False),
    sa.Column("last_seen", sa.DateTime, nullable=False),
    sa.Column("ended_at", sa.DateTime),
    sa.Index("ix_signed_in_sessions_username", "username"),
)
SEEN_EVERY = timedelta(minutes=1)
"""How often a remembered session's last activity is written: the idle limit is minutes long, and a write per
page run would take the store's write lock for nothing."""

_hasher = PasswordHasher()


def issue_device_token(ctx: WriteContext, username: str, token: str | None = None) -> str:
    """A new device token for a wall-screen account, replacing any earlier one (which stops working).

    The token is what a wall screen's URL carries (``?device=…``) so that it
    signs in by itself after a restart; only its hash is stored, and the
    account it opens can do nothing but view the overview. ``token`` is given
    only by the sample command post, whose demo link the README prints.
    """
    require_admin(ctx.actor)
    checks = Checks("users")
    account = ctx.conn.execute(
        sa.select(users.c.id, users.c.role, users.c.device_token_hash).where(users.c.username == username)
    ).first()
    if account is None:
        checks.refuse("username", "error.unknown_name", value=username)
    if account.role != "wall":
        checks.refuse("username", "users.error.device_token_wall_only")
    token = token or secrets.token_urlsafe(24)
    ctx.conn.execute(users.update().where(users.c.id == account.id).values(device_token_hash=_token_hash(token)))
    ctx.audit(
        "user.device_token",
        users,
        account.id,
        before={"device_token": "revoked" if account.device_token_hash else None},
        after={"device_token": "issued"},
    )
    return token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for_device_token(engine: Engine, token: str) -> Actor | None:
    """The wall-screen account a device token opens, or ``None`` for an unknown token or a disabled account."""
    if not token:
        return None
    with engine.connect() as conn:
        username = conn.execute(
            sa.select(users.c.username).where(
                users.c.device_token_hash == _token_hash(token), users.c.role == "wall", users.c.active
            )
        ).scalar()
    return None if username is None else actor_for(engine, username)


def open_session(engine: Engine, who: Actor) -> str:
    """A new remembered session for ``who``, just signed in with their password: the token for the browser's
    cookie. Only its hash is stored, so a copy of the database opens no session."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    write(
        engine,
        who,
        lambda ctx: ctx.conn.execute(
            signed_in_sessions.insert().values(
                token_hash=_token_hash(token), username=who.username, started_at=now, last_seen=now
            )
        ),
    )
    return token


def actor_for_session(engine: Engine, token: str) -> Actor | None:
    """The account a remembered session opens, or ``None``: unknown, ended (signed out), idle for longer than
    ``COMMAND_POST_SESSION_MINUTES``, or its account disabled."""
    if not token:
        return None
    with engine.connect() as conn:
        session = conn.execute(
            sa.select(signed_in_sessions.c.username, signed_in_sessions.c.last_seen).where(
                signed_in_sessions.c.token_hash == _token_hash(token), signed_in_sessions.c.ended_at.is_(None)
            )
        ).first()
    if session is None or clock.now() - session.last_seen > timedelta(minutes=settings.SESSION_MINUTES.value()):
        return None
    return actor_for(engine, session.username)


def session_seen(engine: Engine, who: Actor, token: str) -> None:
    """Note activity in a remembered session (at most once a :data:`SEEN_EVERY`), for the idle limit."""
    now = clock.now()
    write(
        engine,
        who,
        lambda ctx: ctx.conn.execute(
            signed_in_sessions.update()
            .where(
                signed_in_sessions.c.token_hash == _token_hash(token),
                signed_in_sessions.c.ended_at.is_(None),
                signed_in_sessions.c.last_seen < now - SEEN_EVERY,
            )
            .values(last_seen=now)
        ),
    )


def end_session(engine: Engine, who: Actor, token: str) -> None:
    """End a remembered session (sign-out, idle sign-out): its cookie opens nothing any more, on any device."""
    write(
        engine,
        who,
        lambda ctx: ctx.conn.execute(
            signed_in_sessions.update()
            .where(signed_in_sessions.c.token_hash == _token_hash(token), signed_in_sessions.c.ended_at.is_(None))
            .values(ended_at=clock.now())
        ),
    )


def device_token_current(engine: Engine, username: str, token: str) -> bool:
    """Whether ``token`` is still ``username``'s device token and the account active: what an open wall screen
    asks at every refresh, so that a new token or a disabled account stops it (one look-up by the token's
    unique index)."""
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(users.c.username).where(users.c.device_token_hash == _token_hash(token), users.c.active)
        ).scalar()
    return found == username


def _check_password(checks: Checks, password: object) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        checks.fail("password", "error.password_too_short", minimum=MIN_PASSWORD_LENGTH)


def _public(account: Mapping[str, object]) -> dict[str, object]:
    """An account as an audit row may show it: every field but the password hash."""
    return {key: value for key, value in account.items() if key != "password_hash"}


def create_user(
    ctx: WriteContext,
    username: str,
    role: str,
    password: str,
    display_name: str | None = None,
    assignments: dict[str, list[int]] | None = None,
) -> int:
    """Create an account. ``assignments`` gives a clerk's domains and unit ids ([] = the whole domain)."""
    require_admin(ctx.actor)
    checks = Checks("users")
    name = checks.name(username, "username", max_length=100)
    shown_name = checks.name(display_name, "display_name", required=False, max_length=100)
    checks.choice(role, "role", ROLES)
    _check_password(checks, password)
    if name and ctx.conn.execute(sa.select(users.c.id).where(users.c.username == name)).first():
        checks.fail("username", "error.duplicate_name", value=name)
    for domain in assignments or {}:
        checks.choice(domain, "assignments", DOMAINS)
    checks.raise_if_any()
    account = {
        "username": name,
        "display_name": shown_name or name,
        "role": role,
        "active": True,
        "created_at": clock.now(),
    }
    user_id: int = ctx.conn.execute(
        users.insert().values(**account, password_hash=_hasher.hash(password)).returning(users.c.id)
    ).scalar_one()
    ctx.audit("user.add", users, user_id, after=account)
    for row in _assignment_rows(user_id, assignments or {}):
        ctx.insert(user_assignments, "user.assign", row)
    return user_id


def _assignment_rows(user_id: int, assignments: Mapping[str, list[int]]) -> list[dict[str, object]]:
    """The rows of ``user_assignments`` for domain → unit ids: one per unit, one without a unit for a whole
    domain ([])."""
    whole_domain: list[int | None] = [None]
    return [
        {"user_id": user_id, "domain": domain, "unit_id": unit_id}
        for domain, unit_ids in assignments.items()
        for unit_id in unit_ids or whole_domain
    ]


def _account(ctx: WriteContext, checks: Checks, user: object, *, lock: bool = False) -> sa.RowMapping | None:
    """The account named by its id (a number) or its username (a text), or ``None`` with the refusal recorded."""
    query = sa.select(users.c.id, users.c.username, users.c.role, users.c.active).where(
        users.c.id == as_id(user) if isinstance(user, int) else users.c.username == str(user).strip()
    )
    row = ctx.conn.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        checks.fail("username", "error.unknown_name", value=user)
    return row


def reset_password(ctx: WriteContext, user: int | str, password: str) -> None:
    """Give an account a new password (the administrator tells the user); the hash stays out of the audit row."""
    require_admin(ctx.actor)
    checks = Checks("users")
    found = _account(ctx, checks, user)
    _check_password(checks, password)
    account = checks.passed(found)
    ctx.conn.execute(users.update().where(users.c.id == account["id"]).values(password_hash=_hasher.hash(password)))
    ctx.audit(
        "user.reset_password",
        users,
        account["id"],
        before={"password": HIDDEN_PASSWORD},
        after={"password": NEW_PASSWORD},
    )


def _active_admins(conn: Connection) -> int:
    """How many administrators can sign in; their rows stay locked until the write ends, so two administrators
    disabling each other at the same moment cannot leave none (PostgreSQL; SQLite writes one at a time)."""
    query = sa.select(users.c.id).where(users.c.role == "admin", users.c.active).with_for_update()
    return len(conn.execute(query).all())


def set_active(ctx: WriteContext, user: int | str, active: bool) -> None:
    """Disable an account (it can no longer sign in; its history stays) or enable it again.

    An administrator cannot disable their own account, nor the last active
    administrator: someone must always be able to manage the accounts.
    """
    require_admin(ctx.actor)
    checks = Checks("users")
    found = _account(ctx, checks, user, lock=True)
    flag = checks.flag(active, "active")
    if found and flag is False and found["active"]:
        if found["username"] == ctx.actor.username:
            checks.fail("active", "users.error.disable_self")
        elif found["role"] == "admin" and _active_admins(ctx.conn) <= 1:
            checks.fail("active", "users.error.last_admin")
    account = checks.passed(found)
    if flag == account["active"]:
        return
    ctx.conn.execute(users.update().where(users.c.id == account["id"]).values(active=flag))
    if not flag:  # enabled again, the account signs in anew
        ctx.conn.execute(
            signed_in_sessions.update()
            .where(signed_in_sessions.c.username == account["username"], signed_in_sessions.c.ended_at.is_(None))
            .values(ended_at=clock.now())
        )
    ctx.audit(
        "user.enable" if flag else "user.disable",
        users,
        account["id"],
        before={"active": account["active"]},
        after={"active": flag},
    )


def _assignment_map(conn: Connection, user_id: int) -> dict[str, list[int]]:
    """A user's assignments as domain → sorted unit ids ([] = the whole domain)."""
    rows = conn.execute(
        sa.select(user_assignments.c.domain, user_assignments.c.unit_id).where(user_assignments.c.user_id == user_id)
    ).mappings()
    assigned: dict[str, list[int]] = {}
    for row in rows:
        assigned.setdefault(row["domain"], [])
        if row["unit_id"] is not None:
            assigned[row["domain"]].append(row["unit_id"])
    return {domain: sorted(ids) for domain, ids in sorted(assigned.items())}


def _checked_assignments(
    conn: Connection, checks: Checks, assignments: Mapping[str, Sequence[object]]
) -> dict[str, list[int]]:
    """The assignments with every domain known and every unit id an existing unit of its domain."""
    checked: dict[str, list[int]] = {}
    for domain, unit_ids in assignments.items():
        if checks.choice(domain, "assignments", DOMAINS) is None:
            continue
        ids = sorted({unit_id for unit_id in map(as_id, unit_ids) if unit_id is not None})
        bad = [unit for unit in unit_ids if as_id(unit) is None]
        units = load_schema().tables[UNIT_TABLES[domain]]
        query = sa.select(units.c.id).where(units.c.id.in_(ids))
        found: set[int] = set(conn.execute(query).scalars()) if ids else set()
        bad += [unit for unit in ids if unit not in found]
        for unit in bad:
            checks.fail("assignments", "users.error.unknown_unit", domain=domain, value=unit)
        checked[domain] = ids
    return checked


def set_assignments(ctx: WriteContext, user: int | str, assignments: Mapping[str, Sequence[object]]) -> None:
    """Replace what a clerk may enter for: domain → unit ids ([] = the whole domain; a domain left out is not
    assigned). One audit row holds the assignments before and after."""
    require_admin(ctx.actor)
    checks = Checks("users")
    found = _account(ctx, checks, user)
    wanted = _checked_assignments(ctx.conn, checks, assignments)
    account = checks.passed(found)
    before = _assignment_map(ctx.conn, account["id"])
    if before == wanted:
        return
    ctx.conn.execute(user_assignments.delete().where(user_assignments.c.user_id == account["id"]))
    rows = _assignment_rows(account["id"], wanted)
    if rows:
        ctx.conn.execute(user_assignments.insert(), rows)
    ctx.audit("user.assign", users, account["id"], before={"assignments": before}, after={"assignments": wanted})


def list_users(engine: Engine) -> list[dict]:
    """All accounts with their role and assignments (never the password hash)."""
    with engine.connect() as conn:
        accounts = conn.execute(
            sa.select(
                users.c.id, users.c.username, users.c.display_name, users.c.role, users.c.active, users.c.created_at
            ).order_by(users.c.username)
        ).mappings()
        result = [dict(account) for account in accounts]
        assigned = conn.execute(sa.select(user_assignments)).mappings().all()
    for account in result:
        account["assignments"] = sorted(
            f"{row['domain']}" + ("" if row["unit_id"] is None else f":{row['unit_id']}")
            for row in assigned
            if row["user_id"] == account["id"]
        )
    return result


def is_disabled(engine: Engine, username: str) -> bool:
    """Whether ``username`` is an account an administrator has disabled (accounts are never deleted)."""
    with engine.connect() as conn:
        active = conn.execute(sa.select(users.c.active).where(users.c.username == username)).scalar()
    return active is not None and not active


def actor_for(engine: Engine, username: str) -> Actor | None:
    """The :class:`Actor` of an active account, with its assignments."""
    with engine.connect() as conn:
        account = conn.execute(sa.select(users).where(users.c.username == username, users.c.active)).mappings().first()
        if account is None:
            return None
        assigned = _assignment_map(conn, account["id"])
    return Actor(
        account["username"], account["role"], tuple((domain, frozenset(ids)) for domain, ids in assigned.items())
    )


# Sign-in throttling ---------------------------------------------------------------------------------------------


def _is(column: sa.ColumnElement[str], value: str | None) -> sa.ColumnElement[bool]:
    """``column`` equals ``value``, where ``None`` (no account, or this machine's own address) matches NULL."""
    return column.is_(None) if value is None else column == value


def _counted_failures(since: datetime) -> sa.Select:
    """Failed sign-ins since ``since`` that no later unlock by an administrator has cleared."""
    cleared = sa.exists().where(
        sign_in_unlocks.c.username == sign_in_failures.c.username, sign_in_unlocks.c.at >= sign_in_failures.c.at
    )
    return sa.select(sign_in_failures.c.username, sign_in_failures.c.source, sign_in_failures.c.at).where(
        sign_in_failures.c.at >= since, ~cleared
    )


def _account_name(conn: Connection, typed: str, *, lock: bool = False) -> str | None:
    """The account ``typed`` names, or ``None``: failures against no account are kept without the typed text,
    which may be a password typed into the wrong field. ``lock`` holds the account's row until the transaction
    ends, so that sign-ins to one account are counted one after another (PostgreSQL; SQLite writes one at a
    time anyway)."""
    query = sa.select(users.c.username).where(users.c.username == typed)
    return conn.execute(query.with_for_update() if lock else query).scalar()


def _failure_counts(conn: Connection, account: str | None, source: str | None) -> tuple[int, int]:
    """The counted failures against ``account`` now: from ``source``, and from every source together."""
    recent = _counted_failures(clock.now() - SIGN_IN_LOCKOUT).where(_is(sign_in_failures.c.username, account))
    counted = recent.subquery()
    from_source = sa.func.count().filter(_is(counted.c.source, source))
    row = conn.execute(sa.select(from_source, sa.func.count()).select_from(counted)).one()
    return row[0], row[1]


def _locked(from_source: int, from_every_source: int) -> bool:
    """Whether failures this many lock the account for the source that made them, or for every source."""
    return from_source >= MAX_FAILED_SIGN_INS or from_every_source >= MAX_FAILED_SIGN_INS_EVERY_SOURCE


def sign_in_locked(engine: Engine, username: str, source: str | None = None) -> bool:
    """True while ``username`` may not sign in from ``source``: five failures from that source, or twenty from
    any sources, in the last few minutes."""
    with engine.connect() as conn:
        return _locked(*_failure_counts(conn, _account_name(conn, username), source))


def sign_in_delay(failures: int) -> float:
    """Seconds a refused sign-in waits before answering: longer with every failure, so guessing
    passwords gets slow long before the lock, yet a single typo costs half a second."""
    return min(SIGN_IN_DELAY_CAP, SIGN_IN_DELAY_PER_FAILURE * failures)


def _lock_ends(times: Sequence[datetime], threshold: int) -> datetime | None:
    """When a lock by ``times`` (counted failures, newest first) ends: when the threshold-th newest is
    five minutes old; ``None`` when there are too few failures to lock."""
    return times[threshold - 1] + SIGN_IN_LOCKOUT if len(times) >= threshold else None


def _account_lock(times_by_source: Mapping[str | None, list[datetime]]) -> dict | None:
    """An account's lock from its counted failures by source (each newest first), or ``None``."""
    every = sorted((at for times in times_by_source.values() for at in times), reverse=True)
    everywhere = _lock_ends(every, MAX_FAILED_SIGN_INS_EVERY_SOURCE)
    ends = {source: _lock_ends(times, MAX_FAILED_SIGN_INS) for source, times in times_by_source.items()}
    by_source = {source: until for source, until in ends.items() if until is not None}
    if everywhere is None and not by_source:
        return None
    return {
        "failures": len(every),
        "everywhere": everywhere is not None,
        "sources": sorted(by_source, key=lambda source: source or ""),
        "locked_until": max([*by_source.values(), *([everywhere] if everywhere else [])]),
    }


def locked_accounts(engine: Engine) -> list[dict]:
    """Who is locked out now: username, failures counted from every source, whether the lock holds for every
    source (``everywhere``) or only for the ``sources`` that failed five times (``None`` is this machine), and
    until when the longest of its locks lasts (the threshold-th newest failure's time plus the lockout)."""
    counted = _counted_failures(clock.now() - SIGN_IN_LOCKOUT).where(sign_in_failures.c.username.is_not(None))
    times: dict[str, dict[str | None, list[datetime]]] = {}
    with engine.connect() as conn:
        for row in conn.execute(counted.order_by(sign_in_failures.c.at.desc())):
            times.setdefault(row.username, {}).setdefault(row.source, []).append(row.at)
    locks = ((username, _account_lock(by_source)) for username, by_source in sorted(times.items()))
    return [{"username": username, **lock} for username, lock in locks if lock is not None]


def unlock_account(ctx: WriteContext, username: str) -> None:
    """Clear an account's counted failures, from every source, so that it may sign in at once (the failures
    stay on record)."""
    require_admin(ctx.actor)
    checks = Checks("users")
    name = checks.text(username, "username", max_length=100)
    checks.raise_if_any()
    now = clock.now()
    failures = ctx.conn.execute(
        sa.select(sa.func.count()).select_from(
            _counted_failures(now - SIGN_IN_LOCKOUT).where(sign_in_failures.c.username == name).subquery()
        )
    ).scalar_one()
    if not failures:
        checks.refuse("username", "users.error.not_locked", value=name)
    unlock = sign_in_unlocks.insert().values(username=name, at=now, unlocked_by=ctx.actor.username)
    unlock_id: int = ctx.conn.execute(unlock.returning(sign_in_unlocks.c.id)).scalar_one()
    ctx.audit(
        "user.unlock",
        sign_in_unlocks,
        unlock_id,
        before={"username": name, "failures": failures},
        after={"username": name, "failures": 0},
    )


def _settle_sign_in(ctx: WriteContext, typed: str, source: str | None, password_matched: bool) -> float | None:
    """Decide a sign-in whose password has been checked: ``None`` to let it in, else the seconds its refusal
    waits. The lock is checked and a failure counted in this one transaction, with the account's row held,
    so that a burst of guesses in parallel is counted exactly and nothing gets in once the lock is reached,
    not even the right password."""
    account = _account_name(ctx.conn, typed, lock=True)
    from_source, from_every_source = _failure_counts(ctx.conn, account, source)
    if _locked(from_source, from_every_source):
        return SIGN_IN_DELAY_CAP
    if password_matched:
        return None
    ctx.insert(sign_in_failures, "user.sign_in_failed", {"username": account, "source": source, "at": clock.now()})
    return sign_in_delay(from_every_source + 1)


def authenticate(
    engine: Engine, username: str, password: str, pause: Callable[[float], None] = time.sleep, source: str | None = None
) -> Actor | None:
    """The actor for a correct username and password, else ``None``.

    ``source`` is the address the sign-in comes from (``None`` for this
    machine). A refusal is counted and answered after :func:`sign_in_delay`
    seconds (``pause`` does the waiting; tests pass one that only records it).
    A locked or disabled account is refused even with the right password. The
    password is checked outside the deciding transaction (a hash costs a tenth
    of a second, which no writer should wait for), and not at all while the
    account is locked already.
    """
    typed = username.strip()[:100]
    source = source[:SOURCE_LENGTH] if source else None
    if sign_in_locked(engine, typed, source):
        pause(SIGN_IN_DELAY_CAP)
        return None
    with engine.connect() as conn:
        stored = conn.execute(
            sa.select(users.c.password_hash).where(users.c.username == typed, users.c.active)
        ).scalar()
    matched = stored is not None and _password_matches(stored, password)
    delay = write(engine, SIGN_IN_ACTOR, lambda ctx: _settle_sign_in(ctx, typed, source, matched))
    if delay is None:
        return actor_for(engine, typed)
    pause(delay)
    return None


def _password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False
