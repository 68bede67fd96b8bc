"""The enterprises domain (design §4.4): reopening of enterprises and shops (复工复产).

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

The package's modules:

- :mod:`~data_layer.enterprises.tables`: the tables, the per-day tables derived from them, and the codes
  (kinds, statuses, reasons, conditions) with their words;
- :mod:`~data_layer.enterprises.day_tables`: keeping the per-day tables in step with every write, and
  rebuilding them from the history;
- :mod:`~data_layer.enterprises.master`: the registry: finding an enterprise with its current status and
  checklist, registering and editing it, and changing its status;
- :mod:`~data_layer.enterprises.entries`: condition checks, inspections and the closing of rectification items;
- :mod:`~data_layer.enterprises.figures`: the briefing's figures, reopen rates and the reopen trend;
- :mod:`~data_layer.enterprises.lists`: rectification lists, the registry list, inspections and status history;
- :mod:`~data_layer.enterprises.transfer`: the ``enterprises`` import and export kind.
"""

from data_layer.enterprises.day_tables import rebuild_enterprise_status_days, rebuild_rectification_days
from data_layer.enterprises.entries import add_inspection, close_rectification, record_conditions
from data_layer.enterprises.figures import figures, reopen_rates, reopen_rates_by_grouping, reopen_trend
from data_layer.enterprises.lists import (
    enterprise_inspections,
    inspection_items,
    inspection_record,
    open_rectifications,
    overdue_rectifications,
    registry,
    registry_count,
    status_history,
)
from data_layer.enterprises.master import (
    add_enterprise,
    change_status,
    checklist,
    missing_conditions,
    update_enterprise,
)
from data_layer.enterprises.master import enterprise_statuses as _statuses
from data_layer.enterprises.tables import (
    CONDITIONS,
    DEFAULT_STATUS,
    DOMAIN,
    GROUPINGS,
    KINDS,
    REASONS,
    REGISTRY_LIMIT,
    STATUSES,
    STATUSES_WITH_REASON,
    TRANSITIONS,
    conditions,
    enterprise_status_days,
    enterprises,
    inspections,
    rectification_closures,
    rectification_days,
    rectifications,
    status_changes,
)
from data_layer.enterprises.transfer import TRANSFER_KINDS

__all__ = [
    "CONDITIONS",
    "DEFAULT_STATUS",
    "DOMAIN",
    "GROUPINGS",
    "KINDS",
    "REASONS",
    "REGISTRY_LIMIT",
    "STATUSES",
    "STATUSES_WITH_REASON",
    "TRANSFER_KINDS",
    "TRANSITIONS",
    "_statuses",
    "add_enterprise",
    "add_inspection",
    "change_status",
    "checklist",
    "close_rectification",
    "conditions",
    "enterprise_inspections",
    "enterprise_status_days",
    "enterprises",
    "figures",
    "inspection_items",
    "inspection_record",
    "inspections",
    "missing_conditions",
    "open_rectifications",
    "overdue_rectifications",
    "rebuild_enterprise_status_days",
    "rebuild_rectification_days",
    "record_conditions",
    "rectification_closures",
    "rectification_days",
    "rectifications",
    "registry",
    "registry_count",
    "reopen_rates",
    "reopen_rates_by_grouping",
    "reopen_trend",
    "status_changes",
    "status_history",
    "update_enterprise",
]
