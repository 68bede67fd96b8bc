"""What the supplies pages share: who may enter which items, the entry forms and their messages, and the
item master (on the supplies page and the administration page).

The supplies page and the quick-entry page show the same issue form
(:func:`quick_issue_form` is the supplies page's out form limited to issues),
so a storekeeper meets one form wherever they enter. The usual entry — masks
issued to the clerk's own checkpoint — needs only the quantity and one tap:
the form proposes the item issued most often and the clerk's checkpoint (or
the newest recipient). After a save the script reruns, so every figure on the
page already includes the entry; the saved message names the new stock.

Quantities are text fields and entry dates are not capped at today: the data
layer refuses a word, a negative number or a future date and the form shows
which field is wrong, where a capped picker would silently put today instead.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, timedelta

import pandas as pd
import streamlit as st
from openpyxl.utils.exceptions import InvalidFileException

from data_layer import clock
from data_layer.checkpoints import list_checkpoints
from data_layer.db import Actor, WriteContext
from data_layer.errors import CommandPostError
from data_layer.i18n import format_day, format_number
from data_layer.markdown import plain
from data_layer.permissions import may_write, unit_limit
from data_layer.supplies import (
    DOMAIN,
    IN_KINDS,
    OUT_KINDS,
    RECENT_DAYS,
    RECIPIENT_KINDS,
    add_item,
    add_movement,
    cover_days,
    edit_item,
    figures,
    issue_proposals,
    list_items,
    record_stock_count,
    reverse_movement,
    reversible_movements,
    stock_on,
)
from data_layer.transfer import IMPORT_FILE_TYPES, import_file
from ui.forms import entry_form, save, store
from ui.messages import refusal_lines, remember_saved, show_saved
from ui.progress import progress_bar
from ui.session import actor, engine, language, read, t

QUICK_ISSUE_FORM = "supplies-quick-issue"
LAST_ITEM_KEY = "supplies:last_item"
LAST_RECIPIENT_KEY = "supplies:last_recipient"
IMPORT_ROUND_KEY = "supplies:import_round"
MAX_SHOWN_IMPORT_ERRORS = 30
STATUS_COLOURS = {"ok": "#4ade80", "below_safety": "#facc15", "under_3_days": "#fb923c", "out": "#f87171"}
COUNTERPARTY_LABELS = {
    "purchase": "supplies.page.supplier",
    "donation": "supplies.page.donor",
    "allocation": "supplies.page.allocator",
    "issue": "supplies.page.recipient",
    "transfer_out": "supplies.page.receiving_unit",
}
UNREADABLE_FILE = (InvalidFileException, zipfile.BadZipFile, UnicodeDecodeError, ValueError, KeyError)


# Who may do what ------------------------------------------------------------------------------------------------


def assigned_items(who: Actor) -> tuple[int, ...] | None:
    """The item ids a clerk is assigned when the assignment names items; ``None`` means every item."""
    units = unit_limit(who, DOMAIN)
    return None if units is None else tuple(sorted(units))


def items_for(who: Actor) -> list[dict]:
    """The active items ``who`` sees and enters: a clerk's assigned ones when named, else all."""
    chosen = assigned_items(who)
    return [item for item in read(list_items, False) if chosen is None or item["id"] in chosen]


def own_checkpoint(who: Actor) -> str | None:
    """The name of the clerk's checkpoint when their assignment names checkpoints (the first by name)."""
    units = unit_limit(who, "checkpoints")
    if not units:
        return None
    names = [row["name"] for row in read(list_checkpoints, False) if row["id"] in units]
    return names[0] if names else None


# Messages -------------------------------------------------------------------------------------------------------


# Words ----------------------------------------------------------------------------------------------------------


def code_label(code: str | None) -> str:
    return t(f"supplies.code.{code}") if code else "—"


def status_colour(label: str) -> str:
    """The cell style of a status shown by :func:`code_label`: traffic-light colours, green to red."""
    colours = {code_label(status): colour for status, colour in STATUS_COLOURS.items()}
    return f"color: {colours[label]}; font-weight: bold" if label in colours else ""


