"""Accounts, roles and what each role may do (DESIGN §8).

Roles are enforced here, in the write functions, not only by hiding menu
items: a page that forgot a check still cannot let a leader write a count.
Passwords are stored as argon2 hashes; repeated failed sign-ins for one
account are throttled.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlalchemy.engine import Engine

from data_layer import clock
from data_layer.db import Actor, WriteContext, metadata
from data_layer.errors import PermissionDenied
from data_layer.validation import Checks

ROLES = ("admin", "leader", "clerk", "wall")
DOMAINS = ("checkpoints", "quarantine", "supplies", "enterprises")
MAX_FAILED_SIGN_INS = 5
SIGN_IN_LOCKOUT = timedelta(minutes=5)

users = sa.Table(
    "users", metadata,
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
    "user_assignments", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False, index=True),
    sa.Column("domain", sa.String(20), nullable=False),
    sa.Column("unit_id", sa.Integer),
)

sign_in_failures = sa.Table(
    "sign_in_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(100), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Index("ix_sign_in_failures_username_at", "username", "at"),
)

_hasher = PasswordHasher()


def require_write(actor: Actor, domain: str, unit_id: int | None = None) -> None:
    """Refuse unless ``actor`` may write entries of ``domain`` (for ``unit_id``, when given).

    Admins write everything; clerks write the domains they are assigned, and
    within a domain only their units when units are named; leaders and the
    wall screen write no entries.
    """
    if actor.role == "admin":
        return
    units = actor.units(domain) if actor.role == "clerk" else None
    if units is None or (units and unit_id is not None and unit_id not in units):
        raise PermissionDenied(f"action.write.{domain}")


def require_admin(actor: Actor) -> None:
    """Master data (checkpoints, sites, items, users) is the administrator's."""
    if actor.role != "admin":
        raise PermissionDenied("action.admin")


def shows_personal_numbers(actor: Actor) -> bool:
    """Whether ID and phone numbers may be shown unmasked: to administrators only (issue 9)."""
    return actor.role == "admin"


def shows_names(actor: Actor) -> bool:
    """Whether people's names may be shown: never on the wall screen, nor to anyone not signed in."""
    return actor.role in ("admin", "leader", "clerk")


def issue_device_token(ctx: WriteContext, username: str, token: str | None = None) -> str:
    """A new device token for a wall-screen account, replacing any earlier one (which stops working).

    The token is what a wall screen's URL carries (``?device=…``) so that it
    signs in by itself after a restart; only its hash is stored, and the
    account it opens can do nothing but view the overview. ``token`` is given
    only by the sample command post, whose demo link the README prints.
    """
    require_admin(ctx.actor)
    checks = Checks("users")
    account = ctx.conn.execute(sa.select(users.c.id, users.c.role, users.c.device_token_hash)
                               .where(users.c.username == username)).first()
    if account is None:
        checks.fail("username", "error.unknown_name", value=username)
    elif account.role != "wall":
        checks.fail("username", "users.error.device_token_wall_only")
    checks.raise_if_any()
    token = token or secrets.token_urlsafe(24)
    ctx.conn.execute(users.update().where(users.c.id == account.id).values(device_token_hash=_token_hash(token)))
    ctx.audit("user.device_token", users, account.id,
              before={"device_token": "revoked" if account.device_token_hash else None},
              after={"device_token": "issued"})
    return token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_for_device_token(engine: Engine, token: str) -> Actor | None:
    """The wall-screen account a device token opens, or ``None`` for an unknown token or a disabled account."""
    if not token:
        return None
    with engine.connect() as conn:
        username = conn.execute(sa.select(users.c.username).where(
            users.c.device_token_hash == _token_hash(token), users.c.role == "wall", users.c.active)).scalar()
    return None if username is None else actor_for(engine, username)


def create_user(ctx: WriteContext, username: str, role: str, password: str, display_name: str | None = None,
                assignments: dict[str, list[int]] | None = None) -> int:
    """Create an account. ``assignments`` gives a clerk's domains and unit ids ([] = the whole domain)."""
    require_admin(ctx.actor)
    checks = Checks("users")
    name = checks.text(username, "username", max_length=100)
    checks.choice(role, "role", ROLES)
    if password is None or len(password) < 8:
        checks.fail("password", "error.password_too_short", minimum=8)
    if name and ctx.conn.execute(sa.select(users.c.id).where(users.c.username == name)).first():
        checks.fail("username", "error.duplicate_name", value=name)
    for domain in assignments or {}:
        checks.choice(domain, "assignments", DOMAINS)
    checks.raise_if_any()
    user_id = ctx.insert(users, "user.add", {
        "username": name, "display_name": display_name or name, "role": role,
        "password_hash": _hasher.hash(password), "active": True, "created_at": clock.now(),
    })
    for domain, unit_ids in (assignments or {}).items():
        for unit_id in unit_ids or [None]:
            ctx.insert(user_assignments, "user.assign", {"user_id": user_id, "domain": domain, "unit_id": unit_id})
    return user_id


def list_users(engine: Engine) -> list[dict]:
    """All accounts with their role and assignments (never the password hash)."""
    with engine.connect() as conn:
        accounts = conn.execute(sa.select(users.c.id, users.c.username, users.c.display_name, users.c.role,
                                          users.c.active, users.c.created_at).order_by(users.c.username)).mappings()
        result = [dict(account) for account in accounts]
        assigned = conn.execute(sa.select(user_assignments)).mappings().all()
    for account in result:
        account["assignments"] = sorted(
            f"{row['domain']}" + ("" if row["unit_id"] is None else f":{row['unit_id']}")
            for row in assigned if row["user_id"] == account["id"])
    return result


def actor_for(engine: Engine, username: str) -> Actor | None:
    """The :class:`Actor` of an active account, with its assignments."""
    with engine.connect() as conn:
        account = conn.execute(sa.select(users).where(users.c.username == username, users.c.active)).mappings().first()
        if account is None:
            return None
        rows = conn.execute(sa.select(user_assignments.c.domain, user_assignments.c.unit_id)
                            .where(user_assignments.c.user_id == account["id"])).all()
    units: dict[str, set[int]] = {}
    for domain, unit_id in rows:
        units.setdefault(domain, set())
        if unit_id is not None:
            units[domain].add(unit_id)
    return Actor(account["username"], account["role"],
                 tuple(sorted((domain, frozenset(ids)) for domain, ids in units.items())))


def sign_in_locked(engine: Engine, username: str) -> bool:
    """True while an account has had too many failed sign-ins in the last few minutes."""
    since = clock.now() - SIGN_IN_LOCKOUT
    with engine.connect() as conn:
        failures = conn.execute(sa.select(sa.func.count()).select_from(sign_in_failures).where(
            sign_in_failures.c.username == username, sign_in_failures.c.at >= since)).scalar_one()
    return failures >= MAX_FAILED_SIGN_INS


def authenticate(engine: Engine, username: str, password: str) -> Actor | None:
    """The actor for a correct username and password, else ``None`` (and the failure is counted)."""
    if sign_in_locked(engine, username):
        return None
    with engine.connect() as conn:
        stored = conn.execute(sa.select(users.c.password_hash).where(
            users.c.username == username, users.c.active)).scalar()
    if stored is not None and _password_matches(stored, password):
        return actor_for(engine, username)
    with engine.begin() as conn:
        conn.execute(sign_in_failures.insert().values(username=username, at=clock.now()))
    return None


def _password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False
