"""Supplies (物资): items, the in/out ledger, stock counts and the stock figures (design §4.3).

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

The package's modules:

- :mod:`~data_layer.supplies.tables`: the tables (items, movements, the per-day stock derived from them), the
  vocabulary (kinds, recipient kinds, statuses, limits) and what makes a movement effective;
- :mod:`~data_layer.supplies.master`: the items, the administrator's master data;
- :mod:`~data_layer.supplies.entries`: movements, reversals, stock counts, import files and the per-day stock
  kept with them;
- :mod:`~data_layer.supplies.figures`: the stock figures of a date, the pure functions that define them, an
  item's stock on a day, its history, the consumption per recipient and the store's last entry and silence;
- :mod:`~data_layer.supplies.lists`: an item's ledger, the reversible movements and the issue form's proposals;
- :mod:`~data_layer.supplies.transfer`: the import/export kinds and the paper ledger as an Excel workbook.

The names other modules use are re-exported here.
"""

from data_layer.supplies.entries import (
    add_movement,
    add_movements_batch,
    rebuild_supply_daily_stock,
    record_stock_count,
    reverse_movement,
)
from data_layer.supplies.figures import (
    consumption_by_recipient,
    cover_days,
    figures,
    item_status,
    last_entry_at,
    stock_figures,
    stock_history,
    stock_moving,
    stock_on,
    store_silent,
)
from data_layer.supplies.lists import IssueProposals, issue_proposals, ledger, reversible_movements
from data_layer.supplies.master import add_item, edit_item, list_items, rename_item, set_item
from data_layer.supplies.tables import (
    BURN_DAYS,
    DOMAIN,
    ENTRY_KINDS,
    IN_KINDS,
    KINDS,
    OUT_KINDS,
    RECENT_DAYS,
    RECIPIENT_KINDS,
    ROUND_DAYS,
    STATUSES,
    supply_items,
    supply_movements,
)
from data_layer.supplies.transfer import TRANSFER_KINDS, export_ledger, ledger_workbook

__all__ = [
    "BURN_DAYS",
    "DOMAIN",
    "ENTRY_KINDS",
    "IN_KINDS",
    "KINDS",
    "OUT_KINDS",
    "RECENT_DAYS",
    "RECIPIENT_KINDS",
    "ROUND_DAYS",
    "STATUSES",
    "TRANSFER_KINDS",
    "IssueProposals",
    "add_item",
    "add_movement",
    "add_movements_batch",
    "consumption_by_recipient",
    "cover_days",
    "edit_item",
    "export_ledger",
    "figures",
    "issue_proposals",
    "item_status",
    "last_entry_at",
    "ledger",
    "ledger_workbook",
    "list_items",
    "rebuild_supply_daily_stock",
    "record_stock_count",
    "rename_item",
    "reverse_movement",
    "reversible_movements",
    "set_item",
    "stock_figures",
    "stock_history",
    "stock_moving",
    "stock_on",
    "store_silent",
    "supply_items",
    "supply_movements",
]
