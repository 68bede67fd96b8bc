"""The enterprises registry: finding an enterprise with its current status, its reopening checklist, the checks
of its master fields and status changes, and the writes that register it, edit it and change its status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock
from data_layer.db import Actor, MasterLookup, WriteContext, referenced_row
from data_layer.enterprises.day_tables import update_enterprise_status_days
from data_layer.enterprises.tables import (
    CONDITIONS,
    DEFAULT_STATUS,
    DOMAIN,
    KINDS,
    MASTER_FIELDS,
    REASONS,
    STATUSES,
    STATUSES_WITH_REASON,
    TRANSITIONS,
    CodeList,
    chinese_labels,
    conditions,
    enterprises,
    status_changes,
)
from data_layer.permissions import require_write
from data_layer.validation import Checks, is_blank

# --- reading the current state -----------------------------------------------------------------------------------


def _state_query() -> sa.Select:
    """What a lookup of an enterprise returns: its id and the status and date of its newest change."""
    newest = (
        sa.select(status_changes.c.id)
        .where(status_changes.c.enterprise_id == enterprises.c.id)
        .order_by(status_changes.c.id.desc())
        .limit(1)
        .correlate(enterprises)
        .scalar_subquery()
    )
    return sa.select(
        enterprises.c.id, status_changes.c.status, status_changes.c.effective_date.label("status_date")
    ).select_from(enterprises.outerjoin(status_changes, status_changes.c.id == newest))


ENTERPRISES = MasterLookup(enterprises, _state_query(), text_may_be_id=False)
"""Finds an enterprise with its current status, by id (forms) or by name (imports: a name never read as an id,
since an import registers an enterprise under a name it does not know)."""

# Built once: the lookups run for every write, and building a query costs more than running it.
CHECKLIST_QUERY = (
    sa.select(conditions.c.condition, conditions.c.met, conditions.c.checked_on, conditions.c.checked_by)
    .where(conditions.c.enterprise_id == sa.bindparam("enterprise_id"), conditions.c.checked_on <= sa.bindparam("day"))
    .order_by(conditions.c.checked_on, conditions.c.id)
)


def enterprise_state(conn: Connection, value: object, *, lock: bool = False) -> sa.RowMapping | None:
    """An enterprise given by id (forms) or by name (imports) with its current status, in one query.

    The row holds ``id`` and the ``status`` and ``status_date`` of the newest
    change (``None`` when it has none). ``lock`` holds the enterprise row until
    commit, so that two clerks changing one enterprise's status are serialized
    (on PostgreSQL; SQLite serializes every writer anyway).
    """
    return ENTERPRISES.find(conn, value, lock=lock)


def find_enterprise_id(conn: Connection, checks: Checks, value: object) -> int | None:
    """The id of the enterprise given by id or name, or a field error."""
    found = _find_enterprise(conn, checks, value)
    return found["id"] if found else None


def _find_enterprise(conn: Connection, checks: Checks, value: object, *, lock: bool = False) -> sa.RowMapping | None:
    """:func:`enterprise_state`, or a field error on ``enterprise`` when it is blank or unknown."""
    return referenced_row(checks, "enterprise", value, ENTERPRISES.finder(conn, lock=lock))


def checklist(conn: Connection, enterprise_id: int, as_of: date | None = None) -> dict[str, dict | None]:
    """The reopening checklist as it stood at the end of ``as_of`` (default today).

    For each condition the newest check dated on or before that day holds (by
    check date, then by entry order); a condition never checked maps to ``None``.
    """
    day = as_of or clock.today()
    rows = conn.execute(CHECKLIST_QUERY, {"enterprise_id": enterprise_id, "day": day}).mappings()
    latest: dict[str, dict | None] = dict.fromkeys(CONDITIONS)
    for row in rows:
        latest[row["condition"]] = dict(row)
    return latest


def missing_conditions(conn: Connection, enterprise_id: int, as_of: date | None = None) -> list[str]:
    """The conditions that keep an enterprise from reopening: never checked, or last found not met."""
    return [code for code, check in checklist(conn, enterprise_id, as_of).items() if not (check and check["met"])]


def enterprise_statuses(day: date | None) -> sa.Select:
    """Every enterprise counted on ``day`` with its status at the end of that day.

    The status is that of the newest change (max id, see the module docstring)
    dated on or before ``day``. An enterprise registered on or before ``day``
    with no change dated that early counts as not reopened, without a reason;
    :func:`add_enterprise` always writes a change dated no later than the
    registration, so this only covers rows loaded some other way. ``day=None``
    means the status now, with no date bound.
    """
    newest = sa.select(status_changes.c.enterprise_id, sa.func.max(status_changes.c.id).label("change_id"))
    if day is not None:
        newest = newest.where(status_changes.c.effective_date <= day)
    latest = newest.group_by(status_changes.c.enterprise_id).subquery("latest")
    query = sa.select(
        *enterprises.c,
        sa.func.coalesce(status_changes.c.status, DEFAULT_STATUS).label("status"),
        status_changes.c.effective_date.label("status_date"),
        status_changes.c.reason,
    ).select_from(
        enterprises.outerjoin(latest, latest.c.enterprise_id == enterprises.c.id).outerjoin(
            status_changes, status_changes.c.id == latest.c.change_id
        )
    )
    if day is not None:
        query = query.where(sa.or_(latest.c.change_id.is_not(None), enterprises.c.registered_on <= day))
    return query


# --- validation ------------------------------------------------------------------------------------------------


def master_values(
    conn: Connection,
    checks: Checks,
    data: Mapping[str, object],
    fields: Iterable[str],
    enterprise_id: int | None = None,
) -> dict[str, object]:
    """The enterprise fields named in ``fields``, parsed; a name must not belong to another enterprise."""
    parsers = {
        "name": lambda value: checks.name(value, "name", max_length=200),
        "kind": lambda value: checks.choice(value, "kind", KINDS, labels=chinese_labels(KINDS)),
        "sector": lambda value: checks.text(value, "sector", max_length=50),
        "grid": lambda value: checks.text(value, "grid", max_length=50),
        "address": lambda value: checks.text(value, "address", required=False, max_length=200),
        "employees": lambda value: checks.integer(value, "employees"),
        "contact": lambda value: checks.text(value, "contact", required=False, max_length=100),
    }
    values: dict[str, object] = {field: parsers[field](data.get(field)) for field in fields}
    name = values.get("name")
    if name:
        clash = enterprise_state(conn, name)
        if clash is not None and clash["id"] != enterprise_id:
            checks.fail("name", "error.duplicate_name", value=name)
    return values


def _reason(checks: Checks, status: str | None, value: object) -> str | None:
    """A reason code: required for not reopened and suspended, refused for the other statuses."""
    if status is not None and status not in STATUSES_WITH_REASON:
        if not is_blank(value):
            checks.fail("reason", f"{DOMAIN}.error.reason_not_applicable", statuses=CodeList(STATUSES_WITH_REASON))
        return None
    return checks.choice(value, "reason", REASONS, labels=chinese_labels(REASONS), required=status is not None)


def status_values(
    checks: Checks, status: object, status_date: object, reason: object
) -> tuple[str | None, date | None, str | None]:
    """A status, the date it took effect (not in the future) and its reason, parsed."""
    parsed_status = checks.choice(status, "status", STATUSES, labels=chinese_labels(STATUSES))
    parsed_date = checks.day(status_date, "status_date")
    return parsed_status, parsed_date, _reason(checks, parsed_status, reason)


def check_transition(
    conn: Connection, checks: Checks, state: sa.RowMapping, status: str | None, effective_date: date | None
) -> None:
    """The rules of a status change against the enterprise's current status (``state``).

    Only the moves of :data:`TRANSITIONS` are allowed; a change may not take
    effect before the current status did; and reopening (from applied, or again
    after a suspension) needs every condition of the checklist met as of the
    reopening date.
    """
    current = state["status"]
    if current is None:
        return
    if status is not None and status not in TRANSITIONS[current]:
        if current == "closed":
            checks.fail("status", f"{DOMAIN}.error.closed_for_good")
        else:
            checks.fail(
                "status",
                f"{DOMAIN}.error.transition_not_allowed",
                current=CodeList([current]),
                allowed=CodeList(TRANSITIONS[current]),
            )
    if effective_date is not None and effective_date < state["status_date"]:
        checks.fail("status_date", f"{DOMAIN}.error.before_current_status", date=state["status_date"].isoformat())
    if status == "reopened" and not checks.has_error("status") and not checks.has_error("status_date"):
        missing = missing_conditions(conn, state["id"], effective_date)
        if missing:
            checks.fail("status", f"{DOMAIN}.error.conditions_not_met", missing=CodeList(missing))


# --- writes ----------------------------------------------------------------------------------------------------


def _insert_change(
    ctx: WriteContext, enterprise_id: int, status: str, effective_date: date, reason: str | None, note: str | None
) -> int:
    update_enterprise_status_days(ctx.conn, enterprise_id, status, effective_date, reason)
    return ctx.insert(
        status_changes,
        f"{DOMAIN}.status",
        {
            "enterprise_id": enterprise_id,
            "status": status,
            "effective_date": effective_date,
            "reason": reason,
            "note": note,
            "changed_by": ctx.actor.username,
            "changed_at": clock.now(),
        },
    )


def require_register(actor: Actor) -> None:
    """Refuse unless ``actor`` may register new enterprises: the administrator and the clerks assigned the whole
    enterprise domain (the inspection team). A clerk assigned some enterprises works on those only; a new
    enterprise is none of them, so registering one is outside their assignment, as people at no site are
    outside that of a clerk of some quarantine sites."""
    require_write(actor, DOMAIN, whole_domain=True, action="action.write.register_enterprise")


def add_enterprise(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Register an enterprise or shop with the status it has now; returns its id.

    ``data`` holds name, kind, sector, grid, employees, optional address and
    contact, and the initial status with the date it took effect
    (``status_date``), a reason for not reopened or suspended, and an optional
    note. The initial status records how things stood before the registry knew
    the enterprise (for instance a reopened shop taken over from a paper
    ledger), so it may be any status; only later changes follow
    :data:`TRANSITIONS` and the checklist. Only those :func:`require_register` lets register may.
    """
    require_register(ctx.actor)
    checks = Checks(DOMAIN)
    values = master_values(ctx.conn, checks, data, MASTER_FIELDS)
    status, status_date, reason = status_values(checks, data.get("status"), data.get("status_date"), data.get("reason"))
    note = checks.text(data.get("note"), "note", required=False, max_length=2000)
    checked_status, checked_date = checks.passed(status), checks.passed(status_date)
    registered_on = clock.today()
    enterprise_id = ctx.insert(enterprises, f"{DOMAIN}.add", {**values, "registered_on": registered_on})
    _insert_change(ctx, enterprise_id, checked_status, checked_date, reason, note)
    return enterprise_id


