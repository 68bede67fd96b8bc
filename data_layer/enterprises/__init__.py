"""The enterprises domain (DESIGN §4.4): reopening of enterprises and shops (复工复产).

An enterprise's status is never a field that gets overwritten: every change is
a row of ``enterprise_status_changes`` (who, when, why), and the status on a
report date D is the newest change that took effect on or before D. Reopening
conditions are an append-only list of checks in which the newest check of a
condition is the one that holds. Inspections open rectification items, which
are closed by an append-only closure row naming who verified the fix.

The status history of one enterprise only moves forward in time: a change may
not take effect before the current status did. So the newest change by id is
also the newest by effective date, which lets the figures find the status as of
D with one index-backed ``max(id)`` per enterprise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock
from data_layer.db import Actor, WriteContext, metadata
from data_layer.i18n import LANGUAGES, translate
from data_layer.permissions import require_write, shows_personal_numbers, unit_limit
from data_layer.privacy import mask_phone
from data_layer.search import contains, search_term
from data_layer.transfer import Column, Row, TransferKind
from data_layer.validation import Checks, as_id, is_blank, lookup_name

DOMAIN = "enterprises"
KINDS = ("enterprise", "shop")
STATUSES = ("not_reopened", "applied", "reopened", "suspended", "closed")
REASONS = ("workers_short", "ppe_short", "materials_short", "weak_demand", "sector_restricted", "other")
CONDITIONS = ("temperature_checks", "disinfection_twice_daily", "masks_for_staff", "entry_exit_register",
              "isolation_room", "ppe_reserve", "staff_health_register")
STATUSES_WITH_REASON = ("not_reopened", "suspended")
TRANSITIONS = {
    "not_reopened": ("applied", "closed"),
    "applied": ("reopened", "not_reopened", "closed"),
    "reopened": ("suspended", "closed"),
    "suspended": ("applied", "reopened", "closed"),
    "closed": (),
}
DEFAULT_STATUS = "not_reopened"
GROUPINGS = ("kind", "sector", "grid")
MASTER_FIELDS = ("name", "kind", "sector", "grid", "address", "employees", "contact")
REGISTRY_LIMIT = 200
PHONE_NUMBER = re.compile(r"\d{7,}")

enterprises = sa.Table(
    "enterprises", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("sector", sa.String(50), nullable=False),
    sa.Column("grid", sa.String(50), nullable=False),
    sa.Column("address", sa.String(200)),
    sa.Column("employees", sa.Integer, nullable=False),
    sa.Column("contact", sa.String(100)),
    sa.Column("registered_on", sa.Date, nullable=False),
    sa.UniqueConstraint("name", name="uq_enterprises_name"),
)

status_changes = sa.Table(
    "enterprise_status_changes", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("reason", sa.String(30)),
    sa.Column("note", sa.Text),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    sa.Index("ix_enterprise_status_changes_enterprise_id_effective_date_id", "enterprise_id", "effective_date", "id"),
    sa.Index("ix_enterprise_status_changes_changed_at", "changed_at"),
)

conditions = sa.Table(
    "enterprise_conditions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("condition", sa.String(40), nullable=False),
    sa.Column("met", sa.Boolean, nullable=False),
    sa.Column("checked_on", sa.Date, nullable=False),
    sa.Column("checked_by", sa.String(100), nullable=False),
    sa.Index("ix_enterprise_conditions_enterprise_id_checked_on", "enterprise_id", "checked_on"),
)

inspections = sa.Table(
    "inspections", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("inspector", sa.String(100), nullable=False),
    sa.Column("findings", sa.Text),
    sa.Index("ix_inspections_enterprise_id_date", "enterprise_id", "date"),
    sa.Index("ix_inspections_date", "date"),
)

rectifications = sa.Table(
    "rectifications", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("inspection_id", sa.Integer, sa.ForeignKey("inspections.id"), nullable=False),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Index("ix_rectifications_inspection_id", "inspection_id"),
    sa.Index("ix_rectifications_enterprise_id", "enterprise_id"),
)

rectification_closures = sa.Table(
    "rectification_closures", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rectification_id", sa.Integer, sa.ForeignKey("rectifications.id"), nullable=False),
    sa.Column("closed_on", sa.Date, nullable=False),
    sa.Column("verified_by", sa.String(100), nullable=False),
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("rectification_id", name="uq_rectification_closures_rectification_id"),
)


enterprise_status_days = sa.Table(
    "enterprise_status_days", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(30)),
    sa.Column("enterprises", sa.Integer, nullable=False),
    sa.Index("ix_enterprise_status_days_day_status_reason_enterprises", "day", "status", "reason", "enterprises"),
)
"""Derived from the status history, kept in the transaction of every registration and status change: how
many more (or fewer) enterprises hold a status with a reason from ``day`` on. The number holding it at the
end of D is the sum of its rows dated D or earlier, so the figures need not find every enterprise's newest
change. Two writers may each add a row for the same day and status; the sums stay right."""

rectification_days = sa.Table(
    "rectification_days", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("open", sa.Integer, nullable=False),
    sa.Column("overdue", sa.Integer, nullable=False),
    sa.Index("ix_rectification_days_day", "day"),
)
"""Derived like :data:`enterprise_status_days`, from inspections and closures: how many more (or fewer)
rectification items are open, and open past their deadline, from ``day`` on."""


# --- codes and their words -------------------------------------------------------------------------------------

def code_key(code: str) -> str:
    """The catalog key of a code's label (kinds, statuses, reasons and conditions share one namespace)."""
    return f"{DOMAIN}.code.{code}"


