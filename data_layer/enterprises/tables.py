"""The enterprises domain's tables (the registry, its status history, conditions, inspections, rectification
items and their closures, and the per-day tables derived from them) and its vocabulary: the codes and their
words in the reader's language."""

from __future__ import annotations

import re
from collections.abc import Iterable

import sqlalchemy as sa

from data_layer.db import import_batch_column, metadata
from data_layer.i18n import LANGUAGES, translate

DOMAIN = "enterprises"
KINDS = ("enterprise", "shop")
STATUSES = ("not_reopened", "applied", "reopened", "suspended", "closed")
REASONS = ("workers_short", "ppe_short", "materials_short", "weak_demand", "sector_restricted", "other")
CONDITIONS = (
    "temperature_checks",
    "disinfection_twice_daily",
    "masks_for_staff",
    "entry_exit_register",
    "isolation_room",
    "ppe_reserve",
    "staff_health_register",
)
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
    "enterprises",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("sector", sa.String(50), nullable=False),
    sa.Column("grid", sa.String(50), nullable=False),
    sa.Column("address", sa.String(200)),
    sa.Column("employees", sa.Integer, nullable=False),
    sa.Column("contact", sa.String(100)),
    sa.Column("registered_on", sa.Date, nullable=False),
    import_batch_column(),
    sa.UniqueConstraint("name", name="uq_enterprises_name"),
)

status_changes = sa.Table(
    "enterprise_status_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("effective_date", sa.Date, nullable=False),
    sa.Column("reason", sa.String(30)),
    sa.Column("note", sa.Text),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    import_batch_column(),
    sa.Index("ix_enterprise_status_changes_enterprise_id_effective_date_id", "enterprise_id", "effective_date", "id"),
    sa.Index("ix_enterprise_status_changes_changed_at", "changed_at"),
)

conditions = sa.Table(
    "enterprise_conditions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("condition", sa.String(40), nullable=False),
    sa.Column("met", sa.Boolean, nullable=False),
    sa.Column("checked_on", sa.Date, nullable=False),
    sa.Column("checked_by", sa.String(100), nullable=False),
    sa.Index("ix_enterprise_conditions_enterprise_id_checked_on", "enterprise_id", "checked_on"),
)

inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("inspector", sa.String(100), nullable=False),
    sa.Column("findings", sa.Text),
    sa.Index("ix_inspections_enterprise_id_date", "enterprise_id", "date"),
    sa.Index("ix_inspections_date", "date"),
)

rectifications = sa.Table(
    "rectifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("inspection_id", sa.Integer, sa.ForeignKey("inspections.id"), nullable=False),
    sa.Column("enterprise_id", sa.Integer, sa.ForeignKey("enterprises.id"), nullable=False),
    sa.Column("item", sa.Text, nullable=False),
    sa.Column("deadline", sa.Date, nullable=False),
    sa.Index("ix_rectifications_inspection_id", "inspection_id"),
    sa.Index("ix_rectifications_enterprise_id", "enterprise_id"),
)

rectification_closures = sa.Table(
    "rectification_closures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("rectification_id", sa.Integer, sa.ForeignKey("rectifications.id"), nullable=False),
    sa.Column("closed_on", sa.Date, nullable=False),
    sa.Column("verified_by", sa.String(100), nullable=False),
    sa.Column("note", sa.Text),
    sa.UniqueConstraint("rectification_id", name="uq_rectification_closures_rectification_id"),
)


enterprise_status_days = sa.Table(
    "enterprise_status_days",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(30)),
    sa.Column("enterprises", sa.Integer, nullable=False),
    sa.Index("ix_enterprise_status_days_status_reason_day", "status", "reason", "day"),
)
"""Derived from the status history, kept in the transaction of every registration and status change: how many
enterprises hold a status with a reason at the end of ``day``, and on every later day up to the next row of that
status and reason (a running total, :mod:`data_layer.db.running`). The figures of a day read one row of each
:data:`HELD_KEYS`, so they need not find every enterprise's newest change, nor sum a growing history."""

rectification_days = sa.Table(
    "rectification_days",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("open", sa.Integer, nullable=False),
    sa.Column("overdue", sa.Integer, nullable=False),
    sa.Index("ix_rectification_days_day", "day"),
)
"""Derived like :data:`enterprise_status_days`, from inspections and closures: how many rectification items are
open, and open past their deadline, at the end of ``day`` and up to the next row."""

HELD_KEYS: tuple[tuple[str, str | None], ...] = (
    *((status, None) for status in STATUSES),
    *((status, reason) for status in STATUSES_WITH_REASON for reason in REASONS),
)
"""Every status with every reason it may hold (none, or one of :data:`REASONS` for
:data:`STATUSES_WITH_REASON`): the keys of :data:`enterprise_status_days`."""


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
