"""The colours of each domain's figures, shared by the domain's page and the wall screen.

A leader who sees people checked in blue on the wall and in green on the
checkpoints page reads them as two figures; each figure therefore has one
colour, defined here and imported by every chart that draws it.
"""

from __future__ import annotations

ALARM_RED = "#ef4444"
CHECKPOINT_COLOURS = {"persons": "#38bdf8", "vehicles": "#a78bfa", "fever": ALARM_RED, "turned_back": "#fbbf24"}
ALARM_CELL = f"background-color: {ALARM_RED}; color: white; font-weight: 700"
"""A table cell that calls for action now (a fever reading, a checkpoint that has not reported, a rectification
past its deadline): white on the fever red, the same in every domain's table."""
QUARANTINE_MODE_COLOURS = {"centralized": "#f59e0b", "home": "#60a5fa", "monitoring": "#c084fc"}
QUARANTINE_TOTAL_COLOUR = "#fb923c"
REOPEN_TREND_COLOUR = "#34d399"
REOPEN_LAG_COLOUR = "#f59e0b"
REOPEN_AHEAD_COLOUR = "#2dd4bf"
BED_COLOURS = {"free": "#15803d", "full": "#b91c1c"}
"""A day of the beds outlook with a bed free, and one with none: the same on the wall and the quarantine page."""