def chinese_labels(codes: Iterable[str]) -> dict[str, str]:
    """Chinese label → code, read from the zh_CN catalog so that the catalog stays the one source."""
    return {translate(code_key(code), "zh_CN"): code for code in codes}


class CodeList:
    """Codes named inside a refusal, shown in the reader's language.

    A message parameter cannot know the language it is shown in, so the catalog
    asks for it in the format spec: the zh_CN text writes ``{missing:zh_CN}`` and
    the English one ``{missing:en}``.
    """

    def __init__(self, codes: Iterable[str]):
        self.codes = tuple(codes)

    def __format__(self, language: str) -> str:
        language = language if language in LANGUAGES else "en"
        separator = "、" if language == "zh_CN" else ", "
        return separator.join(translate(code_key(code), language) for code in self.codes)

    def __str__(self) -> str:
        return format(self, "en")


# --- reading the current state -----------------------------------------------------------------------------------

def _state_query(by_id: bool, lock: bool) -> sa.Select:
    """The query behind :func:`_enterprise_state`, taking the id or name as the ``key`` parameter."""
    newest = (sa.select(status_changes.c.id).where(status_changes.c.enterprise_id == enterprises.c.id)
              .order_by(status_changes.c.id.desc()).limit(1).correlate(enterprises).scalar_subquery())
    key = enterprises.c.id if by_id else enterprises.c.name
    query = (sa.select(enterprises.c.id, status_changes.c.status, status_changes.c.effective_date.label("status_date"))
             .select_from(enterprises.outerjoin(status_changes, status_changes.c.id == newest))
             .where(key == sa.bindparam("key")))
    return query.with_for_update(of=enterprises) if lock else query


# Built once: the lookups run for every write, and building a query costs more than running it.
STATE_QUERIES = {(by_id, lock): _state_query(by_id, lock) for by_id in (True, False) for lock in (True, False)}
CHECKLIST_QUERY = (sa.select(conditions.c.condition, conditions.c.met, conditions.c.checked_on, conditions.c.checked_by)
                   .where(conditions.c.enterprise_id == sa.bindparam("enterprise_id"),
                          conditions.c.checked_on <= sa.bindparam("day"))
                   .order_by(conditions.c.checked_on, conditions.c.id))


def _enterprise_state(conn: Connection, value: object, *, lock: bool = False) -> sa.RowMapping | None:
    """An enterprise given by id (forms) or by name (imports) with its current status, in one query.

    The row holds ``id`` and the ``status`` and ``status_date`` of the newest
    change (``None`` when it has none). ``lock`` holds the enterprise row until
    commit, so that two clerks changing one enterprise's status are serialized
    (on PostgreSQL; SQLite serializes every writer anyway).
    """
    by_id = isinstance(value, int) and not isinstance(value, bool)
    key = as_id(value) if by_id else lookup_name(value)
    if key is None:
        return None
    return conn.execute(STATE_QUERIES[by_id, lock], {"key": key}).mappings().first()


def _enterprise_id(conn: Connection, checks: Checks, value: object) -> int | None:
    """The id of the enterprise given by id or name, or a field error."""
    found = _find_enterprise(conn, checks, value)
    return found["id"] if found else None


def _find_enterprise(conn: Connection, checks: Checks, value: object, *, lock: bool = False) -> sa.RowMapping | None:
    """:func:`_enterprise_state`, or a field error on ``enterprise`` when it is blank or unknown."""
    if is_blank(value):
        checks.fail("enterprise", "error.required")
        return None
    found = _enterprise_state(conn, value, lock=lock)
    if found is None:
        checks.fail("enterprise", "error.unknown_name", value=str(value))
    return found


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


# --- validation ------------------------------------------------------------------------------------------------

def _master_values(conn: Connection, checks: Checks, data: Mapping[str, object], fields: Iterable[str],
                   enterprise_id: int | None = None) -> dict[str, object]:
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
    values = {field: parsers[field](data.get(field)) for field in fields}
    name = values.get("name")
    if name:
        clash = _enterprise_state(conn, name)
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


def _status_values(checks: Checks, status: object, status_date: object,
                   reason: object) -> tuple[str | None, date | None, str | None]:
    """A status, the date it took effect (not in the future) and its reason, parsed."""
    parsed_status = checks.choice(status, "status", STATUSES, labels=chinese_labels(STATUSES))
    parsed_date = checks.day(status_date, "status_date")
    return parsed_status, parsed_date, _reason(checks, parsed_status, reason)


def _check_transition(conn: Connection, checks: Checks, state: sa.RowMapping, status: str | None,
                      effective_date: date | None) -> None:
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
            checks.fail("status", f"{DOMAIN}.error.transition_not_allowed", current=CodeList([current]),
                        allowed=CodeList(TRANSITIONS[current]))
    if effective_date is not None and effective_date < state["status_date"]:
        checks.fail("status_date", f"{DOMAIN}.error.before_current_status", date=state["status_date"].isoformat())
    if status == "reopened" and not checks.has_error("status") and not checks.has_error("status_date"):
        missing = missing_conditions(conn, state["id"], effective_date)
        if missing:
            checks.fail("status", f"{DOMAIN}.error.conditions_not_met", missing=CodeList(missing))


# --- writes ----------------------------------------------------------------------------------------------------

