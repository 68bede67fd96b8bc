"""The quarantine domain's tables and vocabulary: sites, persons, episodes, their changes and follow-ups, the
per-day follow-up table derived from them, and the codes, limits and defaults the rules speak of."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa

from data_layer.db import import_batch_column, metadata

DOMAIN = "quarantine"
MODES = ("centralized", "home", "monitoring")
STATUSES = ("active", "released", "transferred", "ended_other")
SLOTS = ("AM", "PM")
CHANGE_KINDS = ("extend", "shorten", "release", "transfer", "end_other")
DEFAULT_ORIGIN_CATEGORIES = ("high_risk_area", "other_province", "in_province_other_city", "close_contact", "abroad")
DEFAULT_PLANNED_DAYS = 14
MIN_TEMPERATURE = 34.0
MAX_TEMPERATURE = 43.0
DUE_WINDOW_DAYS = 3
BEDS_OUTLOOK_DAYS = 7
"""How many days ahead the beds outlook of each centralized site goes."""
FULL_WITHIN_DAYS = 3
"""A site whose beds are projected to run out within this many days is an alert."""
WITHHELD_NAME = "***"
FOLLOWUPS_PER_DAY = len(SLOTS)
FOLLOWUP_ROUND_DUE = {"AM": time(11), "PM": time(17)}
"""When a site's follow-up rounds of a day are due: the morning round (AM) by 11:00, the afternoon round (PM) by
17:00. From then on a site that lacks the round for anyone in it is silent (design §4.2)."""
LOOKUP_CHUNK = 1000

quarantine_sites = sa.Table(
    "quarantine_sites",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("address", sa.String(200)),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    import_batch_column(),
    sa.UniqueConstraint("name", name="uq_quarantine_sites_name"),
)

persons = sa.Table(
    "persons",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("id_number", sa.String(18), nullable=False),
    sa.Column("phone", sa.String(11), nullable=False),
    sa.Column("grid", sa.String(100), nullable=False),
    sa.Column("address", sa.String(200)),
    sa.Column("origin", sa.String(200)),
    sa.Column("origin_category", sa.String(40), nullable=False),
    import_batch_column(),
    sa.UniqueConstraint("id_number", name="uq_persons_id_number"),
)

quarantine_episodes = sa.Table(
    "quarantine_episodes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id"), nullable=False),
    sa.Column("mode", sa.String(20), nullable=False),
    sa.Column("site_id", sa.Integer, sa.ForeignKey("quarantine_sites.id")),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("planned_days", sa.Integer, nullable=False),
    sa.Column("planned_end", sa.Date, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Column("reason", sa.String(200)),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    import_batch_column(),
    sa.Index("ix_quarantine_episodes_person_id_status", "person_id", "status"),
    sa.Index("ix_quarantine_episodes_start_date", "start_date"),
    sa.Index(
        "ix_quarantine_episodes_end_date_start_date_mode_planned_end", "end_date", "start_date", "mode", "planned_end"
    ),
    sa.Index("ix_quarantine_episodes_status_planned_end", "status", "planned_end"),
    sa.Index("ix_quarantine_episodes_site_id_start_date", "site_id", "start_date"),
)

episode_changes = sa.Table(
    "episode_changes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("old_planned_end", sa.Date, nullable=False),
    sa.Column("new_planned_end", sa.Date, nullable=False),
    sa.Column("old_status", sa.String(20), nullable=False),
    sa.Column("new_status", sa.String(20), nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Column("reason", sa.String(200)),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("changed_at", sa.DateTime, nullable=False),
    import_batch_column(),
    sa.Index("ix_episode_changes_episode_id", "episode_id"),
    sa.Index("ix_episode_changes_changed_at", "changed_at"),
)

quarantine_followups = sa.Table(
    "quarantine_followups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("slot", sa.String(2), nullable=False),
    sa.Column("temperature", sa.Float, nullable=False),
    sa.Column("symptoms", sa.Boolean, nullable=False),
    sa.Column("symptom_text", sa.String(200)),
    sa.Column("by_name", sa.String(100), nullable=False),
    sa.Column("entered_by", sa.String(100), nullable=False),
    sa.Column("entered_at", sa.DateTime, nullable=False),
    sa.Column("supersedes_id", sa.Integer, sa.ForeignKey("quarantine_followups.id")),
    sa.Column("reason", sa.String(200)),
    import_batch_column(),
    sa.Index("ix_quarantine_followups_episode_id_date_slot", "episode_id", "date", "slot"),
    sa.Index("ix_quarantine_followups_date_temperature", "date", "temperature"),
    sa.Index("ix_quarantine_followups_supersedes_id", "supersedes_id"),
)

quarantine_followup_days = sa.Table(
    "quarantine_followup_days",
    metadata,
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("episode_id", sa.Integer, sa.ForeignKey("quarantine_episodes.id"), primary_key=True),
    sa.Column("readings", sa.Integer, nullable=False),
    sqlite_with_rowid=False,
)
"""Derived from the follow-ups, kept in the transaction of every follow-up and correction: per day and
episode, how many effective follow-ups are dated that day. "Follow-ups missing today" looks up each current
episode here once, instead of counting its readings and asking of each whether a correction superseded it
(see :func:`update_quarantine_followup_days`)."""
