"""Ledger writes: movements, reversals, stock counts and import files, checked against the stock, and the per-day
stock table kept with them."""

from __future__ import annotations

from bisect import bisect_right, insort
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Required, TypedDict

import sqlalchemy as sa
from sqlalchemy.engine import Connection, RowMapping

from data_layer import clock
from data_layer.db import Directory, Finder, Rows, WriteContext, add_from_day, referenced_row
from data_layer.errors import ValidationError
from data_layer.permissions import require_write
from data_layer.supplies.figures import balance_on
from data_layer.supplies.master import ITEMS
from data_layer.supplies.tables import (
    BROUGHT_FORWARD,
    DOMAIN,
    ENTRY_KINDS,
    IN_KINDS,
    NAME_LENGTH,
    NAMED_KINDS,
    NOTE_LENGTH,
    OUT_KINDS,
    RECIPIENT_KINDS,
    code_labels,
    effective,
    supply_daily_stock,
    supply_items,
    supply_movements,
    with_reversals,
)
from data_layer.transfer import Row
from data_layer.validation import MAX_COUNT, Checks, is_blank, raise_if_any_row


def _lock_item(conn: Connection, item_id: int) -> None:
    """Hold the item's row until the transaction ends (PostgreSQL; SQLite writers are serialized already)."""
    conn.execute(sa.select(supply_items.c.id).where(supply_items.c.id == item_id).with_for_update())


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


class Movement(TypedDict, total=False):
    """A movement to store: the item, its date, kind and signed quantity, and the optional fields."""

    item_id: Required[int]
    date: Required[date]
    kind: Required[str]
    quantity: Required[int]
    counterparty: str | None
    recipient_kind: str | None
    note: str | None
    reverses_id: int


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
            .group_by(supply_movements.c.date)
            .order_by(supply_movements.c.date)
        )
        return _lowest_from(balance_on(self.conn, item_id, day), day, later)


class _StockLedger:
    """The stock of a batch's items as the batch goes: the stored per-day net changes, read in one query
    when the batch begins (its items are locked then), plus the batch's movements accepted so far.

    The stored nets are the differences between an item's successive days in :data:`supply_daily_stock` (kept
    equal to the ledger in the transaction of every movement): a row per item and day with movements, where
    summing the ledger read every movement, 20 a day at district scale."""

    def __init__(self, conn: Connection, item_ids: Iterable[int]):
        self.nets: dict[int, dict[date, int]] = {item_id: {} for item_id in item_ids}
        stock = supply_daily_stock
        query = (
            sa.select(stock.c.item_id, stock.c.day, stock.c.on_hand)
            .where(stock.c.item_id.in_(sorted(self.nets)))
            .order_by(stock.c.item_id, stock.c.day)
        )
        rows: Rows = conn.execute(query) if self.nets else ()
        before: dict[int, int] = {}
        for item_id, day, on_hand in rows:
            net = int(on_hand) - before.get(item_id, 0)
            before[item_id] = int(on_hand)
            if net:
                self.nets[item_id][day] = net
        self.dates = {item_id: sorted(nets) for item_id, nets in self.nets.items()}
        self.totals = {item_id: sum(nets.values()) for item_id, nets in self.nets.items()}

    def lock(self, item_id: int) -> None:
        """Nothing to do: the batch's items were locked when it began."""

    def lowest(self, item_id: int, day: date) -> tuple[int, date]:
        nets, dates = self.nets[item_id], self.dates[item_id]
        later = [(later_day, nets[later_day]) for later_day in dates[bisect_right(dates, day) :]]
        return _lowest_from(self.totals[item_id] - sum(net for _, net in later), day, later)

    def add(self, item_id: int, day: date, quantity: int) -> None:
        nets = self.nets[item_id]
        if day not in nets:
            insort(self.dates[item_id], day)
            nets[day] = 0
        nets[day] += quantity
        self.totals[item_id] += quantity


def _check_stock(
    checks: Checks, stock: _StoredStock | _StockLedger, item_id: int, day: date, change: int, field: str
) -> None:
    """Refuse a change that would take the stock below zero on ``day`` or later; names the stock on hand."""
    if change >= 0:
        return
    lowest, lowest_day = stock.lowest(item_id, day)
    if lowest + change < 0:
        checks.fail(
            field, "supplies.error.insufficient_stock", on_hand=lowest, date=lowest_day.isoformat(), quantity=-change
        )


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