def _add_to_day(conn: Connection, table: sa.Table, day: date, key: Mapping[str, object],
                changes: Mapping[str, int]) -> None:
    """Add ``changes`` to the row of ``table`` for ``day`` and ``key`` (a new row when there is none yet)."""
    match = [table.c[name].is_(None) if value is None else table.c[name] == value for name, value in key.items()]
    row_id = conn.execute(sa.select(table.c.id).where(table.c.day == day, *match).limit(1)).scalar()
    if row_id is None:
        conn.execute(table.insert().values(day=day, **key, **changes))
    else:
        conn.execute(table.update().where(table.c.id == row_id)
                     .values(**{name: table.c[name] + change for name, change in changes.items()}))


def _count_status(conn: Connection, day: date, status: str, reason: str | None, change: int) -> None:
    _add_to_day(conn, enterprise_status_days, day, {"status": status, "reason": reason}, {"enterprises": change})


def _count_status_change(conn: Connection, enterprise_id: int, status: str, effective_date: date,
                         reason: str | None) -> None:
    """Move the enterprise in :data:`enterprise_status_days` from the status it holds (its newest change, or
    not reopened since its registration) to ``status`` from ``effective_date`` on; called before the change
    is stored. A change never takes effect before the current status did (:func:`_check_transition`), so
    from that date on the enterprise held its current status; a registration dated after the first
    change's date is superseded by it."""
    newest = conn.execute(sa.select(status_changes.c.status, status_changes.c.reason,
                                    status_changes.c.effective_date)
                          .where(status_changes.c.enterprise_id == enterprise_id)
                          .order_by(status_changes.c.id.desc()).limit(1)).first()
    if newest is None:
        registered_on = conn.execute(sa.select(enterprises.c.registered_on)
                                     .where(enterprises.c.id == enterprise_id)).scalar_one()
        newest = (DEFAULT_STATUS, None, registered_on)
    _count_status(conn, max(newest[2], effective_date), newest[0], newest[1], -1)
    _count_status(conn, effective_date, status, reason, 1)


def _overdue_from(inspected_on: date, deadline: date) -> date:
    """The first day an open item counts as overdue: past its deadline, and not before it was opened."""
    return max(inspected_on, deadline + timedelta(days=1))


def _count_rectification(conn: Connection, inspected_on: date, deadline: date, closed_on: date | None) -> None:
    """Count one rectification item in :data:`rectification_days`: opened (``closed_on`` None) or closed."""
    overdue_from = _overdue_from(inspected_on, deadline)
    if closed_on is None:
        _add_to_day(conn, rectification_days, inspected_on, {}, {"open": 1, "overdue": 0})
        _add_to_day(conn, rectification_days, overdue_from, {}, {"open": 0, "overdue": 1})
    else:
        _add_to_day(conn, rectification_days, closed_on, {}, {"open": -1, "overdue": 0})
        _add_to_day(conn, rectification_days, max(closed_on, overdue_from), {}, {"open": 0, "overdue": -1})


def _add_event(events: dict[tuple, int], key: tuple, change: int) -> None:
    events[key] = events.get(key, 0) + change


def _status_events(conn: Connection) -> dict[tuple[date, str, str | None], int]:
    """The rows of :data:`enterprise_status_days` as the registrations and changes stored so far make them,
    replayed in the order :func:`add_enterprise` and :func:`_count_status_change` count them."""
    events: dict[tuple[date, str, str | None], int] = {}
    held: dict[int, tuple[str, str | None, date]] = {}
    for enterprise_id, registered_on in conn.execute(sa.select(enterprises.c.id, enterprises.c.registered_on)):
        _add_event(events, (registered_on, DEFAULT_STATUS, None), 1)
        held[enterprise_id] = (DEFAULT_STATUS, None, registered_on)
    changes = conn.execute(sa.select(status_changes.c.enterprise_id, status_changes.c.status,
                                     status_changes.c.reason, status_changes.c.effective_date)
                           .order_by(status_changes.c.id))
    for enterprise_id, status, reason, day in changes:
        old_status, old_reason, since = held[enterprise_id]
        _add_event(events, (max(since, day), old_status, old_reason), -1)
        _add_event(events, (day, status, reason), 1)
        held[enterprise_id] = (status, reason, day)
    return events


def _rectification_events(conn: Connection) -> dict[tuple[date, str], int]:
    """The rows of :data:`rectification_days` as the inspections and closures stored so far make them."""
    events: dict[tuple[date, str], int] = {}
    query = (sa.select(inspections.c.date, rectifications.c.deadline, rectification_closures.c.closed_on)
             .select_from(rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id)
                          .outerjoin(rectification_closures,
                                     rectification_closures.c.rectification_id == rectifications.c.id)))
    for inspected_on, deadline, closed_on in conn.execute(query):
        overdue_from = _overdue_from(inspected_on, deadline)
        _add_event(events, (inspected_on, "open"), 1)
        _add_event(events, (overdue_from, "overdue"), 1)
        if closed_on is not None:
            _add_event(events, (closed_on, "open"), -1)
            _add_event(events, (max(closed_on, overdue_from), "overdue"), -1)
    return events


def rebuild_daily_figures(conn: Connection) -> None:
    """Compute :data:`enterprise_status_days` and :data:`rectification_days` afresh from the history: for
    the migration that adds them and for loaders that insert enterprises in bulk around the write functions
    (the district benchmark)."""
    conn.execute(enterprise_status_days.delete())
    conn.execute(rectification_days.delete())
    statuses = [{"day": day, "status": status, "reason": reason, "enterprises": count}
                for (day, status, reason), count in _status_events(conn).items() if count]
    if statuses:
        conn.execute(enterprise_status_days.insert(), statuses)
    items: dict[date, dict[str, int]] = {}
    for (day, figure), count in _rectification_events(conn).items():
        items.setdefault(day, {"open": 0, "overdue": 0})[figure] += count
    if items:
        conn.execute(rectification_days.insert(), [{"day": day, **counts} for day, counts in items.items()])


