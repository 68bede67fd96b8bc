"""The colours of each domain's figures, shared by the domain's page and the wall screen.

A leader who sees people checked in blue on the wall and in green on the
checkpoints page reads them as two figures; each figure therefore has one
colour, defined here and imported by every chart that draws it.
"""

from __future__ import annotations

CHECKPOINT_COLOURS = {"persons": "#38bdf8", "vehicles": "#a78bfa", "fever": "#ef4444", "turned_back": "#fbbf24"}
QUARANTINE_MODE_COLOURS = {"centralized": "#f59e0b", "home": "#60a5fa", "monitoring": "#c084fc"}
QUARANTINE_TOTAL_COLOUR = "#fb923c"
REOPEN_TREND_COLOUR = "#34d399"
REOPEN_LAG_COLOUR = "#f59e0b"
REOPEN_AHEAD_COLOUR = "#2dd4bf"
BED_COLOURS = {"free": "#15803d", "full": "#b91c1c"}
"""A day of the beds outlook with a bed free, and one with none: the same on the wall and the quarantine page."""
