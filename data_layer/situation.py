"""The situation across domains: the risk level and what needs action now.

Alerts are derived from each domain's figures for a day, never stored, so the
wall screen, the briefing and the command line agree and an alert disappears
as soon as the data that raised it is corrected. An alert carries a catalog
key and parameters, never a person's name, ID or phone number: it is shown on
the wall screen, where personal data must never appear.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection, Engine

from data_layer import checkpoints, clock, db, enterprises, quarantine, settings, supplies
from data_layer.db import WriteContext
from data_layer.i18n import format_number, translate
from data_layer.markdown import UserText, as_typed
from data_layer.permissions import require_admin
from data_layer.validation import Checks

RISK_LEVELS = ("low", "medium", "high")
RISK_SETTING = "risk_level"
NAMES_SHOWN = 3


@dataclass(frozen=True)
class Alert:
    """Something that needs action: ``severity`` is ``high`` (act now) or ``medium`` (watch)."""

    domain: str
    key: str
    severity: str
    params: dict[str, object] = field(default_factory=dict)


def alert_text(alert: Alert, language: str, user_text: UserText = as_typed) -> str:
    """The words of an alert, the same on the wall screen, on the briefing page and in its downloads: the alert's
    catalog message, with counts and stock written as the tiles write them (1,909, not 1909), days of cover with
    one decimal, and the names in it (every text parameter is typed by a user) written by ``user_text``."""
    return translate(
        alert.key, language, **{name: _alert_value(value, language, user_text) for name, value in alert.params.items()}
    )


def _alert_value(value: object, language: str, user_text: UserText) -> object:
    if isinstance(value, str):
        return user_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    return format_number(value, language, 0 if isinstance(value, int) else 1)


def risk_level(engine: Engine) -> str:
    """The area's current risk level (低/中/高), as the administrator last set it; low until set."""
    return db.get_setting(engine, RISK_SETTING, "low")


def set_risk_level(ctx: WriteContext, level: str) -> None:
    require_admin(ctx.actor)
    checks = Checks("situation")
    checked = checks.choice(level, "risk_level", RISK_LEVELS)
    db.put_setting(ctx, RISK_SETTING, checks.passed(checked))


def alerts(
    conn: Connection, day: date, briefing: Mapping[str, Any] | None = None, as_of: datetime | None = None
) -> list[Alert]:
    """Everything on ``day`` that a leader must act on, most urgent first.

    ``briefing`` is ``day``'s briefing (:func:`data_layer.briefing.build_briefing`) when the caller holds it
    already, as the briefing does: the alerts then read its figures instead of computing the day's figures again.
    ``as_of`` is the moment an unfinished day stands at (:func:`data_layer.clock.figures_moment` of ``day``
    unless given: a cached read passes it, since silence grows while the data stays the same); checkpoints silent
    at it are an alert (:func:`_silence_alerts`), which a day that is over has not.
    """
    figures = briefing if briefing is not None else _day_figures(conn, day)
    found = (
        _checkpoint_alerts(conn, day, figures["checkpoints"])
        + _silence_alerts(conn, as_of or clock.figures_moment(day))
        + _quarantine_alerts(conn, day, figures["quarantine"])
        + _beds_alerts(figures["beds_outlook"])
        + _supply_alerts(figures["supplies"])
        + _enterprise_alerts(conn, day, figures["enterprises"])
    )
    return sorted(found, key=lambda alert: alert.severity != "high")


def _day_figures(conn: Connection, day: date) -> dict[str, Any]:
    """The parts of ``day``'s briefing that alerts are raised from."""
    return {
        "checkpoints": checkpoints.figures(conn, day),
        "quarantine": quarantine.figures(conn, day),
        "beds_outlook": quarantine.beds_outlook(conn, day),
        "supplies": supplies.figures(conn, day),
        "enterprises": enterprises.figures(conn, day),
    }


def _few_names(names: Sequence[str], more: bool = False) -> str:
    """The first of ``names`` for one alert line, ending in "…" when some are left out: beyond
    :data:`NAMES_SHOWN`, or (``more``) beyond the ``names`` read at all. The count beside them says how many
    there are in all: a district has hundreds of overdue items or silent checkpoints, and a wall screen has
    room for a few."""
    shown = "、".join(names[:NAMES_SHOWN])
    return shown + "…" if more or len(names) > NAMES_SHOWN else shown


def _checkpoint_alerts(conn: Connection, day: date, figures: Mapping[str, Any]) -> list[Alert]:
    """One alert for the day's fever readings at every checkpoint, naming those with the most (a district has
    dozens of checkpoints with a reading on a busy day, and a line each would push every other alert off the
    wall), and one for the checkpoints that have not reported."""
    found = []
    with_fever = sorted(
        (row for row in checkpoints.checkpoint_table(conn, day) if row["fever"]), key=lambda row: -row["fever"]
    )
    if with_fever:
        found.append(
            Alert(
                "checkpoints",
                "situation.alert.checkpoint_fever",
                "high",
                {
                    "count": sum(row["fever"] for row in with_fever),
                    "names": _few_names([row["name"] for row in with_fever]),
                },
            )
        )
    not_reported = figures["not_reported"]
    if not_reported:
        found.append(
            Alert(
                "checkpoints",
                "situation.alert.not_reported",
                "medium",
                {"count": len(not_reported), "names": _few_names(not_reported)},
            )
        )
    return found


