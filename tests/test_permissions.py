"""The role rules of data_layer/permissions.py: one predicate answers the pages and the writes alike."""

from __future__ import annotations

import pytest

from data_layer import permissions
from data_layer.db import Actor
from data_layer.errors import PermissionDenied

DOMAINS = ("checkpoints", "quarantine", "supplies", "enterprises")
ACTORS = {
    "admin": Actor("a", "admin"),
    "leader": Actor("l", "leader"),
    "wall": Actor("w", "wall"),
    "clerk_of_the_domain": Actor("c", "clerk", tuple((domain, frozenset()) for domain in DOMAINS)),
    "clerk_of_units_1_2": Actor("u", "clerk", tuple((domain, frozenset({1, 2})) for domain in DOMAINS)),
    "clerk_of_nothing": Actor("n", "clerk"),
}
EXPECTED = {  # (may write the domain, unit 1, unit 3, what belongs to no unit, may view, unit limit)
    "admin": (True, True, True, True, True, None),
    "leader": (False, False, False, False, True, None),
    "wall": (False, False, False, False, False, None),
    "clerk_of_the_domain": (True, True, True, True, True, None),
    "clerk_of_units_1_2": (True, True, False, False, True, frozenset({1, 2})),
    "clerk_of_nothing": (False, False, False, False, False, frozenset()),
}


@pytest.mark.parametrize("domain", DOMAINS)
@pytest.mark.parametrize("who", sorted(ACTORS))
def test_each_role_may_write_view_and_list_what_the_role_table_says(who, domain):
    actor = ACTORS[who]
    assert (
        permissions.may_write(actor, domain),
        permissions.may_write(actor, domain, 1),
        permissions.may_write(actor, domain, 3),
        permissions.may_write(actor, domain, whole_domain=True),
        permissions.may_view(actor, domain),
        permissions.unit_limit(actor, domain),
    ) == EXPECTED[who]


@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize(("unit", "whole_domain"), [(None, False), (1, False), (3, False), (None, True)])
def test_a_write_is_refused_exactly_when_the_predicate_says_no(who, unit, whole_domain):
    actor = ACTORS[who]
    allowed = permissions.may_write(actor, "supplies", unit, whole_domain=whole_domain)
    if allowed:
        permissions.require_write(actor, "supplies", unit, whole_domain=whole_domain)
    else:
        with pytest.raises(PermissionDenied):
            permissions.require_write(actor, "supplies", unit, whole_domain=whole_domain)


def test_only_the_administrator_sees_numbers_and_the_wall_sees_no_names():
    assert [permissions.shows_personal_numbers(actor) for actor in ACTORS.values()] == [
        True,
        False,
        False,
        False,
        False,
        False,
    ]
    assert [permissions.shows_names(actor) for actor in ACTORS.values()] == [True, True, False, True, True, True]