def _insert_change(ctx: WriteContext, enterprise_id: int, status: str, effective_date: date, reason: str | None,
                   note: str | None) -> int:
    _count_status_change(ctx.conn, enterprise_id, status, effective_date, reason)
    return ctx.insert(status_changes, f"{DOMAIN}.status", {
        "enterprise_id": enterprise_id, "status": status, "effective_date": effective_date, "reason": reason,
        "note": note, "changed_by": ctx.actor.username, "changed_at": clock.now(),
    })


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
    values = _master_values(ctx.conn, checks, data, MASTER_FIELDS)
    status, status_date, reason = _status_values(checks, data.get("status"), data.get("status_date"),
                                                 data.get("reason"))
    note = checks.text(data.get("note"), "note", required=False, max_length=2000)
    checks.raise_if_any()
    registered_on = clock.today()
    enterprise_id = ctx.insert(enterprises, f"{DOMAIN}.add", {**values, "registered_on": registered_on})
    _count_status(ctx.conn, registered_on, DEFAULT_STATUS, None, 1)
    _insert_change(ctx, enterprise_id, status, status_date, reason, note)
    return enterprise_id


def _apply_update(ctx: WriteContext, enterprise_id: int, values: Mapping[str, object]) -> bool:
    """Write the fields that differ from the stored row, auditing before and after; False when none differ."""
    stored = ctx.conn.execute(sa.select(*(enterprises.c[field] for field in values))
                              .where(enterprises.c.id == enterprise_id)).mappings().one()
    changed = {field: value for field, value in values.items() if stored[field] != value}
    if not changed:
        return False
    ctx.conn.execute(enterprises.update().where(enterprises.c.id == enterprise_id).values(**changed))
    ctx.audit(f"{DOMAIN}.update", enterprises, enterprise_id,
              before={field: stored[field] for field in changed}, after=changed)
    return True


def update_enterprise(ctx: WriteContext, enterprise: int | str, changes: Mapping[str, object]) -> bool:
    """Change an enterprise's master fields (name, kind, sector, grid, address, employees, contact).

    Only the fields present in ``changes`` are touched; other keys are not
    enterprise fields and are ignored. Returns whether anything changed.
    """
    checks = Checks(DOMAIN)
    enterprise_id = _enterprise_id(ctx.conn, checks, enterprise)
    require_write(ctx.actor, DOMAIN, enterprise_id)
    values = _master_values(ctx.conn, checks, changes, [field for field in MASTER_FIELDS if field in changes],
                            enterprise_id)
    checks.raise_if_any()
    return _apply_update(ctx, enterprise_id, values)


def change_status(ctx: WriteContext, enterprise: int | str, status: object, effective_date: object,
                  reason: object = None, note: object = None) -> int:
    """Record a status change of an enterprise (see :func:`_check_transition` for the rules); returns its id."""
    checks = Checks(DOMAIN)
    state = _find_enterprise(ctx.conn, checks, enterprise, lock=True)
    require_write(ctx.actor, DOMAIN, state["id"] if state else None)
    parsed_status, parsed_date, parsed_reason = _status_values(checks, status, effective_date, reason)
    parsed_note = checks.text(note, "note", required=False, max_length=2000)
    if state is not None:
        _check_transition(ctx.conn, checks, state, parsed_status, parsed_date)
    checks.raise_if_any()
    return _insert_change(ctx, state["id"], parsed_status, parsed_date, parsed_reason, parsed_note)


def record_conditions(ctx: WriteContext, enterprise: int | str, results: Mapping[str, object], checked_on: object,
                      checked_by: str | None = None) -> int:
    """Record a check of reopening conditions: ``results`` maps each checked condition to met or not.

    Conditions may be given by code or Chinese label, met as a flag. The checks
    are stored in one statement with one audit row (its row id is the
    enterprise's, its values list the new check ids); returns how many were stored.
    ``checked_by`` defaults to the acting user.
    """
    checks = Checks(DOMAIN)
    enterprise_id = _enterprise_id(ctx.conn, checks, enterprise)
    require_write(ctx.actor, DOMAIN, enterprise_id)
    day = checks.day(checked_on, "checked_on")
    checker = checks.text(checked_by or ctx.actor.username, "checked_by", max_length=100)
    if not results:
        checks.fail("conditions", "error.required")
    labels = chinese_labels(CONDITIONS)
    parsed = {checks.choice(code, "condition", CONDITIONS, labels=labels): checks.flag(met, "met")
              for code, met in results.items()}
    checks.raise_if_any()
    rows = [{"enterprise_id": enterprise_id, "condition": code, "met": met, "checked_on": day, "checked_by": checker}
            for code, met in parsed.items()]
    ids = ctx.conn.execute(conditions.insert().returning(conditions.c.id), rows).scalars().all()
    ctx.audit(f"{DOMAIN}.conditions", conditions, enterprise_id,
              after={"ids": ids, "checked_on": day, "checked_by": checker, "results": parsed})
    return len(ids)