def quantity_text(quantity: int, unit: str) -> str:
    return f"{format_number(quantity, language())} {unit}"


def stock_now_text(item_id: int) -> str:
    """The item's stock and days of cover as of today, for the message after a save."""
    entry = next(entry for entry in read(figures, clock.today(), cover_days()) if entry["item_id"] == item_id)
    return t(
        "supplies.page.stock_now",
        on_hand=plain(quantity_text(entry["on_hand"], entry["unit"])),
        days=format_number(entry["days_of_cover"], language(), 1),
    )


def show_refusal(refusal: CommandPostError) -> None:
    """A refused import, one line per bad row (the first rows when there are many)."""
    lines = refusal_lines(refusal)
    shown = lines[:MAX_SHOWN_IMPORT_ERRORS]
    if len(lines) > len(shown):
        shown.append(t("supplies.page.more_errors", count=len(lines) - len(shown)))
    st.error("\n\n".join(shown))


# Choices --------------------------------------------------------------------------------------------------------


def _item_picker(label: str, items: list[dict], preferred: int | None, stock: Mapping[int, int]) -> int:
    """An item select whose choices show the stock on hand, so the clerk sees it before entering."""
    ids = [item["id"] for item in items]
    names = {
        item["id"]: t(
            "supplies.page.item_choice",
            item=item["name"],
            on_hand=quantity_text(stock.get(item["id"], 0), item["unit"]),
        )
        for item in items
    }
    return st.selectbox(
        label, ids, index=ids.index(preferred) if preferred in ids else 0, format_func=names.__getitem__
    )


def _recipient_choices(who: Actor) -> tuple[list[tuple[str, str | None]], tuple[str, str | None] | None]:
    """The known recipients as (name, recipient kind) and the one to propose: the recipient of the clerk's
    last issue in this session, else their checkpoint, else the newest recipient in the ledger."""
    defaults = read(issue_proposals, who.username, clock.today(), assigned_items(who))
    checkpoint = own_checkpoint(who)
    choices: list[tuple[str, str | None]] = [(checkpoint, "checkpoint")] if checkpoint else []
    for row in defaults["recipients"]:
        choices.append((row["counterparty"], row["recipient_kind"]))
    choices += [(row["name"], "checkpoint") for row in read(list_checkpoints, False)]
    unique = list(dict.fromkeys(choices))
    remembered = st.session_state.get(LAST_RECIPIENT_KEY)
    proposed = remembered or ((checkpoint, "checkpoint") if checkpoint else None)
    if proposed is None and defaults["counterparty"]:
        proposed = (defaults["counterparty"], defaults["recipient_kind"])
    if proposed is not None and proposed not in unique:
        unique.insert(0, proposed)
    return unique, proposed


def _recipient_text(choice: tuple[str, str | None]) -> str:
    name, kind = choice
    return f"{name} · {code_label(kind)}" if kind else name


def _preferred_item(who: Actor) -> int | None:
    remembered = st.session_state.get(LAST_ITEM_KEY)
    if remembered is not None:
        return remembered
    return read(issue_proposals, who.username, clock.today(), assigned_items(who))["item_id"]


def _stock_by_item() -> dict[int, int]:
    return {entry["item_id"]: entry["on_hand"] for entry in read(figures, clock.today(), cover_days())}


def _kind_picker(label: str, kinds: tuple[str, ...], key: str) -> str:
    """The kind of movement, outside the form so the form shows the fields that kind needs."""
    if len(kinds) == 1:
        return kinds[0]
    chosen = st.segmented_control(
        label, kinds, default=kinds[0], format_func=code_label, required=True, key=key, width="stretch"
    )
    return chosen or kinds[0]


# Entry forms ----------------------------------------------------------------------------------------------------


