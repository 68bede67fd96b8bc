"""Supplies (物资): items, the in/out ledger, stock counts and the stock figures (DESIGN §4.3).

The ledger (出入库台账) is append-only. Every movement stores a signed
quantity, positive for what comes in and negative for what goes out, so the
stock of an item at the end of a day is the sum of its quantities dated on or
before that day. A mistake is cancelled by a reversal (冲销): a new row, dated
like the movement it cancels, that holds the negated quantity and a reason.
The history stays, and the stock on every date is as if the mistaken movement
had never been made.

No movement may take an item's stock below zero on its own date or on any
later date (a back-dated issue, or a reversed receipt whose stock was already
issued). The item's row is locked before that check, so two clerks issuing the
last masks at the same moment cannot both succeed.

A clerk's units in this domain are supply items: a storekeeper enters the
movements of the items in their care (an empty assignment means every item).
"""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, TypedDict

import sqlalchemy as sa
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.engine import Connection, Engine, RowMapping

from data_layer import clock, settings
from data_layer.db import Actor, Directory, WriteContext, metadata
from data_layer.errors import ValidationError
from data_layer.i18n import translate
from data_layer.permissions import require_admin, require_write
from data_layer.privacy import presented
from data_layer.transfer import Column, Row, TransferKind
from data_layer.validation import MAX_COUNT, Checks, is_blank, raise_if_any_row, resolve_reference
from data_layer.workbook import append_row, finish_table, saved, title_rows, unique_sheet_title

DOMAIN = "supplies"
IN_KINDS = ("purchase", "donation", "allocation")
OUT_KINDS = ("issue", "transfer_out", "scrap")
ENTRY_KINDS = (*IN_KINDS, *OUT_KINDS, "adjustment")
NAMED_KINDS = ("donation", "issue")
KINDS = (*ENTRY_KINDS, "reversal")
RECIPIENT_KINDS = ("checkpoint", "site", "grid", "person", "other")
STATUSES = ("ok", "below_safety", "under_3_days", "out")
BROUGHT_FORWARD = "brought_forward"
BURN_DAYS = 7
SHORT_COVER_DAYS = 3
RECENT_DAYS = 30  # what the entry forms learn from and offer to reverse
ROUND_DAYS = 7  # a storekeeper's round repeats within a week: the issue form proposes from it
NAME_LENGTH = 100
UNIT_LENGTH = 20
CATEGORY_LENGTH = 50
NOTE_LENGTH = 500

supply_items = sa.Table(
    "supply_items", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(NAME_LENGTH), nullable=False),
    sa.Column("unit", sa.String(UNIT_LENGTH), nullable=False),
    sa.Column("category", sa.String(CATEGORY_LENGTH)),
    sa.Column("safety_stock", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("name", name="uq_supply_items_name"),
    sa.CheckConstraint("safety_stock >= 0", name="ck_supply_items_safety_stock"),
)

