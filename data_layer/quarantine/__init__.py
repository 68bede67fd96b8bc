"""The quarantine domain (隔离医学观察, design §4.2): sites, persons, episodes and follow-ups.

A person registered for quarantine gets an *episode*: centralized quarantine
at a site, home quarantine or home health monitoring, with a planned end. The
episode row always holds the current state (status, planned end, actual end);
every change to it is written together with a row of ``episode_changes`` in
the same transaction, so the history of extensions, releases and transfers is
never lost. Follow-ups (temperature and symptoms, twice a day) form an
append-only ledger: a correction is a new row that supersedes the earlier one,
and the figures count only the rows nobody has superseded.

ID and phone numbers are personal data (design §8): every read function here
that returns persons masks them unless it is told the actor may see them.

The package's modules:

- ``tables``: the tables (sites, persons, episodes, episode changes, follow-ups, the per-day follow-up table) and
  the domain's codes, limits and defaults;
- ``config``: the fever threshold, planned days per origin category and the origin categories, from the settings,
  and how codes are written for users;
- ``queries``: query pieces shared by the others (current episodes, effective follow-ups, who sees and writes what);
- ``master``: adding, renaming, resizing, opening and closing sites, and looking them up;
- ``episodes``: registering people and changing, releasing, transferring and ending their episodes;
- ``followups``: follow-ups, their corrections, the day's grid and the per-day follow-up table kept with them;
- ``figures``: the figures of a report date, site occupancy, the beds outlook, the sites silent past a follow-up
  round's due time and the daily trend;
- ``lists``: the register, the follow-up grid, action lists, releases and histories, with their masking;
- ``rounds``: the follow-up round of quick entry: the round proposed for the time of day, the places a clerk follows
  up and a place's people, those still to follow up first;
- ``transfer``: the import and export kinds (``TRANSFER_KINDS``) and the register and follow-up workbooks.

This module re-exports the names the rest of the application uses.
"""

from data_layer.privacy import mask_id_number, mask_phone
from data_layer.quarantine.config import code_label, fever_threshold, origin_categories, planned_days_for
from data_layer.quarantine.episodes import (
    change_planned_end,
    end_other,
    register,
    release,
    release_many,
    transfer_to_hospital,
)
from data_layer.quarantine.figures import (
    BedsDay,
    SiteOutlook,
    beds_outlook,
    daily_current,
    due_round,
    figures,
    free_beds_outlook,
    project_beds,
    projected_full,
    silent_sites,
    site_occupancy,
)
from data_layer.quarantine.followups import (
    add_followup,
    add_followups,
    add_followups_batch,
    correct_followup,
    correct_followups,
    rebuild_quarantine_followup_days,
    save_followup_grid,
)
from data_layer.quarantine.lists import (
    ListHead,
    action_list_heads,
    action_lists,
    current_grids,
    episode_history,
    followup_sheet,
    present_person,
    register_count,
    register_rows,
    released_episodes,
    released_on,
)
from data_layer.quarantine.master import add_site, list_sites, rename_site, set_site_active, set_site_capacity
from data_layer.quarantine.queries import current_on as _current_on
from data_layer.quarantine.rounds import Place, PlaceRound, followup_round, proposed_slot, round_places
from data_layer.quarantine.tables import (
    BEDS_OUTLOOK_DAYS,
    DEFAULT_ORIGIN_CATEGORIES,
    DOMAIN,
    DUE_WINDOW_DAYS,
    FOLLOWUP_ROUND_DUE,
    FOLLOWUPS_PER_DAY,
    FULL_WITHIN_DAYS,
    MAX_TEMPERATURE,
    MIN_TEMPERATURE,
    MODES,
    SLOTS,
    WITHHELD_NAME,
    episode_changes,
    persons,
    quarantine_episodes,
    quarantine_followups,
    quarantine_sites,
)
from data_layer.quarantine.transfer import TRANSFER_KINDS, followups_workbook, register_workbook
from data_layer.settings import MAX_PLANNED_DAYS

__all__ = [
    "BEDS_OUTLOOK_DAYS",
    "DEFAULT_ORIGIN_CATEGORIES",
    "DOMAIN",
    "DUE_WINDOW_DAYS",
    "FOLLOWUPS_PER_DAY",
    "FOLLOWUP_ROUND_DUE",
    "FULL_WITHIN_DAYS",
    "MAX_PLANNED_DAYS",
    "MAX_TEMPERATURE",
    "MIN_TEMPERATURE",
    "MODES",
    "SLOTS",
    "TRANSFER_KINDS",
    "WITHHELD_NAME",
    "BedsDay",
    "ListHead",
    "Place",
    "PlaceRound",
    "SiteOutlook",
    "_current_on",
    "action_list_heads",
    "action_lists",
    "add_followup",
    "add_followups",
    "add_followups_batch",
    "add_site",
    "beds_outlook",
    "change_planned_end",
    "code_label",
    "correct_followup",
    "correct_followups",
    "current_grids",
    "daily_current",
    "due_round",
    "end_other",
    "episode_changes",
    "episode_history",
    "fever_threshold",
    "figures",
    "followup_round",
    "followup_sheet",
    "followups_workbook",
    "free_beds_outlook",
    "list_sites",
    "mask_id_number",
    "mask_phone",
    "origin_categories",
    "persons",
    "planned_days_for",
    "present_person",
    "project_beds",
    "projected_full",
    "proposed_slot",
    "quarantine_episodes",
    "quarantine_followups",
    "quarantine_sites",
    "rebuild_quarantine_followup_days",
    "register",
    "register_count",
    "register_rows",
    "register_workbook",
    "release",
    "release_many",
    "released_episodes",
    "released_on",
    "rename_site",
    "round_places",
    "save_followup_grid",
    "set_site_active",
    "set_site_capacity",
    "silent_sites",
    "site_occupancy",
    "transfer_to_hospital",
]