def _store_movement(slot: str, form_name: str, data: dict, item: Mapping, recipient: tuple | None) -> None:
    """Store one movement and, once stored, rerun with a message that names it and the new stock."""

    def remember(movement_id: int) -> None:
        st.session_state[LAST_ITEM_KEY] = item["id"]
        if recipient is not None:
            st.session_state[LAST_RECIPIENT_KEY] = recipient
        counterparty = f" → {plain(data['counterparty'])}" if data.get("counterparty") else ""
        remember_saved(
            slot,
            t(
                "supplies.page.saved_movement",
                id=movement_id,
                kind=code_label(data["kind"]),
                item=plain(item["name"]),
                quantity=plain(data["quantity"]),
                unit=plain(item["unit"]),
                counterparty=counterparty,
                day=format_day(data["date"], language()),
            )
            + " "
            + stock_now_text(item["id"]),
        )

    if save(form_name, add_movement, data, then=remember) is not None:
        st.rerun()


def out_form(slot: str, kinds: tuple[str, ...] = OUT_KINDS) -> None:
    """Stock going out: an issue (to a checkpoint, site, grid or person), a transfer out or scrapping.

    Everything but the quantity is proposed: the kind issue, the item issued
    most often, the clerk's checkpoint or the newest recipient, today. A
    recipient not in the list can be typed in; its type is then taken from
    the type field. A quantity beyond the stock is refused with the stock on
    hand in the message.
    """
    who = actor()
    items = items_for(who)
    if not items:
        st.info(t("supplies.page.no_item_to_enter"))
        return
    kind = _kind_picker(t("supplies.page.out_kind"), kinds, f"{slot}:kind")
    form_name = f"{slot}-{kind}"
    by_id = {item["id"]: item for item in items}
    choices, proposed = _recipient_choices(who) if kind == "issue" else ([], None)
    with entry_form(form_name):
        item_id = _item_picker(t("supplies.field.item"), items, _preferred_item(who), _stock_by_item())
        recipient, new_recipient_kind, counterparty = None, None, None
        if kind == "issue":
            recipient = st.selectbox(
                t("supplies.page.recipient"),
                choices,
                format_func=_recipient_text,
                index=choices.index(proposed) if proposed in choices else None,
                accept_new_options=True,
                placeholder=t("supplies.page.recipient_hint"),
            )
        elif kind in COUNTERPARTY_LABELS:
            counterparty = st.text_input(t(COUNTERPARTY_LABELS[kind]))
        quantity = st.text_input(t("supplies.field.quantity"), placeholder=t("supplies.page.quantity_hint"))
        day = st.date_input(t("supplies.field.date"), value=clock.today())
        if kind == "issue":
            new_recipient_kind = st.selectbox(
                t("supplies.page.new_recipient_kind"), RECIPIENT_KINDS, format_func=code_label
            )
        note = st.text_input(t("supplies.page.scrap_reason" if kind == "scrap" else "supplies.field.note"))
        submitted = st.form_submit_button(t(f"supplies.page.save_{kind}"), type="primary", width="stretch")
    if submitted:
        if isinstance(recipient, str):
            recipient = (recipient.strip(), new_recipient_kind)
        data = {
            "item": item_id,
            "date": day,
            "kind": kind,
            "quantity": quantity,
            "note": note,
            "counterparty": recipient[0] if recipient else counterparty,
            "recipient_kind": recipient[1] if recipient else None,
        }
        _store_movement(slot, form_name, data, by_id[item_id], recipient)
    show_saved(slot)


def quick_issue_form() -> None:
    """The quick-entry page's issue: the supplies page's out form with the kind fixed to issue."""
    if may_write(actor(), DOMAIN):
        out_form(QUICK_ISSUE_FORM, ("issue",))


def in_form(slot: str) -> None:
    """Stock coming in: a purchase (from a supplier), a donation (the donor is required) or an allocation
    from the level above."""
    who = actor()
    items = items_for(who)
    if not items:
        st.info(t("supplies.page.no_item_to_enter"))
        return
    kind = _kind_picker(t("supplies.page.in_kind"), IN_KINDS, f"{slot}:kind")
    form_name = f"{slot}-{kind}"
    by_id = {item["id"]: item for item in items}
    with entry_form(form_name):
        item_id = _item_picker(t("supplies.field.item"), items, st.session_state.get(LAST_ITEM_KEY), _stock_by_item())
        counterparty = st.text_input(t(COUNTERPARTY_LABELS[kind]))
        quantity = st.text_input(t("supplies.field.quantity"), placeholder=t("supplies.page.quantity_hint"))
        day = st.date_input(t("supplies.field.date"), value=clock.today())
        note = st.text_input(t("supplies.field.note"))
        submitted = st.form_submit_button(t(f"supplies.page.save_{kind}"), type="primary", width="stretch")
    if submitted:
        data = {
            "item": item_id,
            "date": day,
            "kind": kind,
            "quantity": quantity,
            "counterparty": counterparty,
            "note": note,
        }
        _store_movement(slot, form_name, data, by_id[item_id], None)
    show_saved(slot)


