"""Who may see and do what: every role rule of the command post, in one place (design §8).

The data layer's write functions ask :func:`require_write` and :func:`require_admin`; the pages ask the same
predicates (:func:`may_write`, :func:`may_view`, :func:`unit_limit`) to decide what to show, so a form is
offered exactly to those whose write would be accepted. Nothing else looks at a role's name.

Roles: the administrator does everything; a leader sees everything (personal numbers masked) and writes only
the briefing notes; a clerk sees and writes the domains they are assigned, and within a domain all of it or
only the units named (checkpoints, quarantine sites, supply items, enterprises); the wall screen sees the
overview and writes nothing.
"""

from __future__ import annotations

from data_layer.actor import Actor
from data_layer.errors import PermissionDenied

NOTE_ROLES = ("admin", "leader")


def is_admin(actor: Actor) -> bool:
    """Master data (checkpoints, sites, items, users, settings) is the administrator's."""
    return actor.role == "admin"


def require_admin(actor: Actor) -> None:
    if not is_admin(actor):
        raise PermissionDenied("action.admin")


def may_write(actor: Actor, domain: str, unit: int | None = None, *, whole_domain: bool = False) -> bool:
    """Whether ``actor`` may write entries of ``domain``, for ``unit`` when given.

    Administrators write everything; a clerk writes the domains they are assigned, for the units named in the
    assignment when it names some; leaders and the wall screen write no entries. ``whole_domain`` marks what
    belongs to no unit (a new enterprise, a person in home quarantine, who is at no site): only those assigned
    the whole domain may write it.
    """
    if is_admin(actor):
        return True
    units = actor.units(domain) if actor.role == "clerk" else None
    if units is None:
        return False
    if not units:
        return True
    return not whole_domain and (unit is None or unit in units)


def require_write(
    actor: Actor, domain: str, unit: int | None = None, *, whole_domain: bool = False, action: str | None = None
) -> None:
    """Refuse (:class:`PermissionDenied` naming ``action``, by default writing ``domain``) unless
    :func:`may_write` allows it."""
    if not may_write(actor, domain, unit, whole_domain=whole_domain):
        raise PermissionDenied(action or f"action.write.{domain}")


def may_view(actor: Actor, domain: str) -> bool:
    """Whether ``actor`` sees ``domain``'s page: administrators and leaders, and clerks assigned to it."""
    return actor.role in ("admin", "leader") or (actor.role == "clerk" and actor.units(domain) is not None)


def unit_limit(actor: Actor | None, domain: str) -> frozenset[int] | None:
    """The units of ``domain`` whose rows ``actor`` may list: ``None`` for every unit (every role but a clerk,
    and a clerk of the whole domain); a clerk's named units; no unit for a clerk not assigned to ``domain``."""
    if actor is None or actor.role != "clerk":
        return None
    units = actor.units(domain)
    if units is None:
        return frozenset()
    return units or None


def works_on_today(actor: Actor) -> bool:
    """A clerk enters today's figures: their pages open on today and show the entry form first, where those
    who review (administrators, leaders) pick any past day."""
    return actor.role == "clerk"


def signs_out_when_idle(actor: Actor) -> bool:
    """A person idle beyond the limit is signed out (a phone left on a checkpoint desk must not stay open);
    a wall screen, which has nothing to enter and runs for days, is not."""
    return actor.role != "wall"


def waits_for_redraw_turn(actor: Actor) -> bool:
    """Whether ``actor``'s live check waits for the process's next redraw turn (``ui/live.py``): a wall screen's,
    which nobody touches; anyone else's does not, so that their own click is never held up behind it."""
    return actor.role == "wall"


def follows_live_data(actor: Actor, entries: str | None) -> bool:
    """Whether a page that shows figures is drawn again as soon as anything is entered, for ``actor``, when the
    page takes ``actor``'s entries of domain ``entries`` (``None``: it takes none). A page with a form the
    person may fill does not: redrawing it under their thumbs would move what they are typing. So the wall
    and the overview follow the data for everyone who may open them, a domain page for those who only read it
    (leaders)."""
    return entries is None or not may_write(actor, entries)


def may_write_notes(actor: Actor) -> bool:
    """The briefing's notes are the leaders' (and the administrator's)."""
    return actor.role in NOTE_ROLES


def may_push_briefing(actor: Actor) -> bool:
    """Pushing the day's briefing to the groups now, besides its daily time, is the administrator's: it goes to
    every channel the administrator configured, and the administrator answers for what those groups receive."""
    return is_admin(actor)


def require_push_briefing(actor: Actor) -> None:
    if not may_push_briefing(actor):
        raise PermissionDenied("action.push_briefing")


def shows_personal_numbers(actor: Actor) -> bool:
    """Whether ID and phone numbers may be shown unmasked: to administrators only."""
    return is_admin(actor)


def shows_names(actor: Actor) -> bool:
    """Whether people's names may be shown: never on the wall screen, nor to anyone not signed in."""
    return actor.role in ("admin", "leader", "clerk")