supply_movements = sa.Table(
    "supply_movements", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("supply_items.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("counterparty", sa.String(NAME_LENGTH)),
    sa.Column("recipient_kind", sa.String(20)),
    sa.Column("note", sa.String(NOTE_LENGTH)),
    sa.Column("reverses_id", sa.Integer, sa.ForeignKey("supply_movements.id")),
    sa.Column("entered_by", sa.String(100), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("reverses_id", name="uq_supply_movements_reverses_id"),
    sa.CheckConstraint("quantity <> 0", name="ck_supply_movements_quantity"),
    sa.Index("ix_supply_movements_item_id_date", "item_id", "date"),
    sa.Index("ix_supply_movements_date_kind", "date", "kind"),
    sa.Index("ix_supply_movements_entered_at", "entered_at"),
)

supply_daily_stock = sa.Table(
    "supply_daily_stock", metadata,
    sa.Column("item_id", sa.Integer, sa.ForeignKey("supply_items.id"), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("on_hand", sa.BigInteger, nullable=False),
    sa.Column("received", sa.BigInteger, nullable=False),
    sa.Column("sent", sa.BigInteger, nullable=False),
    sa.Column("issued", sa.BigInteger, nullable=False),
)
"""Derived from the ledger, kept in the transaction of every movement: per item and day on which it has a
movement, ``on_hand`` (the stock at the end of the day: every movement dated on or before it) and the signed
sums of the day's effective receipts (``received``), outgoing movements (``sent``, negative) and issues
(``issued``, negative). The briefing reads the stock figures from here instead of summing the whole ledger
(see :func:`count_in_daily_stock`)."""

_reversal = supply_movements.alias("reversal")

Finder = Callable[[object], RowMapping | None]


def code_labels(codes: Iterable[str]) -> dict[str, str]:
    """Chinese label → code for ``codes``, read from the zh_CN catalog, so imports accept what the pages show."""
    return {translate(f"supplies.code.{code}", "zh_CN"): code for code in codes}


def _find_item(conn: Connection, value: object) -> RowMapping | None:
    """The item named ``value``, or with id ``value`` (an int, or digits no item is named)."""
    def first(condition: sa.ColumnElement[bool]) -> RowMapping | None:
        return conn.execute(sa.select(supply_items).where(condition)).mappings().first()

    return resolve_reference(value, lambda item_id: first(supply_items.c.id == item_id),
                             lambda name: first(supply_items.c.name == name))


def _referenced_item(checks: Checks, value: object, find: Finder) -> RowMapping | None:
    """The item ``find`` gives for ``value``, or ``None`` with the reason recorded on the ``item`` field."""
    if is_blank(value):
        checks.fail("item", "error.required")
        return None
    row = find(value)
    if row is None:
        checks.fail("item", "error.unknown_name", value=str(value).strip())
    return row


def _known_item(checks: Checks, conn: Connection, value: object) -> RowMapping | None:
    return _referenced_item(checks, value, lambda reference: _find_item(conn, reference))


def _new_name(checks: Checks, conn: Connection, value: object, keep_id: int | None = None) -> str | None:
    """An item name that no other item has."""
    name = checks.name(value, "name", max_length=NAME_LENGTH)
    if name is None:
        return None
    holder = conn.execute(sa.select(supply_items.c.id).where(supply_items.c.name == name)).scalar()
    if holder is not None and holder != keep_id:
        checks.fail("name", "error.duplicate_name", value=name)
        return None
    return name


def _lock_item(conn: Connection, item_id: int) -> None:
    """Hold the item's row until the transaction ends (PostgreSQL; SQLite writers are serialized already)."""
    conn.execute(sa.select(supply_items.c.id).where(supply_items.c.id == item_id).with_for_update())


def _balance(conn: Connection, item_id: int, day: date) -> int:
    """The item's stock at the end of ``day``: the sum of its signed quantities dated on or before it."""
    return conn.execute(sa.select(sa.func.coalesce(sa.func.sum(supply_movements.c.quantity), 0)).where(
        supply_movements.c.item_id == item_id, supply_movements.c.date <= day)).scalar_one()


def _lowest_from(balance: int, day: date, later: Iterable[tuple[date, int]]) -> tuple[int, date]:
    """The lowest end-of-day stock from ``day`` on, and the first date it is reached, given the stock at the
    end of ``day`` and the net change of each later date with movements, in date order. A change on ``day``
    may be made only if it leaves this lowest stock at zero or more."""
    lowest, lowest_day = balance, day
    for later_day, net in later:
        balance += net
        if balance < lowest:
            lowest, lowest_day = balance, later_day
    return lowest, lowest_day


class _StoredStock:
    """The stock as stored: one sum up to the day and one per-day net sum for the later dates."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def lock(self, item_id: int) -> None:
        _lock_item(self.conn, item_id)

    def lowest(self, item_id: int, day: date) -> tuple[int, date]:
        later = self.conn.execute(
            sa.select(supply_movements.c.date, sa.func.sum(supply_movements.c.quantity))
            .where(supply_movements.c.item_id == item_id, supply_movements.c.date > day)
            .group_by(supply_movements.c.date).order_by(supply_movements.c.date))
        return _lowest_from(_balance(self.conn, item_id, day), day, later)


class _StockLedger:
    """The stock of a batch's items as the batch goes: the stored per-day net changes, read in one query
    when the batch begins (its items are locked then), plus the batch's movements accepted so far."""

    def __init__(self, conn: Connection, item_ids: Iterable[int]):
        self.nets: dict[int, dict[date, int]] = {item_id: {} for item_id in item_ids}
        movement = supply_movements
        query = (sa.select(movement.c.item_id, movement.c.date, sa.func.sum(movement.c.quantity))
                 .where(supply_movements.c.item_id.in_(sorted(self.nets)))
                 .group_by(supply_movements.c.item_id, supply_movements.c.date))
        for item_id, day, net in conn.execute(query) if self.nets else ():
            self.nets[item_id][day] = int(net)
        self.dates = {item_id: sorted(nets) for item_id, nets in self.nets.items()}
        self.totals = {item_id: sum(nets.values()) for item_id, nets in self.nets.items()}

    def lock(self, item_id: int) -> None:
        """Nothing to do: the batch's items were locked when it began."""

    def lowest(self, item_id: int, day: date) -> tuple[int, date]:
        nets, dates = self.nets[item_id], self.dates[item_id]
        later = [(later_day, nets[later_day]) for later_day in dates[bisect_right(dates, day):]]
        return _lowest_from(self.totals[item_id] - sum(net for _, net in later), day, later)

    def add(self, item_id: int, day: date, quantity: int) -> None:
        nets = self.nets[item_id]
        if day not in nets:
            insort(self.dates[item_id], day)
            nets[day] = 0
        nets[day] += quantity
        self.totals[item_id] += quantity


def _check_stock(checks: Checks, stock: _StoredStock | _StockLedger, item_id: int, day: date, change: int,
                 field: str) -> None:
    """Refuse a change that would take the stock below zero on ``day`` or later; names the stock on hand."""
    if change >= 0:
        return
    lowest, lowest_day = stock.lowest(item_id, day)
    if lowest + change < 0:
        checks.fail(field, "supplies.error.insufficient_stock", on_hand=lowest, date=lowest_day.isoformat(),
                    quantity=-change)


def _signed_quantity(checks: Checks, value: object, kind: str | None) -> int | None:
    """The stored quantity: positive in, negative out; an adjustment is given signed and may not be zero."""
    if kind == "adjustment":
        quantity = checks.integer(value, "quantity", minimum=-MAX_COUNT)
        if quantity == 0:
            checks.fail("quantity", "supplies.error.zero_adjustment")
            return None
        return quantity
    quantity = checks.integer(value, "quantity", minimum=1)
    if quantity is None or kind is None:
        return None
    return -quantity if kind in OUT_KINDS else quantity


def _store_movement(ctx: WriteContext, action: str, values: dict[str, object], counted_kind: str) -> int:
    """Insert one movement and count it in :data:`supply_daily_stock`; ``counted_kind`` is the kind whose
    figures it changes (a reversal's is the kind of the movement it cancels)."""
    movement_id = ctx.insert(supply_movements, action, {
        "counterparty": None, "recipient_kind": None, "note": None, "reverses_id": None, **values,
        "entered_by": ctx.actor.username, "entered_at": clock.now()})
    count_in_daily_stock(ctx.conn, values["item_id"], values["date"], values["quantity"], counted_kind)
    return movement_id


def _kind_sums(quantity: int, counted_kind: str) -> dict[str, int]:
    return {"received": quantity if counted_kind in IN_KINDS else 0,
            "sent": quantity if counted_kind in OUT_KINDS else 0,
            "issued": quantity if counted_kind == "issue" else 0}


def count_in_daily_stock(conn: Connection, item_id: int, day: date, quantity: int, counted_kind: str) -> None:
    """Keep :data:`supply_daily_stock` equal to the ledger after a movement of ``quantity`` (signed) dated
    ``day`` was stored. ``counted_kind`` says which day sums it changes: its own kind, or for a reversal the
    kind of the movement it cancels (the reversal's quantity takes that movement out of them).

    Every path that stores movements calls this in the same transaction, through :func:`_store_movement`
    (and :func:`_store_movements` for an import file). The caller holds the
    item locked, as those do. The stock of ``day`` and of every later day of the item moves by ``quantity``.
    """
    stock = supply_daily_stock
    of_item = stock.c.item_id == item_id
    if conn.execute(sa.select(stock.c.day).where(of_item, stock.c.day == day)).first() is None:
        before = conn.execute(sa.select(stock.c.on_hand).where(of_item, stock.c.day < day)
                              .order_by(stock.c.day.desc()).limit(1)).scalar()
        conn.execute(stock.insert().values(item_id=item_id, day=day, on_hand=before or 0, received=0, sent=0,
                                           issued=0))
    on_day = stock.c.day == day
    conn.execute(stock.update().where(of_item, stock.c.day >= day).values(
        on_hand=stock.c.on_hand + quantity,
        **{name: stock.c[name] + sa.case((on_day, change), else_=0)
           for name, change in _kind_sums(quantity, counted_kind).items()}))


def rebuild_daily_stock(conn: Connection) -> None:
    """Compute :data:`supply_daily_stock` afresh from the ledger: for the migration that adds the table and
    for loaders that insert movements in bulk around :func:`add_movement` (the district benchmark)."""
    movement = supply_movements
    per_day = (sa.select(movement.c.item_id, movement.c.date.label("day"),
                         sa.func.sum(movement.c.quantity).label("net"),
                         _total(_effective() & movement.c.kind.in_(IN_KINDS)).label("received"),
                         _total(_effective() & movement.c.kind.in_(OUT_KINDS)).label("sent"),
                         _total(_effective() & (movement.c.kind == "issue")).label("issued"))
               .select_from(_with_reversals(movement)).group_by(movement.c.item_id, movement.c.date).subquery())
    on_hand = sa.func.sum(per_day.c.net).over(partition_by=per_day.c.item_id, order_by=per_day.c.day)
    conn.execute(supply_daily_stock.delete())
    conn.execute(supply_daily_stock.insert().from_select(
        ["item_id", "day", "on_hand", "received", "sent", "issued"],
        sa.select(per_day.c.item_id, per_day.c.day, on_hand, per_day.c.received, per_day.c.sent,
                  per_day.c.issued)))


def add_item(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Add a supply item (name, unit, category, safety stock); the administrator's master data."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    name = _new_name(checks, ctx.conn, data.get("name"))
    unit = checks.text(data.get("unit"), "unit", max_length=UNIT_LENGTH)
    category = checks.text(data.get("category"), "category", required=False, max_length=CATEGORY_LENGTH)
    safety_stock = checks.integer(data.get("safety_stock"), "safety_stock", required=False)
    checks.raise_if_any()
    return ctx.insert(supply_items, "supplies.item.add", {
        "name": name, "unit": unit, "category": category, "safety_stock": safety_stock or 0, "active": True})


def _update_item(ctx: WriteContext, item: RowMapping, action: str, changes: dict[str, object]) -> None:
    before = {key: item[key] for key in changes}
    ctx.conn.execute(supply_items.update().where(supply_items.c.id == item["id"]).values(**changes))
    ctx.audit(action, supply_items, item["id"], before=before, after=changes)


def rename_item(ctx: WriteContext, item: object, new_name: object) -> None:
    """Give an item a new name (its movements follow it, since they refer to its id)."""
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = _known_item(checks, ctx.conn, item)
    name = _new_name(checks, ctx.conn, new_name, keep_id=row["id"] if row else None)
    checks.raise_if_any()
    _update_item(ctx, row, "supplies.item.rename", {"name": name})


def set_item(ctx: WriteContext, item: object, data: Mapping[str, object]) -> None:
    """Change an item's unit, category, safety stock or active flag: only the keys present in ``data``.

    An inactive item keeps its ledger but leaves the figures and the entry forms.
    """
    require_admin(ctx.actor)
    checks = Checks(DOMAIN)
    row = _known_item(checks, ctx.conn, item)
    changes: dict[str, object] = {}
    if "unit" in data:
        changes["unit"] = checks.text(data["unit"], "unit", max_length=UNIT_LENGTH)
    if "category" in data:
        changes["category"] = checks.text(data["category"], "category", required=False,
                                          max_length=CATEGORY_LENGTH)
    if "safety_stock" in data:
        changes["safety_stock"] = checks.integer(data["safety_stock"], "safety_stock")
    if "active" in data:
        changes["active"] = checks.flag(data["active"], "active")
    checks.raise_if_any()
    if changes:
        _update_item(ctx, row, "supplies.item.set", changes)


def edit_item(ctx: WriteContext, item: object, data: Mapping[str, object]) -> None:
    """Rename an item (when ``data`` holds a different ``name``) and set the other keys of ``data``, in the
    one transaction of the edit form: either every change is stored or none."""
    require_admin(ctx.actor)
    row = _known_item(Checks(DOMAIN), ctx.conn, item)
    changes = dict(data)
    new_name = changes.pop("name", None)
    if row is not None and new_name is not None and str(new_name).strip() != row["name"]:
        rename_item(ctx, row["id"], new_name)
    set_item(ctx, item if row is None else row["id"], changes)


def _writable_item(ctx: WriteContext, checks: Checks, value: object, find: Finder | None = None) -> RowMapping | None:
    """The known item ``value`` (found by ``find``, else in the store), after making sure the actor may
    enter movements of it."""
    require_write(ctx.actor, DOMAIN)
    row = _referenced_item(checks, value, find or (lambda reference: _find_item(ctx.conn, reference)))
    if row is not None:
        require_write(ctx.actor, DOMAIN, row["id"])
    return row


def add_movement(ctx: WriteContext, data: Mapping[str, object]) -> int:
    """Enter one movement: ``item``, ``date``, ``kind`` (not ``reversal``), ``quantity``, ``counterparty``
    (required for a donation, the donor, and for an issue, the recipient), ``recipient_kind`` (issues only)
    and ``note`` (the reason, required for an adjustment).

    Quantities are whole units and positive; an adjustment's is signed (the
    surplus or the loss a stock count found). An outgoing movement that would
    leave too little stock on its date or any later date is refused.
    """
    checks = Checks(DOMAIN)
    values = _movement_values(ctx, checks, data, _StoredStock(ctx.conn))
    checks.raise_if_any()
    return _store_movement(ctx, "supplies.movement.add", values, values["kind"])


def _movement_values(ctx: WriteContext, checks: Checks, data: Mapping[str, object],
                     stock: _StoredStock | _StockLedger, find: Finder | None = None) -> dict[str, object]:
    """Check a new movement (see :func:`add_movement`) against ``stock``; the values to store (meaningful
    once no check failed)."""
    item = _writable_item(ctx, checks, data.get("item"), find)
    day = checks.day(data.get("date"), "date")
    kind = checks.choice(data.get("kind"), "kind", ENTRY_KINDS, labels=code_labels(ENTRY_KINDS))
    change = _signed_quantity(checks, data.get("quantity"), kind)
    counterparty = checks.text(data.get("counterparty"), "counterparty", required=kind in NAMED_KINDS,
                               max_length=NAME_LENGTH)
    recipient_kind = checks.choice(data.get("recipient_kind"), "recipient_kind", RECIPIENT_KINDS,
                                   labels=code_labels(RECIPIENT_KINDS), required=False)
    if recipient_kind is not None and kind is not None and kind != "issue":
        checks.fail("recipient_kind", "supplies.error.recipient_only_for_issue")
    note = checks.text(data.get("note"), "note", required=kind == "adjustment", max_length=NOTE_LENGTH)
    if item is not None and day is not None and change is not None:
        stock.lock(item["id"])
        _check_stock(checks, stock, item["id"], day, change, "quantity")
    return {"item_id": None if item is None else item["id"], "date": day, "kind": kind, "quantity": change,
            "counterparty": counterparty, "recipient_kind": recipient_kind, "note": note}


def _movement(conn: Connection, movement_id: int) -> RowMapping | None:
    return conn.execute(sa.select(supply_movements).where(supply_movements.c.id == movement_id)).mappings().first()


def _is_reversed(conn: Connection, movement_id: int) -> bool:
    return conn.execute(sa.select(supply_movements.c.id).where(
        supply_movements.c.reverses_id == movement_id)).first() is not None


def reverse_movement(ctx: WriteContext, movement: object, reason: object) -> int:
    """Cancel one earlier movement with a reason; returns the reversal's id.

    The reversal is dated like the movement it cancels and holds the negated
    quantity, so every figure of every date counts neither of the two. A
    reversal cannot itself be reversed, and a movement is reversed at most once
    (enter it again if the reversal was the mistake). Reversing a receipt whose
    stock has already gone out is refused like any issue beyond the stock.
    """
    require_write(ctx.actor, DOMAIN)
    checks = Checks(DOMAIN)
    movement_id = checks.integer(movement, "movement", minimum=1, maximum=None)
    original = None if movement_id is None else _movement(ctx.conn, movement_id)
    if movement_id is not None and original is None:
        checks.fail("movement", "error.unknown_name", value=movement_id)
    note = checks.text(reason, "reason", max_length=NOTE_LENGTH)
    if original is not None:
        require_write(ctx.actor, DOMAIN, original["item_id"])
        _lock_item(ctx.conn, original["item_id"])
        if original["kind"] == "reversal":
            checks.fail("movement", "supplies.error.cannot_reverse_reversal")
        elif _is_reversed(ctx.conn, original["id"]):
            checks.fail("movement", "supplies.error.already_reversed")
        else:
            _check_stock(checks, _StoredStock(ctx.conn), original["item_id"], original["date"],
                         -original["quantity"], "quantity")
    checks.raise_if_any()
    return _store_movement(ctx, "supplies.movement.reverse", {
        "item_id": original["item_id"], "date": original["date"], "kind": "reversal",
        "quantity": -original["quantity"], "counterparty": original["counterparty"], "note": note,
        "reverses_id": original["id"]}, original["kind"])


def record_stock_count(ctx: WriteContext, item: object, day: object, counted_quantity: object,
                       reason: object) -> int | None:
    """Enter a stock count (盘点): the quantity found on the shelf at the end of ``day``.

    The difference to the ledger's stock of that day is stored as an
    adjustment with the reason; returns its id, or ``None`` when the count
    agrees with the ledger and nothing needed storing. A count that would
    leave a later date below zero is refused.
    """
    checks = Checks(DOMAIN)
    row = _writable_item(ctx, checks, item)
    count_day = checks.day(day, "date")
    counted = checks.integer(counted_quantity, "counted_quantity")
    note = checks.text(reason, "reason", max_length=NOTE_LENGTH)
    difference = None
    if row is not None and count_day is not None and counted is not None:
        _lock_item(ctx.conn, row["id"])
        difference = counted - _balance(ctx.conn, row["id"], count_day)
        _check_stock(checks, _StoredStock(ctx.conn), row["id"], count_day, difference, "counted_quantity")
    checks.raise_if_any()
    if difference == 0:
        return None
    return _store_movement(ctx, "supplies.stock_count", {
        "item_id": row["id"], "date": count_day, "kind": "adjustment", "quantity": difference, "note": note},
        "adjustment")


def _total(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """The sum of signed quantities of the joined movements meeting ``condition`` (0 when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, supply_movements.c.quantity), else_=0)), 0)


def _effective() -> sa.ColumnElement[bool]:
    """A joined movement that counts as itself: neither a reversal nor reversed."""
    return sa.and_(_reversal.c.id.is_(None), supply_movements.c.kind != "reversal")


def _with_reversals(source: sa.FromClause) -> sa.FromClause:
    return source.outerjoin(_reversal, _reversal.c.reverses_id == supply_movements.c.id)


def cover_days() -> int:
    """The days of consumption the quantity to request should cover: ``COMMAND_POST_COVER_DAYS``, else 14."""
    return settings.COVER_DAYS.value()


def figures(conn: Connection, day: date, request_days: int | None = None) -> list[dict[str, Any]]:
    """The supplies part of the daily briefing for ``day`` (DESIGN §6): one entry per active item, by name.

    Each entry holds ``item``, ``item_id``, ``unit``, ``category``,
    ``safety_stock``; ``on_hand`` (the sum of all movements dated up to
    ``day``, reversals included, so a cancelled pair adds nothing);
    ``in_today`` and ``out_today`` (effective receipts and effective issues,
    transfers out and scrapping dated ``day``, both as positive numbers;
    adjustments are neither); ``burn_rate`` (effective issues over the seven
    days ending ``day`` divided by 7, two decimals: transfers, scrapping and
    adjustments are not consumption); ``days_of_cover`` (on hand / burn rate,
    one decimal, ``None`` without consumption); ``below_safety``; ``status``
    (``out`` at no stock, else ``under_3_days`` below three days of cover, else
    ``below_safety``, else ``ok``); ``stockout_date`` (ISO date on which the
    stock runs out at this burn rate, ``None`` without consumption) and
    ``request_quantity`` (what to ask the level above for, so that the stock
    covers ``request_days`` days of consumption, by default :func:`cover_days`).
    Every figure is read from :data:`supply_daily_stock`, so the time it takes grows with the number of
    items, not with the length of the ledger.
    """
    request_days = cover_days() if request_days is None else request_days
    stock, items = supply_daily_stock, supply_items
    earlier, week = stock.alias("earlier"), stock.alias("week")
    newest_day = (sa.select(sa.func.max(earlier.c.day)).where(earlier.c.item_id == items.c.id, earlier.c.day <= day)
                  .scalar_subquery())
    issued_week = (sa.select(sa.func.coalesce(sa.func.sum(week.c.issued), 0))
                   .where(week.c.item_id == items.c.id, week.c.day > day - timedelta(days=BURN_DAYS),
                          week.c.day <= day).scalar_subquery())
    on_day = stock.c.day == day
    rows = conn.execute(
        sa.select(items.c.id, items.c.name, items.c.unit, items.c.category, items.c.safety_stock,
                  sa.func.coalesce(stock.c.on_hand, 0).label("on_hand"),
                  sa.case((on_day, stock.c.received), else_=0).label("in_today"),
                  sa.case((on_day, stock.c.sent), else_=0).label("out_today"),
                  issued_week.label("issued_week"))
        .select_from(items.outerjoin(stock, sa.and_(stock.c.item_id == items.c.id, stock.c.day == newest_day)))
        .where(items.c.active == sa.true())).mappings()
    return sorted((_item_figures(row, day, request_days) for row in rows), key=lambda entry: entry["item"])


def _item_figures(row: RowMapping, day: date, request_days: int) -> dict[str, Any]:
    on_hand, issued = int(row["on_hand"]), -int(row["issued_week"])
    stock = stock_figures(on_hand, issued, row["safety_stock"])
    return {
        "item": row["name"], "item_id": row["id"], "unit": row["unit"], "category": row["category"],
        "safety_stock": row["safety_stock"], "on_hand": on_hand, "in_today": int(row["in_today"]),
        "out_today": -int(row["out_today"]), **stock,
        "status": item_status(on_hand, stock["days_of_cover"], stock["below_safety"]),
        "stockout_date": (day + timedelta(days=on_hand * BURN_DAYS // issued)).isoformat() if issued else None,
        "request_quantity": max(0, -((BURN_DAYS * on_hand - issued * request_days) // BURN_DAYS)),
    }


# The figures of one item's stock: the one definition of each, used by the figures, the briefing, the review of
# corrections and the wall's alerts.

def burn_rate(issued_week: int) -> float:
    """Issues per day: the effective issues of the seven days ending the day, over 7, two decimals."""
    return round(issued_week / BURN_DAYS, 2)


def days_of_cover(on_hand: int, issued_week: int) -> float | None:
    """How many days the stock on hand lasts at the burn rate, one decimal; ``None`` without consumption."""
    return round(on_hand * BURN_DAYS / issued_week, 1) if issued_week else None


def item_status(on_hand: int, cover: float | None, below_safety: bool) -> str:
    """The most urgent of an item's states: ``out`` at no stock, else ``under_3_days`` below
    :data:`SHORT_COVER_DAYS` days of cover, else ``below_safety``, else ``ok``."""
    if on_hand <= 0:
        return "out"
    if cover is not None and cover < SHORT_COVER_DAYS:
        return "under_3_days"
    return "below_safety" if below_safety else "ok"


def stock_figures(on_hand: int, issued_week: int, safety_stock: int) -> dict[str, Any]:
    """``burn_rate``, ``days_of_cover`` and ``below_safety`` of an item with ``on_hand`` in stock that issued
    ``issued_week`` in the seven days ending the day."""
    return {"burn_rate": burn_rate(issued_week), "days_of_cover": days_of_cover(on_hand, issued_week),
            "below_safety": on_hand < safety_stock}


def stock_history(conn: Connection, item_id: int | None, end_day: date, days: int = 30) -> list[dict[str, Any]]:
    """The closing stock of each day from ``end_day - days + 1`` to ``end_day``, for one item or
    (``item_id`` ``None``) every active item: rows of ``item_id``, ``item``, ``date``, ``balance``,
    by item name then date. Two grouped queries: the opening stocks and the daily net movements."""
    start = end_day - timedelta(days=days - 1)
    chosen = supply_items.c.id == item_id if item_id is not None else supply_items.c.active == sa.true()
    items = conn.execute(sa.select(supply_items.c.id, supply_items.c.name).where(chosen)).all()
    selected = supply_movements.c.item_id.in_(sa.select(supply_items.c.id).where(chosen))
    opening = dict(conn.execute(
        sa.select(supply_movements.c.item_id, sa.func.sum(supply_movements.c.quantity))
        .where(selected, supply_movements.c.date < start).group_by(supply_movements.c.item_id)).all())
    daily = {(row_item, row_day): net for row_item, row_day, net in conn.execute(
        sa.select(supply_movements.c.item_id, supply_movements.c.date, sa.func.sum(supply_movements.c.quantity))
        .where(selected, supply_movements.c.date >= start, supply_movements.c.date <= end_day)
        .group_by(supply_movements.c.item_id, supply_movements.c.date))}
    history = []
    for row_item, name in sorted(items, key=lambda item: item[1]):
        balance = int(opening.get(row_item, 0))
        for offset in range(days):
            current = start + timedelta(days=offset)
            balance += int(daily.get((row_item, current), 0))
            history.append({"item_id": row_item, "item": name, "date": current, "balance": balance})
    return history


def consumption_by_recipient(conn: Connection, start: date, end: date) -> list[dict[str, Any]]:
    """What each recipient received from ``start`` to ``end`` (inclusive): effective issues summed per
    recipient and item, as rows of ``counterparty``, ``recipient_kind``, ``item``, ``unit``, ``quantity``
    (positive), by recipient then item."""
    rows = conn.execute(
        sa.select(supply_movements.c.counterparty, supply_movements.c.recipient_kind,
                  supply_items.c.name.label("item"), supply_items.c.unit,
                  (-sa.func.sum(supply_movements.c.quantity)).label("quantity"))
        .select_from(_with_reversals(supply_movements.join(supply_items)))
        .where(_effective(), supply_movements.c.kind == "issue",
               supply_movements.c.date >= start, supply_movements.c.date <= end)
        .group_by(supply_movements.c.counterparty, supply_movements.c.recipient_kind, supply_items.c.name,
                  supply_items.c.unit)).mappings()
    return sorted((dict(row) for row in rows), key=lambda row: (row["counterparty"] or "", row["item"]))


def ledger(conn: Connection, item_id: int, start: date, end: date) -> list[dict[str, Any]]:
    """The paper ledger (出入库台账) of one item from ``start`` to ``end``: each movement in date
    order with ``id``, ``date``, ``kind``, ``in``, ``out`` (both positive or 0), the running
    ``balance`` after it, ``counterparty``, ``recipient_kind``, ``entered_by`` (handled by),
    ``entered_at``, ``note``, ``reverses_id`` and ``reversed`` (whether a later row cancels it)."""
    balance = _balance(conn, item_id, start - timedelta(days=1))
    rows = conn.execute(
        sa.select(supply_movements, _reversal.c.id.is_not(None).label("reversed"))
        .select_from(_with_reversals(supply_movements))
        .where(supply_movements.c.item_id == item_id, supply_movements.c.date >= start,
               supply_movements.c.date <= end)
        .order_by(supply_movements.c.date, supply_movements.c.id)).mappings()
    entries = []
    for row in rows:
        balance += row["quantity"]
        entries.append({
            "id": row["id"], "date": row["date"], "kind": row["kind"], "in": max(row["quantity"], 0),
            "out": max(-row["quantity"], 0), "balance": balance, "counterparty": row["counterparty"],
            "recipient_kind": row["recipient_kind"], "entered_by": row["entered_by"],
            "entered_at": row["entered_at"], "note": row["note"], "reverses_id": row["reverses_id"],
            "reversed": bool(row["reversed"])})
    return entries


def list_items(conn: Connection, include_inactive: bool = True) -> list[dict[str, Any]]:
    """Every item's master data (``id``, ``name``, ``unit``, ``category``, ``safety_stock``, ``active``), by name."""
    query = sa.select(supply_items)
    if not include_inactive:
        query = query.where(supply_items.c.active == sa.true())
    return sorted((dict(row) for row in conn.execute(query).mappings()), key=lambda row: row["name"])


def stock_on(conn: Connection, item_id: int, day: date) -> int:
    """The item's stock at the end of ``day`` (what a stock count on that day is compared with)."""
    return _balance(conn, item_id, day)


class IssueProposals(TypedDict):
    """What an issue form proposes (see :func:`issue_proposals`)."""

    item_id: int | None
    counterparty: str | None
    recipient_kind: str | None
    recipients: list[dict[str, Any]]


def issue_proposals(conn: Connection, username: str, day: date, item_ids: tuple[int, ...] | None = None,
                    recipients_shown: int = 50) -> IssueProposals:
    """What an issue form proposes, learnt from the effective issues of active items, so that the usual issue
    is a quantity and one tap.

    ``item_id`` is the item issued most often over the :data:`ROUND_DAYS` days ending ``day``, and
    ``counterparty`` and ``recipient_kind`` those of the newest issue with a recipient in them;
    ``username``'s own issues decide when there are any, since a storekeeper repeats their own round, and
    ``item_ids`` limits both to a clerk's items (``None`` when there is nothing to learn from). ``recipients``
    are every recipient supplied over the :data:`RECENT_DAYS` days ending ``day``, the one supplied on the latest
    date first: the choices of the form. Each is one aggregate in SQL, so that a district's thousand issues a
    day never travel to Python.
    """
    issues = _effective_issues(day, RECENT_DAYS, None).subquery()
    mine = _effective_issues(day, ROUND_DAYS, item_ids).subquery()
    mine_own = mine.c.entered_by == username
    item_id = conn.execute(
        sa.select(mine.c.item_id).group_by(mine.c.item_id)
        .order_by(sa.func.sum(sa.case((mine_own, 1), else_=0)).desc(), sa.func.count().desc(), mine.c.item_id)
        .limit(1)).scalar()
    recipient = conn.execute(
        sa.select(mine.c.counterparty, mine.c.recipient_kind).where(mine.c.counterparty.is_not(None))
        .order_by(sa.case((mine_own, 0), else_=1), mine.c.date.desc(), mine.c.id.desc()).limit(1)).first()
    recipients = conn.execute(
        sa.select(issues.c.counterparty, issues.c.recipient_kind).where(issues.c.counterparty.is_not(None))
        .group_by(issues.c.counterparty, issues.c.recipient_kind)
        .order_by(sa.func.max(issues.c.date).desc(), sa.func.max(issues.c.id).desc()).limit(recipients_shown))
    return {"item_id": item_id, "counterparty": recipient[0] if recipient else None,
            "recipient_kind": recipient[1] if recipient else None,
            "recipients": [{"counterparty": name, "recipient_kind": kind} for name, kind in recipients]}


def _effective_issues(day: date, days: int, item_ids: tuple[int, ...] | None) -> sa.Select:
    """Effective issues of active items over the ``days`` days ending ``day`` (of ``item_ids``)."""
    query = (sa.select(supply_movements.c.id, supply_movements.c.item_id, supply_movements.c.counterparty,
                       supply_movements.c.recipient_kind, supply_movements.c.entered_by, supply_movements.c.date)
             .select_from(_with_reversals(supply_movements.join(supply_items)))
             .where(_effective(), supply_movements.c.kind == "issue", supply_items.c.active == sa.true(),
                    supply_movements.c.date.between(day - timedelta(days=days - 1), day)))
    return query if item_ids is None else query.where(supply_movements.c.item_id.in_(item_ids))


def reversible_movements(conn: Connection, start: date, end: date, item_ids: tuple[int, ...] | None = None,
                         limit: int = 300) -> list[dict[str, Any]]:
    """Movements dated ``start`` to ``end`` that a reversal may still cancel (neither reversals nor reversed),
    newest first, at most ``limit``: rows of ``id``, ``item_id``, ``item``, ``unit``, ``date``, ``kind``,
    ``quantity`` (signed), ``counterparty``, ``entered_by``. ``item_ids`` limits the items."""
    query = (sa.select(supply_movements.c.id, supply_movements.c.item_id, supply_items.c.name.label("item"),
                       supply_items.c.unit, supply_movements.c.date, supply_movements.c.kind,
                       supply_movements.c.quantity, supply_movements.c.counterparty, supply_movements.c.entered_by)
             .select_from(_with_reversals(supply_movements.join(supply_items)))
             .where(_effective(), supply_movements.c.date >= start, supply_movements.c.date <= end)
             .order_by(supply_movements.c.date.desc(), supply_movements.c.id.desc()).limit(limit))
    if item_ids is not None:
        query = query.where(supply_movements.c.item_id.in_(item_ids))
    return [dict(row) for row in conn.execute(query).mappings()]


def _reversal_target(checks: Checks, conn: Connection, item_id: int, day: date, quantity: int,
                     counterparty: str | None) -> int | None:
    """The movement an imported reversal row cancels: the newest effective movement of the item on that
    date with that quantity (and counterparty, when the row names one). Candidates that disagree on the
    direction (a receipt and an issue alike in all else) leave the row ambiguous."""
    query = (sa.select(supply_movements.c.id, supply_movements.c.quantity)
             .select_from(_with_reversals(supply_movements))
             .where(_effective(), supply_movements.c.item_id == item_id, supply_movements.c.date == day,
                    supply_movements.c.quantity.in_((quantity, -quantity)))
             .order_by(supply_movements.c.id.desc()))
    if counterparty is not None:
        query = query.where(supply_movements.c.counterparty == counterparty)
    candidates = conn.execute(query).all()
    if not candidates:
        checks.fail("kind", "supplies.error.nothing_to_reverse")
        return None
    if len({signed > 0 for _, signed in candidates}) > 1:
        checks.fail("kind", "supplies.error.reversal_ambiguous")
        return None
    return candidates[0][0]


def _reverse_row(ctx: WriteContext, row: Row) -> int:
    """Import a reversal row: find the movement it cancels, then reverse it as the form does."""
    checks = Checks(DOMAIN)
    item = _writable_item(ctx, checks, row.get("item"))
    day = checks.day(row.get("date"), "date")
    quantity = checks.integer(row.get("quantity"), "quantity", minimum=1)
    counterparty = checks.text(row.get("counterparty"), "counterparty", required=False, max_length=NAME_LENGTH)
    note = checks.text(row.get("note"), "note", max_length=NOTE_LENGTH)
    target = None
    if item is not None and day is not None and quantity is not None:
        target = _reversal_target(checks, ctx.conn, item["id"], day, quantity, counterparty)
    checks.raise_if_any()
    return reverse_movement(ctx, target, note)


def _ledger_row(row: Row) -> Row | None:
    """An import row as the movement it enters, or ``None`` for a reversal row. A brought-forward row
    (上期结转, the first line of a paper ledger or of an exported period) is the adjustment that sets the
    opening stock."""
    word = "" if is_blank(row.get("kind")) else str(row["kind"]).strip()
    code = code_labels(("reversal", BROUGHT_FORWARD)).get(word, word)
    if code == "reversal":
        return None
    if code == BROUGHT_FORWARD:
        note = row.get("note") if not is_blank(row.get("note")) else word
        return {**row, "kind": "adjustment", "note": note}
    return row


def _add_movement_row(ctx: WriteContext, row: Row) -> int:
    """Import one ledger row; a reversal row cancels the movement it names."""
    movement = _ledger_row(row)
    return _reverse_row(ctx, row) if movement is None else add_movement(ctx, movement)


def add_movements_batch(ctx: WriteContext, rows: Sequence[Row], progress: Callable[[int], None] | None = None
                        ) -> list[int]:
    """Store an import file of ledger rows by the rules and with the messages of the row-by-row import, as
    if the rows had been entered one after the other; returns the ids of the movements stored.

    The items are looked up and locked once and their stock read in one
    query; each movement is checked against that stock plus the file's
    movements accepted before it. The accepted movements are stored with one
    statement for the rows and one for the audit rows, except that a
    reversal row (rare) first stores what came before it and is then
    entered as the form enters it, since it must find the movement it
    cancels among the stored ones. Any bad row refuses the whole file with
    :class:`RowsRejected`; ``progress`` hears how many rows have been checked.
    """
    require_write(ctx.actor, DOMAIN)
    now = clock.now()
    movements = [_ledger_row(row) for row in rows]
    directory = Directory(ctx.conn, supply_items, [row.get("item") for row in rows])
    stock = _StockLedger(ctx.conn, {item["id"] for item in map(directory.find, _item_references(rows)) if item})
    ids: list[int] = []
    pending: list[dict[str, object]] = []
    row_checks: list[Checks] = []
    for done, (row, movement) in enumerate(zip(rows, movements, strict=True), start=1):
        checks = Checks("supplies", now)
        row_checks.append(checks)
        if movement is None:
            ids += _store_movements(ctx, pending, now)
            pending = []
            _reverse_in_batch(ctx, checks, row, stock, ids)
        else:
            values = _movement_values(ctx, checks, movement, stock, directory.find)
            if not checks.errors:
                stock.add(values["item_id"], values["date"], values["quantity"])
                pending.append(values)
        if progress is not None:
            progress(done)
    raise_if_any_row(row_checks)
    return ids + _store_movements(ctx, pending, now)


def _item_references(rows: Sequence[Row]) -> list[object]:
    return [row.get("item") for row in rows if not is_blank(row.get("item"))]


def _reverse_in_batch(ctx: WriteContext, checks: Checks, row: Row, stock: _StockLedger, ids: list[int]) -> None:
    """Enter a reversal row of a batch as the row-by-row import does, keeping the batch's stock up to date."""
    try:
        reversal_id = _reverse_row(ctx, row)
    except ValidationError as refusal:
        checks.errors.extend(refusal.errors)
        return
    reversal = _movement(ctx.conn, reversal_id)
    stock.add(reversal["item_id"], reversal["date"], reversal["quantity"])
    ids.append(reversal_id)


def _store_movements(ctx: WriteContext, values: list[dict[str, object]], now: datetime) -> list[int]:
    """Store checked movements with their audit rows and count them in the daily stock, as
    :func:`add_movement` stores one; the daily stock moves once per item, date and kind."""
    ids = ctx.insert_many(supply_movements, "supplies.movement.add", [
        {**value, "reverses_id": None, "entered_by": ctx.actor.username, "entered_at": now} for value in values])
    nets: dict[tuple[int, date, str], int] = {}
    for value in values:
        key = (value["item_id"], value["date"], value["kind"])
        nets[key] = nets.get(key, 0) + value["quantity"]
    for (item_id, day, kind), quantity in sorted(nets.items()):
        count_in_daily_stock(ctx.conn, item_id, day, quantity, kind)
    return ids


MOVEMENT_COLUMNS = (
    Column("item", "物资名称"), Column("date", "日期"), Column("kind", "类型"), Column("quantity", "数量"),
    Column("counterparty", "往来单位"), Column("note", "备注"), Column("recipient_kind", "领用对象类型"))


def _item_rows(conn: Connection) -> Iterator[Row]:
    query = sa.select(supply_items.c.name, supply_items.c.unit, supply_items.c.category,
                      supply_items.c.safety_stock).order_by(supply_items.c.id)
    yield from (dict(row) for row in conn.execute(query).mappings())


def _movement_rows(conn: Connection) -> Iterator[Row]:
    """The ledger in entry order, so that each row re-imports onto the same stock it was entered on.
    Quantities are positive except an adjustment's; a reversal row repeats the cancelled movement's
    date, quantity and counterparty, which is how its import finds that movement again."""
    query = (sa.select(supply_items.c.name.label("item"), supply_movements.c.date, supply_movements.c.kind,
                       supply_movements.c.quantity, supply_movements.c.counterparty, supply_movements.c.note,
                       supply_movements.c.recipient_kind)
             .select_from(supply_movements.join(supply_items)).order_by(supply_movements.c.id))
    for row in conn.execute(query).mappings():
        quantity = row["quantity"] if row["kind"] == "adjustment" else abs(row["quantity"])
        yield {**row, "quantity": quantity}


TRANSFER_KINDS = (
    TransferKind(
        "supply_items",
        (Column("name", "物资名称"), Column("unit", "单位"), Column("category", "类别"),
         Column("safety_stock", "安全库存")),
        add_item, _item_rows),
    TransferKind("supply_movements", MOVEMENT_COLUMNS, _add_movement_row, _movement_rows, add_movements_batch),
)


# The paper ledger as an Excel workbook --------------------------------------------------------------------------

LEDGER_COLUMNS = ("date", "kind", "in", "out", "balance", "counterparty", "entered_by", "note")
SUMMARY_COLUMNS = ("supplies.field.name", "supplies.field.unit", "supplies.field.category",
                   "supplies.field.safety_stock", "supplies.ledger.opening", "supplies.ledger.period_in",
                   "supplies.ledger.period_out", "supplies.ledger.closing")
LEDGER_LANGUAGE = "zh_CN"


def _zh(key: str, **params: object) -> str:
    return translate(key, LEDGER_LANGUAGE, **params)


def _import_order(row: Mapping[str, Any]) -> tuple[date, int, int, int]:
    """The order in which a period's rows re-import without any day dipping below zero on the way: per day
    the receipts first, then each cancelled outgoing movement directly followed by its reversal, then the
    rest of the outgoing movements (which can only lower the stock to the day's closing balance)."""
    quantity = row["in"] - row["out"]
    if row["kind"] == "reversal" and quantity > 0:
        return row["date"], 1, row["reverses_id"], 1
    if row["kind"] != "reversal" and quantity < 0 and row["reversed"]:
        return row["date"], 1, row["id"], 0
    return row["date"], 0 if row["kind"] != "reversal" and quantity > 0 else 2, row["id"], 0


def _kind_label(row: Mapping[str, Any]) -> str:
    label = _zh(f"supplies.code.{row['kind']}")
    return _zh("supplies.ledger.reversed_kind", kind=label) if row["reversed"] else label


def _movements_sheet(sheet: Worksheet, books: list[tuple[dict, int, list[dict]]], start: date) -> None:
    """The import sheet, first in the workbook (the importer reads the first sheet): the import columns
    of ``supply_movements`` with their Chinese headers and who handled each row; per item a brought-forward
    row, then the period's rows in :func:`_import_order`."""
    sheet.title = _zh("supplies.ledger.movements_sheet")
    append_row(sheet, [column.chinese for column in MOVEMENT_COLUMNS] + [_zh("supplies.field.entered_by")])
    for item, opening, rows in books:
        if opening:
            append_row(sheet, [item["name"], start - timedelta(days=1), _zh(f"supplies.code.{BROUGHT_FORWARD}"),
                          opening, None, None, None, None])
        for row in sorted(rows, key=_import_order):
            quantity = row["in"] - row["out"] if row["kind"] == "adjustment" else row["in"] + row["out"]
            recipient = _zh(f"supplies.code.{row['recipient_kind']}") if row["recipient_kind"] else None
            append_row(sheet, [item["name"], row["date"], _zh(f"supplies.code.{row['kind']}"), quantity,
                          row["counterparty"], row["note"], recipient, row["entered_by"]])
    finish_table(sheet, 1, number_columns=(4,))


def _summary_sheet(sheet: Worksheet, books: list[tuple[dict, int, list[dict]]], period: str) -> None:
    sheet.title = _zh("supplies.ledger.summary_sheet")
    header = title_rows(sheet, (_zh("supplies.ledger.summary_title"), period), len(SUMMARY_COLUMNS))
    append_row(sheet, [_zh(key) for key in SUMMARY_COLUMNS])
    for item, opening, rows in books:
        received, issued = sum(row["in"] for row in rows), sum(row["out"] for row in rows)
        append_row(sheet, [item["name"], item["unit"], item["category"], item["safety_stock"], opening, received,
                      issued, opening + received - issued])
    finish_table(sheet, header, number_columns=range(4, 9))


def _item_sheet(sheet: Worksheet, item: dict, opening: int, rows: list[dict], start: date, period: str) -> None:
    """One item's page of the paper ledger: brought forward, each movement with the balance after it, totals."""
    header = title_rows(sheet, (
        _zh("supplies.ledger.title"),
        _zh("supplies.ledger.item_line", item=item["name"], unit=item["unit"], category=item["category"] or "—",
            safety_stock=item["safety_stock"]),
        period), len(LEDGER_COLUMNS))
    append_row(sheet, [_zh(f"supplies.field.{name}") for name in LEDGER_COLUMNS])
    append_row(sheet, [start - timedelta(days=1), _zh(f"supplies.code.{BROUGHT_FORWARD}"), None, None, opening])
    for row in rows:
        append_row(sheet, [row["date"], _kind_label(row), row["in"] or None, row["out"] or None, row["balance"],
                      row["counterparty"], row["entered_by"], row["note"]])
    received, issued = sum(row["in"] for row in rows), sum(row["out"] for row in rows)
    append_row(sheet, [None, _zh("supplies.ledger.total"), received, issued, opening + received - issued])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    finish_table(sheet, header, number_columns=(3, 4, 5))


def ledger_workbook(conn: Connection, start: date, end: date, item_ids: tuple[int, ...] | None = None,
                    actor: Actor | None = None) -> bytes:
    """The in/out ledger (出入库台账) of ``start`` to ``end`` as an Excel workbook with Chinese headers.

    The first sheet lists every row in the columns of the ``supply_movements``
    import, so that the workbook imports back as it is: per item a
    brought-forward row (上期结转) carries the stock of the day before ``start``.
    A summary sheet follows (opening, in, out and closing stock per item; the
    workbook opens on it), then one sheet per item laid out like the paper
    ledger: date, kind, in, out, balance, counterparty, handled by, note, with
    the brought-forward line first and the period's totals last. The closing
    balances are the items' stock on hand at the end of ``end``. Every item
    that is active or has stock or movements is included; ``item_ids`` limits
    the items (a clerk's assignment). ID and phone numbers typed into a
    counterparty or note are masked unless ``actor`` may see them.
    """
    books = []
    for item in list_items(conn):
        if item_ids is not None and item["id"] not in item_ids:
            continue
        opening = _balance(conn, item["id"], start - timedelta(days=1))
        rows = presented(ledger(conn, item["id"], start, end), actor)
        if item["active"] or opening or rows:
            books.append((item, opening, rows))
    period = _zh("supplies.ledger.period", start=start.isoformat(), end=end.isoformat())
    workbook = Workbook()
    _movements_sheet(workbook.active, books, start)
    _summary_sheet(workbook.create_sheet(), books, period)
    used = {sheet.title.lower() for sheet in workbook.worksheets}
    for item, opening, rows in books:
        _item_sheet(workbook.create_sheet(unique_sheet_title(item["name"], used)), item, opening, rows, start, period)
    workbook.active = 1
    for sheet in workbook.worksheets:
        sheet.sheet_view.tabSelected = sheet is workbook.active
    return saved(workbook)


def export_ledger(engine: Engine, start: date, end: date, item_ids: tuple[int, ...] | None = None,
                  actor: Actor | None = None) -> bytes:
    """:func:`ledger_workbook` on a connection of its own, for a download generated when it is asked for."""
    with engine.connect() as conn:
        return ledger_workbook(conn, start, end, item_ids, actor)