def add_inspection(ctx: WriteContext, enterprise: int | str, date: object, inspector: object,
                   findings: Iterable[Mapping[str, object]]) -> int:
    """Record an inspection; each finding (``item`` and ``deadline``) opens one rectification item.

    The inspection's findings text lists the items, one a line. A deadline may
    lie in the future but not before the inspection. Returns the inspection id.
    """
    checks = Checks(DOMAIN)
    enterprise_id = _enterprise_id(ctx.conn, checks, enterprise)
    require_write(ctx.actor, DOMAIN, enterprise_id)
    day = checks.day(date, "date")
    who = checks.text(inspector, "inspector", max_length=100)
    items = []
    for number, finding in enumerate(findings, start=1):
        item = checks.text(finding.get("item"), "item", max_length=500)
        deadline = checks.day(finding.get("deadline"), "deadline", not_future=False)
        if day and deadline and deadline < day:
            checks.fail("deadline", f"{DOMAIN}.error.deadline_before_inspection", number=number, date=day.isoformat())
        items.append((item, deadline))
    checks.raise_if_any()
    inspection_id = ctx.insert(inspections, f"{DOMAIN}.inspection", {
        "enterprise_id": enterprise_id, "date": day, "inspector": who,
        "findings": "\n".join(item for item, _ in items) or None,
    })
    for item, deadline in items:
        ctx.insert(rectifications, f"{DOMAIN}.rectification", {
            "inspection_id": inspection_id, "enterprise_id": enterprise_id, "item": item, "deadline": deadline,
        })
        _count_rectification(ctx.conn, day, deadline, None)
    return inspection_id


def close_rectification(ctx: WriteContext, rectification_id: object, closed_on: object, verified_by: object,
                        note: object = None) -> int:
    """Close a rectification item once its fix was verified; returns the closure's id.

    The closing date lies between the inspection that opened the item and
    today; an item is closed once only.
    """
    checks = Checks(DOMAIN)
    item_id = checks.integer(rectification_id, "rectification", minimum=1, maximum=None)
    item = None
    if item_id is not None:
        item = ctx.conn.execute(
            sa.select(rectifications.c.enterprise_id, rectifications.c.deadline, inspections.c.date)
            .select_from(rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id))
            .where(rectifications.c.id == item_id).with_for_update(of=rectifications)).mappings().first()
        if item is None:
            checks.fail("rectification", "error.unknown_name", value=item_id)
    require_write(ctx.actor, DOMAIN, item["enterprise_id"] if item else None)
    day = checks.day(closed_on, "closed_on")
    verifier = checks.text(verified_by, "verified_by", max_length=100)
    text = checks.text(note, "note", required=False, max_length=2000)
    if item and day and day < item["date"]:
        checks.fail("closed_on", f"{DOMAIN}.error.closed_before_inspection", date=item["date"].isoformat())
    if item:
        closed = ctx.conn.execute(sa.select(rectification_closures.c.closed_on)
                                  .where(rectification_closures.c.rectification_id == item_id)).scalar()
        if closed is not None:
            checks.fail("rectification", f"{DOMAIN}.error.already_closed", date=closed.isoformat())
    checks.raise_if_any()
    closure_id = ctx.insert(rectification_closures, f"{DOMAIN}.rectification_closed", {
        "rectification_id": item_id, "closed_on": day, "verified_by": verifier, "note": text,
    })
    _count_rectification(ctx.conn, item["date"], item["deadline"], day)
    return closure_id


# --- figures ---------------------------------------------------------------------------------------------------

def _statuses(day: date | None) -> sa.Select:
    """Every enterprise counted on ``day`` with its status at the end of that day.

    The status is that of the newest change (max id, see the module docstring)
    dated on or before ``day``. An enterprise registered on or before ``day``
    with no change dated that early counts as not reopened, without a reason;
    :func:`add_enterprise` always writes a change dated no later than the
    registration, so this only covers rows loaded some other way. ``day=None``
    means the status now, with no date bound.
    """
    latest = sa.select(status_changes.c.enterprise_id, sa.func.max(status_changes.c.id).label("change_id"))
    if day is not None:
        latest = latest.where(status_changes.c.effective_date <= day)
    latest = latest.group_by(status_changes.c.enterprise_id).subquery("latest")
    query = (sa.select(*enterprises.c,
                       sa.func.coalesce(status_changes.c.status, DEFAULT_STATUS).label("status"),
                       status_changes.c.effective_date.label("status_date"), status_changes.c.reason)
             .select_from(enterprises.outerjoin(latest, latest.c.enterprise_id == enterprises.c.id)
                          .outerjoin(status_changes, status_changes.c.id == latest.c.change_id)))
    if day is not None:
        query = query.where(sa.or_(latest.c.change_id.is_not(None), enterprises.c.registered_on <= day))
    return query


def _rate(reopened: int, total: int) -> float:
    return round(reopened / total, 3) if total else 0.0