def _silence_alerts(conn: Connection, as_of: datetime | None) -> list[Alert]:
    """The units that report, silent at ``as_of`` during their shift (design §4): none for a day that is over."""
    if as_of is None:
        return []
    return _silent_checkpoint_alerts(conn, as_of) + _silent_site_alerts(conn, as_of) + _silent_store_alerts(conn, as_of)


def _silent_checkpoint_alerts(conn: Connection, as_of: datetime) -> list[Alert]:
    """One alert for the active checkpoints silent for longer than ``COMMAND_POST_SILENT_HOURS`` at ``as_of``,
    naming the longest silent (:func:`data_layer.checkpoints.silent_checkpoints`)."""
    hours = settings.SILENT_HOURS.value()
    silent = checkpoints.silent_checkpoints(conn, as_of, timedelta(hours=hours))
    if not silent:
        return []
    return [
        Alert(
            "checkpoints",
            "situation.alert.unit_silent",
            "medium",
            {"count": len(silent), "hours": hours, "names": _few_names([row["name"] for row in silent])},
        )
    ]


def _silent_site_alerts(conn: Connection, as_of: datetime) -> list[Alert]:
    """One alert for the quarantine sites whose follow-up round due by ``as_of`` is missing for someone in them,
    with the hour it was due, naming the longest silent (:func:`data_layer.quarantine.silent_sites`)."""
    silent = quarantine.silent_sites(conn, as_of)
    if not silent:
        return []
    return [
        Alert(
            "quarantine",
            "situation.alert.site_silent",
            "medium",
            {"count": len(silent), "due": silent[0]["due"].hour, "names": _few_names([row["name"] for row in silent])},
        )
    ]


def _silent_store_alerts(conn: Connection, as_of: datetime) -> list[Alert]:
    """An alert when the store has entered nothing for longer than ``COMMAND_POST_SILENT_HOURS`` of its working
    day while stock is moving (:func:`data_layer.supplies.store_silent`)."""
    hours = settings.SILENT_HOURS.value()
    if not supplies.store_silent(conn, as_of, timedelta(hours=hours)):
        return []
    return [Alert("supplies", "situation.alert.store_silent", "medium", {"hours": hours})]


def _quarantine_alerts(conn: Connection, day: date, figures: Mapping[str, Any]) -> list[Alert]:
    found = []
    for name, key, severity in (
        ("fever_in_quarantine", "situation.alert.quarantine_fever", "high"),
        ("overdue", "situation.alert.quarantine_overdue", "high"),
        ("due_next_3_days", "situation.alert.quarantine_due", "medium"),
        ("followups_missing", "situation.alert.followups_missing", "medium"),
    ):
        if figures[name]:
            found.append(Alert("quarantine", key, severity, {"count": figures[name]}))
    found += [
        Alert("quarantine", "situation.alert.site_full", "high", {"site": site["name"]})
        for site in quarantine.site_occupancy(conn, day)
        if site["capacity"] and site["free"] <= 0
    ]
    return found


def _beds_alerts(outlook: Sequence[quarantine.SiteOutlook]) -> list[Alert]:
    """An alert for each centralized site with beds free today whose beds are projected to run out within
    :data:`data_layer.quarantine.FULL_WITHIN_DAYS` days (:func:`data_layer.quarantine.projected_full`), saying in
    how many days: there is still time to open beds elsewhere or move admissions."""
    return [
        Alert(
            "quarantine",
            "situation.alert.site_projected_full",
            "medium",
            {"site": site["name"], "days": site["full_in"]},
        )
        for site in quarantine.projected_full(outlook)
    ]


def _supply_alerts(items: Iterable[Mapping[str, Any]]) -> list[Alert]:
    """An alert for each item out of stock or under three days of cover (each needs its own order now), and
    one for the items merely below their safety stock, named a few at a time."""
    found, below_safety = [], []
    for item in items:
        params = {"item": item["item"], "on_hand": item["on_hand"], "unit": item["unit"], "days": item["days_of_cover"]}
        if item["status"] == "out":
            found.append(Alert("supplies", "situation.alert.out_of_stock", "high", params))
        elif item["status"] == "under_3_days":
            found.append(Alert("supplies", "situation.alert.under_cover", "high", params))
        elif item["status"] == "below_safety":
            below_safety.append(item["item"])
    if below_safety:
        found.append(
            Alert(
                "supplies",
                "situation.alert.below_safety",
                "medium",
                {"count": len(below_safety), "names": _few_names(below_safety)},
            )
        )
    return found


def _enterprise_alerts(conn: Connection, day: date, figures: Mapping[str, Any]) -> list[Alert]:
    """One alert for every overdue rectification item, naming the enterprises of the most overdue ones."""
    count = figures["rectifications_overdue"]
    if not count:
        return []
    most_overdue = enterprises.overdue_rectifications(conn, day, limit=4 * NAMES_SHOWN)
    names = list(dict.fromkeys(row["enterprise"] for row in most_overdue))
    return [
        Alert(
            "enterprises",
            "situation.alert.rectifications_overdue",
            "high",
            {"count": count, "names": _few_names(names, more=count > len(most_overdue))},
        )
    ]