def _count_outcome(
    ctx: WriteContext, item_id: int, day: date, counted: str, reason: str
) -> tuple[int | None, int, int]:
    """The stock count with what a clerk wants to read afterwards: the adjustment's id (``None`` when the count
    agrees with the ledger), the ledger's stock before and the counted stock. Being a tuple, it also tells a
    count that stored nothing apart from a refusal, which :func:`ui.forms.save` reports as ``None``."""
    before = stock_on(ctx.conn, item_id, day) if isinstance(day, date) else 0
    adjustment = record_stock_count(ctx, item_id, day, counted, reason)
    return adjustment, before, stock_on(ctx.conn, item_id, day)


def stock_count_form(slot: str) -> None:
    """A stock count (盘点): the quantity found; the ledger stores the difference as an adjustment."""
    items = items_for(actor())
    if not items:
        st.info(t("supplies.page.no_item_to_enter"))
        return
    by_id = {item["id"]: item for item in items}
    with entry_form(slot):
        item_id = _item_picker(t("supplies.field.item"), items, st.session_state.get(LAST_ITEM_KEY), _stock_by_item())
        day = st.date_input(t("supplies.page.count_day"), value=clock.today())
        counted = st.text_input(t("supplies.field.counted_quantity"), placeholder=t("supplies.page.quantity_hint"))
        reason = st.text_input(t("supplies.field.reason"), placeholder=t("supplies.page.count_reason_hint"))
        submitted = st.form_submit_button(t("supplies.page.save_count"), type="primary", width="stretch")
    if submitted:

        def counted_text(outcome: Sequence) -> str:
            adjustment, before, after = outcome
            item = by_id[item_id]
            message = "supplies.page.count_agrees" if adjustment is None else "supplies.page.count_adjusted"
            return (
                t(
                    message,
                    item=plain(item["name"]),
                    counted=plain(quantity_text(after, item["unit"])),
                    difference=f"{after - before:+,}",
                    id=adjustment,
                )
                + " "
                + stock_now_text(item_id)
            )

        store(slot, _count_outcome, item_id, day, counted, reason, said=counted_text)
    show_saved(slot)


def _movement_choice(row: Mapping) -> str:
    return t(
        "supplies.page.movement_choice",
        id=row["id"],
        day=format_day(row["date"], language()),
        kind=code_label(row["kind"]),
        item=row["item"],
        quantity=f"{row['quantity']:+,}",
        unit=row["unit"],
        counterparty=row["counterparty"] or "—",
    )


def reversal_form(slot: str) -> None:
    """Cancel one movement of the last 30 days with a reason; both rows stay in the ledger."""
    today = clock.today()
    rows = read(reversible_movements, today - timedelta(days=RECENT_DAYS - 1), today, assigned_items(actor()))
    if not rows:
        st.caption(t("supplies.page.nothing_to_reverse"))
        show_saved(slot)
        return
    by_id = {row["id"]: row for row in rows}
    with entry_form(slot):
        movement_id = st.selectbox(
            t("supplies.field.movement"),
            list(by_id),
            index=None,
            format_func=lambda number: _movement_choice(by_id[number]),
            placeholder=t("supplies.page.movement_hint"),
        )
        reason = st.text_input(t("supplies.field.reason"))
        submitted = st.form_submit_button(t("supplies.page.save_reversal"), type="primary", width="stretch")
    if submitted:

        def reversed_text(reversal_id: int) -> str:
            row = by_id[movement_id]
            return (
                t("supplies.page.reversed", id=reversal_id, original=plain(_movement_choice(row)))
                + " "
                + stock_now_text(row["item_id"])
            )

        store(slot, reverse_movement, movement_id, reason, said=reversed_text)
    show_saved(slot)