def figures(conn: Connection, day: date) -> dict:
    """The enterprises part of the daily briefing (DESIGN §6) for the end of ``day``.

    ``total`` counts enterprises whose status is anything but closed;
    ``reopen_rate`` is reopened / total to three decimals (0.0 with no
    enterprises); ``by_reason`` counts the reasons of the not reopened and
    suspended ones, every reason code present; ``rectifications_open`` are items
    opened on or before the day and not closed by its end, and
    ``rectifications_overdue`` those of them whose deadline is before the day
    (an item due on the day itself is not overdue yet). ``closed`` is added.
    Both are read from the per-day tables (:data:`enterprise_status_days`,
    :data:`rectification_days`), so the time it takes does not grow with the
    number of enterprises or inspections.
    """
    by_status = dict.fromkeys(STATUSES, 0)
    by_reason = dict.fromkeys(REASONS, 0)
    for status, reason, count in _held_on(conn, day):
        by_status[status] += count
        if status in STATUSES_WITH_REASON and reason in by_reason:
            by_reason[reason] += count
    total = sum(by_status.values()) - by_status["closed"]
    open_items, overdue_items = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(rectification_days.c.open), 0),
                  sa.func.coalesce(sa.func.sum(rectification_days.c.overdue), 0))
        .where(rectification_days.c.day <= day)).one()
    return {
        "total": total, "reopened": by_status["reopened"], "reopen_rate": _rate(by_status["reopened"], total),
        "applied": by_status["applied"], "not_reopened": by_status["not_reopened"],
        "suspended": by_status["suspended"], "closed": by_status["closed"], "by_reason": by_reason,
        "rectifications_open": open_items, "rectifications_overdue": overdue_items,
    }


def reopen_rates(conn: Connection, day: date, by: str) -> list[dict]:
    """Reopening per kind, sector or grid at the end of ``day``, the laggards first.

    Each row: ``group``, ``total`` (not closed), ``reopened``, ``lagging``
    (total − reopened: applied, not reopened or suspended) and ``reopen_rate``;
    sorted by rate (lowest first), then by the number lagging.
    """
    if by not in GROUPINGS:
        raise ValueError(f"reopen rates are grouped by one of {GROUPINGS}, not {by!r}")
    return reopen_rates_by_grouping(conn, day, (by,))[by]


def reopen_rates_by_grouping(conn: Connection, day: date, groupings: tuple[str, ...] = GROUPINGS
                             ) -> dict[str, list[dict]]:
    """:func:`reopen_rates` for each of ``groupings`` at once: one statement, in which the statuses at the end
    of ``day`` are worked out once for all the groupings (a page shows all three side by side)."""
    current = _statuses(day).cte("current")
    reopened = sa.func.sum(sa.case((current.c.status == "reopened", 1), else_=0))
    parts = [sa.select(sa.literal(by, sa.String).label("grouping"), current.c[by].label("name"),
                       sa.func.count().label("total"), reopened.label("reopened"))
             .where(current.c.status != "closed").group_by(current.c[by]) for by in groupings]
    found: dict[str, list[dict]] = {by: [] for by in groupings}
    for by, name, total, reopened_count in conn.execute(sa.union_all(*parts) if len(parts) > 1 else parts[0]):
        found[by].append({"group": name, "total": total, "reopened": reopened_count,
                          "lagging": total - reopened_count, "reopen_rate": _rate(reopened_count, total)})
    return {by: sorted(rows, key=lambda row: (row["reopen_rate"], -row["lagging"], row["group"]))
            for by, rows in found.items()}


def _status_spans(since: date) -> sa.CTE:
    """Each stretch of days an enterprise held one status: from ``starts`` up to, not including, ``ends``;
    only for the enterprises whose status may have changed from ``since`` on (a change dated then or later,
    or registered then or later).

    A change lasts until the enterprise's next change (``ends`` is null for the
    current status); two changes on one day leave the earlier an empty span. An
    enterprise registered before its first change is not reopened in between,
    matching :func:`_statuses`.
    """
    changed = sa.select(status_changes.c.enterprise_id).where(status_changes.c.effective_date >= since)
    registered = sa.select(enterprises.c.id).where(enterprises.c.registered_on >= since)
    affected = sa.union(changed, registered)
    following = sa.func.lead(status_changes.c.effective_date).over(
        partition_by=status_changes.c.enterprise_id, order_by=(status_changes.c.effective_date, status_changes.c.id))
    changes = (sa.select(status_changes.c.status, status_changes.c.effective_date.label("starts"),
                         following.label("ends"))
               .where(status_changes.c.enterprise_id.in_(affected)))
    first = (sa.select(status_changes.c.enterprise_id, sa.func.min(status_changes.c.effective_date).label("first_date"))
             .where(status_changes.c.enterprise_id.in_(affected))
             .group_by(status_changes.c.enterprise_id).subquery("first_change"))
    before_first = (sa.select(sa.literal(DEFAULT_STATUS, sa.String), enterprises.c.registered_on, first.c.first_date)
                    .select_from(enterprises.outerjoin(first, first.c.enterprise_id == enterprises.c.id))
                    .where(enterprises.c.id.in_(affected),
                           sa.or_(first.c.first_date.is_(None), first.c.first_date > enterprises.c.registered_on)))
    return sa.union_all(changes, before_first).cte("spans")


def _held_on(conn: Connection, day: date) -> list[tuple[str, str | None, int]]:
    """How many enterprises hold each status, with each reason, at the end of ``day`` (closed ones included),
    summed from :data:`enterprise_status_days` so that the cost follows the days, not the enterprises."""
    held = enterprise_status_days
    return [tuple(row) for row in conn.execute(
        sa.select(held.c.status, held.c.reason, sa.func.sum(held.c.enterprises))
        .where(held.c.day <= day).group_by(held.c.status, held.c.reason))]


def _status_counts(conn: Connection, day: date) -> dict[str, int]:
    """How many enterprises hold each status at the end of ``day`` (closed ones included)."""
    counts: dict[str, int] = {}
    for status, _reason, count in _held_on(conn, day):
        counts[status] = counts.get(status, 0) + count
    return counts