def _store_movement(ctx: WriteContext, action: str, values: Movement, counted_kind: str) -> int:
    """Insert one movement and count it in :data:`supply_daily_stock`; ``counted_kind`` is the kind whose
    figures it changes (a reversal's is the kind of the movement it cancels)."""
    movement_id = ctx.insert(
        supply_movements,
        action,
        {
            "counterparty": None,
            "recipient_kind": None,
            "note": None,
            "reverses_id": None,
            **values,
            "entered_by": ctx.actor.username,
            "entered_at": clock.now(),
        },
    )
    update_supply_daily_stock(ctx.conn, values["item_id"], values["date"], values["quantity"], counted_kind)
    return movement_id


def _kind_sums(quantity: int, counted_kind: str) -> dict[str, int]:
    return {
        "received": quantity if counted_kind in IN_KINDS else 0,
        "sent": quantity if counted_kind in OUT_KINDS else 0,
        "issued": quantity if counted_kind == "issue" else 0,
    }


def update_supply_daily_stock(conn: Connection, item_id: int, day: date, quantity: int, counted_kind: str) -> None:
    """Keep :data:`supply_daily_stock` equal to the ledger after a movement of ``quantity`` (signed) dated
    ``day`` was stored. ``counted_kind`` says which day sums it changes: its own kind, or for a reversal the
    kind of the movement it cancels (the reversal's quantity takes that movement out of them).

    Every path that stores movements calls this in the same transaction, through :func:`_store_movement`
    (and :func:`_store_movements` for an import file). The caller holds the
    item locked, as those do. The stock of ``day`` and of every later day of the item moves by ``quantity``.
    """
    add_from_day(
        conn, supply_daily_stock, {"item_id": item_id}, day, {"on_hand": quantity}, _kind_sums(quantity, counted_kind)
    )


def rebuild_supply_daily_stock(conn: Connection) -> None:
    """Compute :data:`supply_daily_stock` afresh from the ledger: for loaders that insert movements in bulk
    around :func:`add_movement` (the district benchmark, see :mod:`data_layer.derived`)."""
    movement = supply_movements
    per_day = (
        sa.select(
            movement.c.item_id,
            movement.c.date.label("day"),
            sa.func.sum(movement.c.quantity).label("net"),
            _total(effective() & movement.c.kind.in_(IN_KINDS)).label("received"),
            _total(effective() & movement.c.kind.in_(OUT_KINDS)).label("sent"),
            _total(effective() & (movement.c.kind == "issue")).label("issued"),
        )
        .select_from(with_reversals(movement))
        .group_by(movement.c.item_id, movement.c.date)
        .subquery()
    )
    on_hand = sa.func.sum(per_day.c.net).over(partition_by=per_day.c.item_id, order_by=per_day.c.day)
    conn.execute(supply_daily_stock.delete())
    conn.execute(
        supply_daily_stock.insert().from_select(
            ["item_id", "day", "on_hand", "received", "sent", "issued"],
            sa.select(per_day.c.item_id, per_day.c.day, on_hand, per_day.c.received, per_day.c.sent, per_day.c.issued),
        )
    )


def _writable_item(ctx: WriteContext, checks: Checks, value: object, find: Finder | None = None) -> RowMapping | None:
    """The known item ``value`` (found by ``find``, else in the store), after making sure the actor may
    enter movements of it."""
    require_write(ctx.actor, DOMAIN)
    row = referenced_row(checks, "item", value, find or ITEMS.finder(ctx.conn))
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
    values = checks.passed(_movement_values(ctx, checks, data, _StoredStock(ctx.conn)))
    return _store_movement(ctx, "supplies.movement.add", values, values["kind"])


def _movement_values(
    ctx: WriteContext,
    checks: Checks,
    data: Mapping[str, object],
    stock: _StoredStock | _StockLedger,
    find: Finder | None = None,
) -> Movement | None:
    """Check a new movement (see :func:`add_movement`) against ``stock``; the values to store, or ``None`` when a
    check failed."""
    item = _writable_item(ctx, checks, data.get("item"), find)
    day = checks.day(data.get("date"), "date")
    kind = checks.choice(data.get("kind"), "kind", ENTRY_KINDS, labels=code_labels(ENTRY_KINDS))
    change = _signed_quantity(checks, data.get("quantity"), kind)
    counterparty = checks.text(
        data.get("counterparty"), "counterparty", required=kind in NAMED_KINDS, max_length=NAME_LENGTH
    )
    recipient_kind = checks.choice(
        data.get("recipient_kind"),
        "recipient_kind",
        RECIPIENT_KINDS,
        labels=code_labels(RECIPIENT_KINDS),
        required=False,
    )
    if recipient_kind is not None and kind is not None and kind != "issue":
        checks.fail("recipient_kind", "supplies.error.recipient_only_for_issue")
    note = checks.text(data.get("note"), "note", required=kind == "adjustment", max_length=NOTE_LENGTH)
    if item is not None and day is not None and change is not None:
        stock.lock(item["id"])
        _check_stock(checks, stock, item["id"], day, change, "quantity")
    if checks.errors:
        return None
    return {
        "item_id": checks.passed(item)["id"],
        "date": checks.passed(day),
        "kind": checks.passed(kind),
        "quantity": checks.passed(change),
        "counterparty": counterparty,
        "recipient_kind": recipient_kind,
        "note": note,
    }