def _apply_update(ctx: WriteContext, enterprise_id: int, values: Mapping[str, object]) -> bool:
    """Write the fields that differ from the stored row, auditing before and after; False when none differ."""
    stored = (
        ctx.conn.execute(
            sa.select(*(enterprises.c[field] for field in values)).where(enterprises.c.id == enterprise_id)
        )
        .mappings()
        .one()
    )
    changed = {field: value for field, value in values.items() if stored[field] != value}
    if not changed:
        return False
    ctx.conn.execute(enterprises.update().where(enterprises.c.id == enterprise_id).values(**changed))
    ctx.audit(
        f"{DOMAIN}.update",
        enterprises,
        enterprise_id,
        before={field: stored[field] for field in changed},
        after=changed,
    )
    return True


def update_enterprise(ctx: WriteContext, enterprise: int | str, changes: Mapping[str, object]) -> bool:
    """Change an enterprise's master fields (name, kind, sector, grid, address, employees, contact).

    Only the fields present in ``changes`` are touched; other keys are not
    enterprise fields and are ignored. Returns whether anything changed.
    """
    checks = Checks(DOMAIN)
    enterprise_id = find_enterprise_id(ctx.conn, checks, enterprise)
    require_write(ctx.actor, DOMAIN, enterprise_id)
    values = master_values(
        ctx.conn, checks, changes, [field for field in MASTER_FIELDS if field in changes], enterprise_id
    )
    return _apply_update(ctx, checks.passed(enterprise_id), values)


def change_status(
    ctx: WriteContext,
    enterprise: int | str,
    status: object,
    effective_date: object,
    reason: object = None,
    note: object = None,
) -> int:
    """Record a status change of an enterprise (see :func:`check_transition` for the rules); returns its id."""
    checks = Checks(DOMAIN)
    found = _find_enterprise(ctx.conn, checks, enterprise, lock=True)
    require_write(ctx.actor, DOMAIN, found["id"] if found else None)
    parsed_status, parsed_date, parsed_reason = status_values(checks, status, effective_date, reason)
    parsed_note = checks.text(note, "note", required=False, max_length=2000)
    if found is not None:
        check_transition(ctx.conn, checks, found, parsed_status, parsed_date)
    state = checks.passed(found)
    return _insert_change(
        ctx, state["id"], checks.passed(parsed_status), checks.passed(parsed_date), parsed_reason, parsed_note
    )