def import_form(slot: str) -> None:
    """Import an in/out ledger (CSV or Excel, the exported ledger workbook included); all rows or none."""
    round_number = st.session_state.get(IMPORT_ROUND_KEY, 0)
    uploaded = st.file_uploader(
        t("supplies.page.import_file"),
        type=list(IMPORT_FILE_TYPES),
        key=f"{slot}-{round_number}",
        help=t("supplies.page.import_help"),
    )
    if uploaded is not None and st.button(t("supplies.page.import_button"), type="primary", width="stretch"):
        try:
            with progress_bar(t("admin.import.running", file=plain(uploaded.name))) as progress:
                stored = import_file(
                    engine(), actor(), "supply_movements", uploaded.getvalue(), uploaded.name, progress=progress
                )
        except CommandPostError as refusal:
            show_refusal(refusal)
        except UNREADABLE_FILE:
            st.error(t("supplies.page.import_unreadable", file=plain(uploaded.name)))
        else:
            st.session_state[IMPORT_ROUND_KEY] = round_number + 1
            remember_saved(slot, t("supplies.page.imported", count=stored, file=plain(uploaded.name)))
            st.rerun()
    show_saved(slot)


# The item master ------------------------------------------------------------------------------------------------


def _item_fields(values: Mapping[str, object]) -> dict[str, object]:
    """The item fields of a master-data form, prefilled with ``values``."""
    return {
        "name": st.text_input(t("supplies.field.name"), value=values.get("name") or ""),
        "unit": st.text_input(t("supplies.field.unit"), value=values.get("unit") or ""),
        "category": st.text_input(t("supplies.field.category"), value=values.get("category") or ""),
        "safety_stock": st.text_input(t("supplies.field.safety_stock"), value=str(values.get("safety_stock", 0))),
    }


def add_item_form(slot: str) -> None:
    with entry_form(slot, clear_on_submit=False):
        values = _item_fields({})
        submitted = st.form_submit_button(t("supplies.page.add_item"), type="primary", width="stretch")
    if submitted:
        store(slot, add_item, values, said=t("supplies.page.item_added", item=plain(values["name"])))
    show_saved(slot)


def edit_item_form(slot: str, items: list[dict]) -> None:
    """Rename an item, or set its unit, category, safety stock or whether it is still in use."""
    by_id = {item["id"]: item for item in items}
    item_id = st.selectbox(t("supplies.page.item_to_edit"), list(by_id), format_func=lambda key: by_id[key]["name"])
    item = by_id[item_id]
    form_name = f"{slot}-{item_id}"
    with entry_form(form_name):
        values = _item_fields(item)
        values["active"] = st.checkbox(t("supplies.field.active"), value=bool(item["active"]))
        submitted = st.form_submit_button(t("supplies.page.save_item"), type="primary", width="stretch")
    if submitted:
        saved = t("supplies.page.item_saved", item=plain(str(values["name"]).strip() or item["name"]))
        store(form_name, edit_item, item_id, values, said=saved, slot=slot)
    show_saved(slot)


def items_view() -> None:
    """The item master (administrator): every item, a form to add one and a form to change one."""
    items = read(list_items, True)
    if items:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        t("supplies.field.name"): item["name"],
                        t("supplies.field.unit"): item["unit"],
                        t("supplies.field.category"): item["category"] or "",
                        t("supplies.field.safety_stock"): format_number(item["safety_stock"], language()),
                        t("supplies.field.active"): "✓" if item["active"] else "—",
                    }
                    for item in items
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    add_column, edit_column = st.columns(2)
    with add_column:
        st.markdown(f"**{t('supplies.page.add_item_title')}**")
        add_item_form("supplies-item-add")
    with edit_column:
        st.markdown(f"**{t('supplies.page.edit_item_title')}**")
        if items:
            edit_item_form("supplies-item-edit", items)