def _movement(conn: Connection, movement_id: int) -> RowMapping | None:
    return conn.execute(sa.select(supply_movements).where(supply_movements.c.id == movement_id)).mappings().first()


def _is_reversed(conn: Connection, movement_id: int) -> bool:
    return (
        conn.execute(sa.select(supply_movements.c.id).where(supply_movements.c.reverses_id == movement_id)).first()
        is not None
    )


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
            _check_stock(
                checks, _StoredStock(ctx.conn), original["item_id"], original["date"], -original["quantity"], "quantity"
            )
    original = checks.passed(original)
    return _store_movement(
        ctx,
        "supplies.movement.reverse",
        {
            "item_id": original["item_id"],
            "date": original["date"],
            "kind": "reversal",
            "quantity": -original["quantity"],
            "counterparty": original["counterparty"],
            "note": note,
            "reverses_id": original["id"],
        },
        original["kind"],
    )


def record_stock_count(
    ctx: WriteContext, item: object, day: object, counted_quantity: object, reason: object
) -> int | None:
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
        difference = counted - balance_on(ctx.conn, row["id"], count_day)
        _check_stock(checks, _StoredStock(ctx.conn), row["id"], count_day, difference, "counted_quantity")
    item_row, counted_on, change = checks.passed(row), checks.passed(count_day), checks.passed(difference)
    if change == 0:
        return None
    return _store_movement(
        ctx,
        "supplies.stock_count",
        {"item_id": item_row["id"], "date": counted_on, "kind": "adjustment", "quantity": change, "note": note},
        "adjustment",
    )


def _total(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    """The sum of signed quantities of the joined movements meeting ``condition`` (0 when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, supply_movements.c.quantity), else_=0)), 0)


def _reversal_target(
    checks: Checks, conn: Connection, item_id: int, day: date, quantity: int, counterparty: str | None
) -> int | None:
    """The movement an imported reversal row cancels: the newest effective movement of the item on that
    date with that quantity (and counterparty, when the row names one). Candidates that disagree on the
    direction (a receipt and an issue alike in all else) leave the row ambiguous."""
    query = (
        sa.select(supply_movements.c.id, supply_movements.c.quantity)
        .select_from(with_reversals(supply_movements))
        .where(
            effective(),
            supply_movements.c.item_id == item_id,
            supply_movements.c.date == day,
            supply_movements.c.quantity.in_((quantity, -quantity)),
        )
        .order_by(supply_movements.c.id.desc())
    )
    if counterparty is not None:
        query = query.where(supply_movements.c.counterparty == counterparty)
    candidates: Sequence[Sequence[Any]] = conn.execute(query).all()
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


def add_movement_row(ctx: WriteContext, row: Row) -> int:
    """Import one ledger row; a reversal row cancels the movement it names."""
    movement = _ledger_row(row)
    return _reverse_row(ctx, row) if movement is None else add_movement(ctx, movement)


def add_movements_batch(
    ctx: WriteContext, rows: Sequence[Row], progress: Callable[[int], None] | None = None
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
    pending: list[Movement] = []
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
            if values is not None:
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
    if reversal is None:
        raise LookupError(f"the reversal {reversal_id} stored in this transaction cannot be read")
    stock.add(reversal["item_id"], reversal["date"], reversal["quantity"])
    ids.append(reversal_id)


def _store_movements(ctx: WriteContext, values: list[Movement], now: datetime) -> list[int]:
    """Store checked movements with their audit rows and count them in the daily stock, as
    :func:`add_movement` stores one; the daily stock moves once per item, date and kind."""
    ids = ctx.insert_many(
        supply_movements,
        "supplies.movement.add",
        [{**value, "reverses_id": None, "entered_by": ctx.actor.username, "entered_at": now} for value in values],
    )
    nets: dict[tuple[int, date, str], int] = {}
    for value in values:
        key = (value["item_id"], value["date"], value["kind"])
        nets[key] = nets.get(key, 0) + value["quantity"]
    for (item_id, day, kind), quantity in sorted(nets.items()):
        update_supply_daily_stock(ctx.conn, item_id, day, quantity, kind)
    return ids