def reopen_trend(conn: Connection, end_day: date, days: int = 30) -> list[dict]:
    """Total, reopened and reopen rate at the end of each of the ``days`` days ending ``end_day``, oldest first.

    The statuses at the end of the day before the first are counted as :func:`figures` counts them; then each
    status span of an enterprise whose status moved within the period adds one to its status on the day it
    starts and takes one away on the day it ends. Only the enterprises that changed are walked, so the cost
    follows the period's changes rather than every change ever recorded, and each day gets the same numbers as
    :func:`figures`.
    """
    first = end_day - timedelta(days=days - 1)
    spans = _status_spans(first)
    steps = sa.union_all(
        sa.select(spans.c.status, spans.c.starts.label("day"), sa.literal(1).label("step")),
        sa.select(spans.c.status, spans.c.ends, sa.literal(-1)).where(spans.c.ends.is_not(None)),
    ).subquery("steps")
    rows = conn.execute(sa.select(steps.c.day, steps.c.status, sa.func.sum(steps.c.step))
                        .where(steps.c.day.between(first, end_day))
                        .group_by(steps.c.day, steps.c.status)).all()
    changes: dict[date, dict[str, int]] = {}
    for day, status, step in rows:
        changes.setdefault(day, {})[status] = step
    running = _status_counts(conn, first - timedelta(days=1))
    trend = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        for status, step in changes.get(day, {}).items():
            running[status] = running.get(status, 0) + step
        reopened = running.get("reopened", 0)
        total = sum(running.values()) - running.get("closed", 0)
        trend.append({"date": day, "total": total, "reopened": reopened, "reopen_rate": _rate(reopened, total)})
    return trend


def _rectification_list(day: date, overdue_only: bool, limit: int | None, search: str | None) -> sa.Select:
    closed = sa.and_(rectification_closures.c.rectification_id == rectifications.c.id,
                     rectification_closures.c.closed_on <= day)
    query = (sa.select(rectifications.c.id, enterprises.c.name.label("enterprise"), enterprises.c.grid,
                       rectifications.c.item, inspections.c.date.label("inspected_on"), inspections.c.inspector,
                       rectifications.c.deadline)
             .select_from(rectifications.join(inspections, inspections.c.id == rectifications.c.inspection_id)
                          .join(enterprises, enterprises.c.id == rectifications.c.enterprise_id)
                          .outerjoin(rectification_closures, closed))
             .where(inspections.c.date <= day, rectification_closures.c.id.is_(None))
             .order_by(rectifications.c.deadline, rectifications.c.id).limit(limit))
    term = search_term(search)
    if term:
        query = query.where(sa.or_(contains(enterprises.c.name, term), contains(rectifications.c.item, term)))
    return query.where(rectifications.c.deadline < day) if overdue_only else query


def open_rectifications(conn: Connection, day: date, limit: int | None = None,
                        search: str | None = None) -> list[dict]:
    """Rectification items open at the end of ``day``, the earliest deadline first, with days overdue (≥ 0).

    ``limit`` keeps the first ones only (a district has thousands open; how many in all is
    ``figures()["rectifications_open"]``); ``search`` keeps the items whose enterprise or text contains it.
    """
    return [{**row, "days_overdue": max(0, (day - row["deadline"]).days)}
            for row in conn.execute(_rectification_list(day, False, limit, search)).mappings()]


def overdue_rectifications(conn: Connection, day: date, limit: int | None = None) -> list[dict]:
    """Open items whose deadline is before ``day``, the most overdue first: the alert list of the wall screen.

    ``limit`` keeps the first ones only; how many in all is ``figures()["rectifications_overdue"]``.
    """
    return [{**row, "days_overdue": (day - row["deadline"]).days}
            for row in conn.execute(_rectification_list(day, True, limit, None)).mappings()]


def inspection_items(conn: Connection, inspection_id: int) -> list[dict]:
    """The rectification items one inspection opened, in finding order, with their closure if any."""
    query = (sa.select(rectifications.c.id, rectifications.c.item, rectifications.c.deadline,
                       rectification_closures.c.closed_on, rectification_closures.c.verified_by)
             .select_from(rectifications.outerjoin(
                 rectification_closures, rectification_closures.c.rectification_id == rectifications.c.id))
             .where(rectifications.c.inspection_id == inspection_id).order_by(rectifications.c.id))
    return [dict(row) for row in conn.execute(query).mappings()]


def present_contact(contact: str | None, actor: Actor | None) -> str | None:
    """The contact as ``actor`` may see it: the phone numbers in it masked for leaders, the wall screen and
    callers that name no actor (the contact is free text such as ``王芳 13800001234``)."""
    if not contact or (actor is not None and shows_personal_numbers(actor)):
        return contact
    return PHONE_NUMBER.sub(lambda match: mask_phone(match.group(0)), contact)


def _registry_query(day: date, search: str | None, statuses: Iterable[str] | None,
                    actor: Actor | None) -> sa.Select:
    """The enterprises of :func:`registry`, unordered and unlimited.

    A clerk assigned to named enterprises sees those only; ``statuses`` keeps
    the enterprises whose status at the end of ``day`` is one of them.
    """
    current = _statuses(day).subquery("current")
    query = sa.select(current)
    term = search_term(search)
    if term:
        fields = ("name", "sector", "grid", "address")
        query = query.where(sa.or_(*(contains(current.c[field], term) for field in fields)))
    if statuses:
        query = query.where(current.c.status.in_(list(statuses)))
    units = unit_limit(actor, DOMAIN)
    if units is not None:
        query = query.where(current.c.id.in_(sorted(units)))
    return query


