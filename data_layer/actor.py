"""Who is acting: the one value every write and every permission check is about."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """Who is acting: a signed-in user, or ``cli:<os user>`` for the command line.

    ``assignments`` maps a domain (``checkpoints``, ``quarantine``, ``supplies``,
    ``enterprises``) to the ids of the units a clerk may enter for; an empty set
    means the whole domain.
    """

    username: str
    role: str
    assignments: tuple[tuple[str, frozenset[int]], ...] = ()

    def units(self, domain: str) -> frozenset[int] | None:
        """The units this clerk is assigned in ``domain``; ``None`` when not assigned to it at all."""
        for assigned_domain, units in self.assignments:
            if assigned_domain == domain:
                return units
        return None
