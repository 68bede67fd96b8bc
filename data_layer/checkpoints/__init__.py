"""The checkpoints domain (design §4.1): checkpoints, their shift counts and the figures built on them.

A checkpoint (卡口) is master data the administrator keeps. At the end of each
shift its clerk enters one count entry: how many people and vehicles were
checked, how many fever readings there were and how many people were turned
back. An entry whose counts are all zero is a zero report (零报告): nothing
happened, and the checkpoint still counts as having reported.

The count ledger is append-only. A mistake is corrected by a new entry that
supersedes the wrong one and says why; an entry is *effective* while no other
entry supersedes it, and every figure counts effective entries only, so the
history of what was entered and corrected stays readable.

The package's modules:

- ``tables``: the tables (checkpoints, the count ledger, the per-day totals) and the domain's codes, fields and limits;
- ``shifts``: the duty shifts, from the ``COMMAND_POST_SHIFTS`` setting;
- ``master``: adding, renaming, opening and closing, moving and retyping checkpoints, and looking them up;
- ``counts``: count entries, zero reports, corrections and import files, and the per-day totals kept with them;
- ``figures``: the figures of a report date, the per-checkpoint table, the daily trend and the hourly throughput;
- ``lists``: a checkpoint's recent entries;
- ``transfer``: the import and export kinds (``TRANSFER_KINDS``).

This module re-exports the names the rest of the application uses.
"""

from data_layer.checkpoints.counts import (
    add_count,
    add_counts_batch,
    add_zero_report,
    correct_count,
    overlapping_entries,
    rebuild_checkpoint_daily_totals,
)
from data_layer.checkpoints.figures import (
    checkpoint_table,
    daily_trend,
    figures,
    figures_by,
    hourly_throughput,
    silent_checkpoints,
)
from data_layer.checkpoints.lists import recent_entries
from data_layer.checkpoints.master import (
    add_checkpoint,
    list_checkpoints,
    rename_checkpoint,
    set_checkpoint_active,
    set_checkpoint_kind,
    set_checkpoint_location,
)
from data_layer.checkpoints.shifts import current_shift, day_shifts, proposed_shift, shift_for, shift_starts
from data_layer.checkpoints.tables import COUNT_FIELDS, DOMAIN, KINDS, checkpoint_counts, checkpoints
from data_layer.checkpoints.transfer import TRANSFER_KINDS

__all__ = [
    "COUNT_FIELDS",
    "DOMAIN",
    "KINDS",
    "TRANSFER_KINDS",
    "add_checkpoint",
    "add_count",
    "add_counts_batch",
    "add_zero_report",
    "checkpoint_counts",
    "checkpoint_table",
    "checkpoints",
    "correct_count",
    "current_shift",
    "daily_trend",
    "day_shifts",
    "figures",
    "figures_by",
    "hourly_throughput",
    "list_checkpoints",
    "overlapping_entries",
    "proposed_shift",
    "rebuild_checkpoint_daily_totals",
    "recent_entries",
    "rename_checkpoint",
    "set_checkpoint_active",
    "set_checkpoint_kind",
    "set_checkpoint_location",
    "shift_for",
    "shift_starts",
    "silent_checkpoints",
]