def registry(conn: Connection, day: date, search: str | None = None, limit: int = REGISTRY_LIMIT,
             statuses: tuple[str, ...] | None = None, actor: Actor | None = None) -> list[dict]:
    """Enterprises with their status at the end of ``day``, by name; ``search`` matches name, sector, grid or
    address (case-insensitive substring), ``statuses`` narrows to those statuses.

    The contact's phone number is masked unless ``actor`` may see personal numbers.
    """
    query = _registry_query(day, search, statuses, actor)
    ordered = query.order_by(query.selected_columns.name).limit(limit)
    return [{**row, "contact": present_contact(row["contact"], actor)} for row in conn.execute(ordered).mappings()]


def registry_count(conn: Connection, day: date, search: str | None = None, statuses: tuple[str, ...] | None = None,
                   actor: Actor | None = None) -> int:
    """How many enterprises :func:`registry` would list without its limit."""
    found = _registry_query(day, search, statuses, actor).subquery("found")
    return conn.execute(sa.select(sa.func.count()).select_from(found)).scalar_one()


def enterprise_inspections(conn: Connection, enterprise_id: int) -> list[dict]:
    """One enterprise's inspections, the newest first, with how many items each opened and how many are open."""
    closed = rectification_closures.c.id.is_not(None)
    query = (sa.select(inspections.c.id, inspections.c.date, inspections.c.inspector, inspections.c.findings,
                       sa.func.count(rectifications.c.id).label("items"),
                       sa.func.coalesce(sa.func.sum(sa.case((sa.and_(rectifications.c.id.is_not(None),
                                                                       sa.not_(closed)), 1), else_=0)), 0)
                       .label("open_items"))
             .select_from(inspections.outerjoin(rectifications, rectifications.c.inspection_id == inspections.c.id)
                          .outerjoin(rectification_closures,
                                     rectification_closures.c.rectification_id == rectifications.c.id))
             .where(inspections.c.enterprise_id == enterprise_id)
             .group_by(inspections.c.id, inspections.c.date, inspections.c.inspector, inspections.c.findings)
             .order_by(inspections.c.date.desc(), inspections.c.id.desc()))
    return [dict(row) for row in conn.execute(query).mappings()]


def inspection_record(conn: Connection, inspection_id: int) -> dict | None:
    """One inspection with the enterprise it inspected (name, kind, sector, grid, address), or ``None``."""
    query = (sa.select(inspections.c.id, inspections.c.date, inspections.c.inspector, inspections.c.findings,
                       enterprises.c.id.label("enterprise_id"), enterprises.c.name.label("enterprise"),
                       enterprises.c.kind, enterprises.c.sector, enterprises.c.grid, enterprises.c.address)
             .select_from(inspections.join(enterprises, enterprises.c.id == inspections.c.enterprise_id))
             .where(inspections.c.id == inspection_id))
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def status_history(conn: Connection, enterprise_id: int) -> list[dict]:
    """Every status change of one enterprise, oldest first, with who made it and why."""
    query = (sa.select(status_changes.c.id, status_changes.c.status, status_changes.c.effective_date,
                       status_changes.c.reason, status_changes.c.note, status_changes.c.changed_by,
                       status_changes.c.changed_at)
             .where(status_changes.c.enterprise_id == enterprise_id).order_by(status_changes.c.id))
    return [dict(row) for row in conn.execute(query).mappings()]


# --- import and export -----------------------------------------------------------------------------------------

IMPORT_FIELDS = ("kind", "sector", "grid", "employees")


def _import_row(ctx: WriteContext, row: Row) -> int:
    """Store one ``enterprises`` import row; returns the enterprise id.

    A new name registers the enterprise with the row's status. A known name
    updates kind, sector, grid and employees where they differ, and adds a
    status change (dated ``status_date``, under the usual rules) only when the
    row's status differs from the current one; the same status with another
    date or reason changes nothing, so importing an export again is a no-op.
    """
    state = None if is_blank(row.get("name")) else _enterprise_state(ctx.conn, row["name"], lock=True)
    if state is None:
        return add_enterprise(ctx, row)
    require_write(ctx.actor, DOMAIN, state["id"])
    checks = Checks(DOMAIN)
    values = _master_values(ctx.conn, checks, row, IMPORT_FIELDS, state["id"])
    status, status_date, reason = _status_values(checks, row.get("status"), row.get("status_date"), row.get("reason"))
    differs = status is not None and state["status"] != status
    if differs:
        _check_transition(ctx.conn, checks, state, status, status_date)
    checks.raise_if_any()
    _apply_update(ctx, state["id"], values)
    if differs:
        _insert_change(ctx, state["id"], status, status_date, reason, None)
    return state["id"]


def _export_rows(conn: Connection) -> Iterator[Row]:
    """Every enterprise with its current status, in registration order, as an import reads it."""
    current = _statuses(None).subquery("current")
    query = sa.select(current.c.name, current.c.kind, current.c.sector, current.c.grid, current.c.employees,
                      current.c.status, current.c.status_date, current.c.reason).order_by(current.c.id)
    for row in conn.execute(query).mappings():
        yield dict(row)


TRANSFER_KINDS = (
    TransferKind(
        name="enterprises",
        columns=(Column("name", "名称"), Column("kind", "类型"), Column("sector", "行业"), Column("grid", "网格"),
                 Column("employees", "员工人数"), Column("status", "状态"), Column("status_date", "状态日期"),
                 Column("reason", "原因")),
        add_row=_import_row,
        read_rows=_export_rows,
    ),
)
