"""Retention of personal data (个人信息保护): keep a quarantined person's identity no longer than needed.

Once every quarantine episode of a person has ended (released, transferred to
hospital, ended otherwise) and the latest ended more than N days ago (the
``retention_days`` setting, 28 by default), the person's name, ID number and
phone are replaced by non-identifying values, and their address and place of
origin are cleared. What the figures need stays: grid, origin category, mode,
site, dates, statuses and temperatures, so every briefing of every past day
reads the same before and after.

The audit log would otherwise keep a copy of everything, so it is rewritten
too: every audit row tied to such a person (their person, episode, change and
follow-up rows, any row naming one of their episodes, or any row holding their
ID number, such as a copy made by an import or a notice) loses their name, ID
number, phone, address and origin, whatever table or key the copy sits under.
A name or phone alone does not tie a row to them: a namesake, a relative
sharing a phone or a shop's contact keeps their own records. Texts typed about
someone else's episode (a close contact's reason, a symptom note) lose the
person's name and phone too, unless a person who stays registered bears the
same one. ID numbers and phones are recognised in any spacing. The anonymisation
itself is audited as one row holding only the count and the threshold.

On SQLite, secure delete (set on every connection, see :func:`data_layer.db.connect`)
and :func:`data_layer.db.truncate_wal`, which the callers run after the
transaction, leave no old value in the database file or its write-ahead log.

Anonymised persons are recognised by their ID number, ``ANON-<id>``, which no
valid resident ID number can be, so they are never counted or changed again.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data_layer import clock, db
from data_layer.db import Record, Rows, WriteContext, audit_log
from data_layer.permissions import require_admin
from data_layer.quarantine import episode_changes, persons, quarantine_episodes, quarantine_followups
from data_layer.validation import Checks

DOMAIN = "retention"
SETTING_KEY = "retention_days"
DEFAULT_RETENTION_DAYS = 28
MAX_RETENTION_DAYS = 3650
ANONYMOUS_NAME = "已匿名 #{id}"
ANONYMOUS_ID_NUMBER = "ANON-{id}"
ANONYMOUS_ID_PREFIX = "ANON-"
ANONYMOUS_PHONE = ""
PHONE_IN_TEXT = "***"
DESCRIBING_KEYS = ("address", "origin")
CHUNK = 500
SEPARATORS = " \u3000\u00a0-"
"""What a clerk may type between the digits of an ID number or phone (``110105 19850101 0012``,
``139-0000-0001``): spaces, full-width and no-break spaces, hyphens."""
ID_NUMBER_LENGTH = 18

_SEPARATOR = re.compile(f"[{re.escape(SEPARATORS)}]")
_DIGIT_RUN = re.compile(r"[0-9]+X?")
_TYPED_DIGITS = re.compile(f"[0-9](?:[{re.escape(SEPARATORS)}]*[0-9Xx])*")
"""A run of digits as typed, separators between them (an ID number's X among them)."""
_REFERENCE = re.compile(r'"(person_id|episode_id)": (\d+)')

Progress = Callable[[float], None]


# --- the setting -------------------------------------------------------------------------------------------------


def _checked_days(value: object) -> int:
    """A retention period in whole days (1 to ten years), or a field-level refusal."""
    checks = Checks(DOMAIN)
    return checks.passed(checks.integer(value, "days", minimum=1, maximum=MAX_RETENTION_DAYS))


def retention_days(conn: Connection) -> int:
    """How many days after a person's last episode ended their identity is kept (default 28)."""
    return int(db.get_setting(conn, SETTING_KEY, str(DEFAULT_RETENTION_DAYS)))


def set_retention_days(ctx: WriteContext, days: object) -> int:
    """Change the retention period (administrators only); returns the stored number of days."""
    require_admin(ctx.actor)
    checked = _checked_days(days)
    db.put_setting(ctx, SETTING_KEY, str(checked))
    return checked


def ended_before(days: int) -> date:
    """The day before which a person's last episode must have ended to be due: more than ``days`` days
    before today (command-post time), so an episode that ended exactly ``days`` days ago is kept."""
    return clock.today() - timedelta(days=days)


# --- who is due --------------------------------------------------------------------------------------------------


def _is_anonymised() -> sa.ColumnElement[bool]:
    """An ID number that starts with ``ANON-``, written as a range of the unique index on ID numbers so that
    counting the anonymised reads only them (a ``LIKE`` would read every person)."""
    after_prefix = ANONYMOUS_ID_PREFIX[:-1] + chr(ord(ANONYMOUS_ID_PREFIX[-1]) + 1)
    return sa.and_(persons.c.id_number >= ANONYMOUS_ID_PREFIX, persons.c.id_number < after_prefix)


def _keeps_identity(days: int) -> sa.ColumnElement[bool]:
    """An episode that keeps its person's identity: still running, or ended on or after :func:`ended_before`."""
    episode = quarantine_episodes
    return sa.or_(episode.c.status == "active", episode.c.end_date.is_(None), episode.c.end_date >= ended_before(days))


def _due_person_ids(days: int) -> sa.Select:
    """Persons not yet anonymised whose every episode has ended, the latest before :func:`ended_before`."""
    episode = quarantine_episodes
    keeping = sa.select(episode.c.person_id).where(_keeps_identity(days))
    return sa.select(persons.c.id).where(
        sa.not_(_is_anonymised()), persons.c.id.not_in(keeping), sa.exists().where(episode.c.person_id == persons.c.id)
    )


def due_count(conn: Connection, older_than_days: int | None = None) -> int:
    """How many people an anonymisation would cover now (with the setting's period unless one is given).

    Counted as the people not anonymised less those with an episode that keeps their identity, which the
    end-date index finds among the recent episodes: every person is registered with an episode (see
    :func:`data_layer.quarantine.register`), so this is :func:`_due_person_ids` without a probe per person,
    and a district that never ran an anonymisation counts its hundred thousand people in milliseconds.
    """
    days = retention_days(conn) if older_than_days is None else _checked_days(older_than_days)
    episode = quarantine_episodes
    not_anonymised = conn.execute(sa.select(sa.func.count()).select_from(persons)).scalar_one() - anonymised_count(conn)
    kept = conn.execute(
        sa.select(sa.func.count(sa.distinct(episode.c.person_id)))
        .select_from(episode.join(persons, persons.c.id == episode.c.person_id))
        .where(_keeps_identity(days), sa.not_(_is_anonymised()))
    ).scalar_one()
    return not_anonymised - kept


def anonymised_count(conn: Connection) -> int:
    """How many people have been anonymised so far, by every run together."""
    return conn.execute(sa.select(sa.func.count()).select_from(persons).where(_is_anonymised())).scalar_one()


# --- one person's values and their replacements ------------------------------------------------------------------


@dataclass
class _Person:
    """Everything a due person was ever registered with (current values and those in their audit history).

    Its replacements are worked out once, on first use, after every value has been learnt."""

    id: int
    names: set[str] = field(default_factory=set)
    id_numbers: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    descriptions: set[str] = field(default_factory=set)

    @property
    def anonymous_name(self) -> str:
        return ANONYMOUS_NAME.format(id=self.id)

    @property
    def anonymous_id_number(self) -> str:
        return ANONYMOUS_ID_NUMBER.format(id=self.id)

    def learn(self, values: Record) -> None:
        """Add the personal values of a persons row or of an audit copy of one."""
        for key, known in (("name", self.names), ("id_number", self.id_numbers), ("phone", self.phones)):
            if values.get(key):
                known.add(str(values[key]))
        for key in DESCRIBING_KEYS:
            if values.get(key):
                self.descriptions.add(str(values[key]))

    @cached_property
    def _whole_values(self) -> dict[str, str]:
        return {
            **{name: self.anonymous_name for name in self.names},
            **{phone: ANONYMOUS_PHONE for phone in self.phones},
            **{number: self.anonymous_id_number for number in self.id_numbers},
        }

    def keeping(self, values: set[str]) -> _Person:
        """This person without the names and phones in ``values``: what is removed from a text that only
        mentions them, where a name or phone another registered person still bears may be that person's."""
        return _Person(self.id, self.names - values, set(self.id_numbers), self.phones - values, set(self.descriptions))

    @cached_property
    def _digits_in_text(self) -> list[tuple[str, str]]:
        """(value, replacement) for ID numbers and phones inside longer text, compacted (see :func:`_compact`),
        the longest first so that an ID number is replaced before a phone-like run of its digits."""
        pairs = [
            *((number, self.anonymous_id_number) for number in self.id_numbers),
            *((phone, PHONE_IN_TEXT) for phone in self.phones),
        ]
        return sorted(
            ((_compact(value), replacement) for value, replacement in pairs if value), key=lambda pair: -len(pair[0])
        )

    @cached_property
    def _names_in_text(self) -> list[str]:
        """The names, the longest first, so that a name is replaced before a shorter one inside it."""
        return sorted(self.names, key=len, reverse=True)

    def _replace_digits(self, text: str) -> str:
        """``text`` with this person's ID numbers and phones replaced wherever a run of digits holds them, in
        any spacing (:data:`SEPARATORS`) and an ID number's X in either case; a run that holds one is written
        without its separators, any other run stays as it was typed."""

        def swap(match: re.Match[str]) -> str:
            run = match.group()
            compact = changed = _compact(run)
            for value, replacement in self._digits_in_text:
                changed = changed.replace(value, replacement)
            return run if changed == compact else changed

        return _TYPED_DIGITS.sub(swap, text)

    @cached_property
    def _as_in_json(self) -> tuple[str, ...]:
        """Every value as it is written inside audit JSON text (escaped like ``json.dumps`` escapes it)."""
        values = (*self.names, *self.id_numbers, *self.phones, *self.descriptions)
        return tuple(json.dumps(value, ensure_ascii=False)[1:-1] for value in values if value)

    def appears_in(self, audit_text: str) -> bool:
        """Whether any of this person's values is written somewhere in an audit row's JSON text (an ID number
        or phone in any spacing)."""
        if any(value in audit_text for value in self._as_in_json):
            return True
        compact = _compact(audit_text)
        return any(value in compact for value, _ in self._digits_in_text)

    def scrub(self, text: str | None) -> str | None:
        """``text`` with this person's values replaced: a whole value by its column's anonymous value, an
        address or origin by nothing, a value inside longer text by its anonymous form."""
        if not text:
            return text
        whole = self._whole_values
        if text in whole:
            return whole[text]
        if text in self.descriptions:
            return None
        text = self._replace_digits(text)
        for name in self._names_in_text:
            text = text.replace(name, self.anonymous_name)
        return text


def _compact(text: str) -> str:
    """``text`` without :data:`SEPARATORS` and upper-cased, so that a spaced ID number or phone reads as one
    run of digits (for finding whose it is, not for storing)."""
    return _SEPARATOR.sub("", text).upper()


def _digit_windows(text: str, lengths: Iterable[int]) -> Iterator[str]:
    """Every stretch of each of ``lengths`` characters inside the runs of digits of ``text``, separators
    between digits ignored: the candidates to look up among known ID numbers and phones."""
    for run in _DIGIT_RUN.findall(_compact(text)):
        for length in lengths:
            for start in range(len(run) - length + 1):
                yield run[start : start + length]


def _id_numbers_in(text: str) -> Iterator[str]:
    """Every ID-number-long run of digits in ``text``, in any spacing."""
    return _digit_windows(text, (ID_NUMBER_LENGTH,))


def _chunks(values: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start : start + CHUNK]


def _load_people(conn: Connection, days: int) -> tuple[dict[int, _Person], int]:
    """The due persons (locked) with their current values and every earlier value their audit rows hold,
    and the id of the earliest of those audit rows: no audit row before it can hold their values, since
    nothing about a person is stored before the person is (0 when a person came without an audit row)."""
    people: dict[int, _Person] = {}
    due = conn.execute(
        sa.select(persons).where(persons.c.id.in_(_due_person_ids(days))).order_by(persons.c.id).with_for_update()
    ).mappings()
    for row in due:
        people[row["id"]] = _Person(row["id"])
        people[row["id"]].learn(row)
    first_audit: dict[int, int] = {}
    for chunk in _chunks(people):
        history: Rows = conn.execute(
            sa.select(audit_log.c.id, audit_log.c.row_id, audit_log.c.before, audit_log.c.after).where(
                audit_log.c.table_name == persons.name, audit_log.c.row_id.in_([str(pid) for pid in chunk])
            )
        )
        for audit_id, row_id, before, after in history:
            person_id = int(row_id)
            first_audit[person_id] = min(audit_id, first_audit.get(person_id, audit_id))
            for text in (before, after):
                if text:
                    people[person_id].learn(json.loads(text))
    return people, min((first_audit.get(person_id, 0) for person_id in people), default=0)


def _episodes_of(conn: Connection, people: Mapping[int, _Person]) -> dict[int, int]:
    """episode id → person id for every episode of the due persons."""
    episodes: dict[int, int] = {}
    for chunk in _chunks(people):
        episodes.update(
            conn.execute(
                sa.select(quarantine_episodes.c.id, quarantine_episodes.c.person_id).where(
                    quarantine_episodes.c.person_id.in_(chunk)
                )
            ).all()
        )
    return episodes


# --- the audit log -----------------------------------------------------------------------------------------------


class _AuditIndex:
    """Finds the due persons a text or an audit row is tied to, and what of theirs to remove from it.

    An audit row is tied by its table and row id, by a ``person_id`` or ``episode_id`` it names, or by one of
    their ID numbers found anywhere in it, in any spacing (a copy made by an import, a notice or a bulk
    change); everything of theirs goes from it. A text about someone else's episode that names them or
    holds their phone loses those too, except a name or phone a person who stays registered also bears (a
    namesake, a relative sharing a phone: it may be theirs). Elsewhere a name or a phone alone ties
    nothing: a shop's contact or a note may hold the same value, and those records stay as they are."""

    def __init__(self, people: Mapping[int, _Person], episodes: Mapping[int, int], kept: set[str]):
        self.people = people
        self.episodes = episodes
        self.id_numbers = {number: person.id for person in people.values() for number in person.id_numbers}
        self.names = _owners_by_value((name, person.id) for person in people.values() for name in person.names)
        self.phones = _owners_by_value(
            (_compact(phone), person.id) for person in people.values() for phone in person.phones
        )
        self.kept = kept
        self.mentioned: dict[tuple[str, str], list[_Person]] = {}

    def by_id_number(self, text: str) -> set[int]:
        """The due persons whose ID number ``text`` holds, in any spacing."""
        return {self.id_numbers[run] for run in _id_numbers_in(text) if run in self.id_numbers}

    def _by_name_or_phone(self, text: str) -> set[int]:
        found: set[int] = set()
        for length in {len(name) for name in self.names}:
            for start in range(len(text) - length + 1):
                found.update(self.names.get(text[start : start + length], ()))
        for run in _digit_windows(text, {len(phone) for phone in self.phones}):
            found.update(self.phones.get(run, ()))
        return found

    @cached_property
    def _mentions_only(self) -> dict[int, _Person]:
        return {person.id: person.keeping(self.kept) for person in self.people.values()}

    def in_register_text(self, text: str, owner: int) -> list[_Person]:
        """What to remove from a text typed about an episode of person ``owner``: everything of the owner
        when they are due, and of every other due person the text names, holds the phone or ID number of
        (all of it with the ID number, else what no person who stays registered bears)."""
        full = self.by_id_number(text) | ({owner} & set(self.people))
        mentioned = self._by_name_or_phone(text) - full
        return [self.people[person_id] for person_id in sorted(full)] + [
            self._mentions_only[person_id] for person_id in sorted(mentioned)
        ]

    def tied(self, table_name: str, row_id: str | None, text: str) -> list[_Person]:
        found = self.by_id_number(text)
        if row_id is not None and row_id.isdigit():
            if table_name == persons.name and int(row_id) in self.people:
                found.add(int(row_id))
            elif table_name == quarantine_episodes.name and int(row_id) in self.episodes:
                found.add(self.episodes[int(row_id)])
        for key, number in _REFERENCE.findall(text):
            owner = int(number) if key == "person_id" else self.episodes.get(int(number))
            if owner is not None and owner in self.people:
                found.add(owner)
        mentioned = [person for person in self.mentioned.get((table_name, row_id or ""), ()) if person.id not in found]
        return [self.people[person_id] for person_id in sorted(found)] + mentioned


def _owners_by_value(pairs: Iterable[tuple[str, int]]) -> dict[str, set[int]]:
    owners: dict[str, set[int]] = {}
    for value, person_id in pairs:
        owners.setdefault(value, set()).add(person_id)
    return owners


def _scrubbed(value: object, people: list[_Person]) -> object:
    """A JSON value with the values of ``people`` replaced in every string, at any depth and under any key."""
    if isinstance(value, dict):
        return {key: _scrubbed(item, people) for key, item in value.items()}
    if isinstance(value, list):
        return [_scrubbed(item, people) for item in value]
    if isinstance(value, str):
        for person in people:
            value = person.scrub(value)
            if not isinstance(value, str):
                break
    return value


def _scrubbed_json(text: str | None, people: list[_Person]) -> str | None:
    if text is None:
        return None
    return json.dumps(_scrubbed(json.loads(text), people), ensure_ascii=False, sort_keys=True)


def _candidate_queries(
    conn: Connection, index: _AuditIndex, rewritten: Mapping[str, set[int]], earliest: int
) -> list[sa.Select]:
    """Queries that together return every audit row that can hold a due person's values, found through the
    indexes rather than by reading the whole log: the rows of their persons and episodes, those of the
    changes and follow-ups whose typed text named them, and any row from ``earliest`` on with an ID number
    in it (the only search through the text itself, and the slow part on a large log)."""
    columns = (audit_log.c.id, audit_log.c.table_name, audit_log.c.row_id, audit_log.c.before, audit_log.c.after)
    by_row = {persons.name: set(index.people), quarantine_episodes.name: set(index.episodes)}
    for table_name, row_ids in rewritten.items():
        by_row[table_name] = by_row.get(table_name, set()) | row_ids
    queries = [
        sa.select(*columns).where(
            audit_log.c.table_name == table_name, audit_log.c.row_id.in_([str(row_id) for row_id in chunk])
        )
        for table_name, row_ids in by_row.items()
        for chunk in _chunks(row_ids)
    ]
    queries.append(
        sa.select(*columns).where(
            audit_log.c.id >= earliest,
            sa.or_(_holds_id_number_like(conn, audit_log.c.before), _holds_id_number_like(conn, audit_log.c.after)),
        )
    )
    return queries


def _rewrite_audit_log(
    conn: Connection, index: _AuditIndex, rewritten: Mapping[str, set[int]], earliest: int, progress: Progress | None
) -> int:
    """Rewrite every audit row tied to a due person that holds their values; returns how many changed.
    ``rewritten`` names, per table, the rows whose typed text was just cleaned (their audit copies too);
    ``earliest`` is the first audit row that can mention any of them."""
    statement = (
        audit_log.update()
        .where(audit_log.c.id == sa.bindparam("audit_id"))
        .values(before=sa.bindparam("new_before"), after=sa.bindparam("new_after"))
    )
    queries = _candidate_queries(conn, index, rewritten, earliest)
    done: set[int] = set()
    for position, query in enumerate(queries, start=1):
        updates = []
        candidates: Rows = conn.execute(query).all()
        for audit_id, table_name, row_id, before, after in candidates:
            text = (before or "") + (after or "")
            people = [person for person in index.tied(table_name, row_id, text) if person.appears_in(text)]
            if not people or audit_id in done:
                continue
            done.add(audit_id)
            new_before, new_after = _scrubbed_json(before, people), _scrubbed_json(after, people)
            if (new_before, new_after) != (_normalised(before), _normalised(after)):
                updates.append({"audit_id": audit_id, "new_before": new_before, "new_after": new_after})
        if updates:
            conn.execute(statement, updates)
        if progress is not None:
            progress(position / len(queries))
    return len(done)


def _normalised(text: str | None) -> str | None:
    """An audit JSON text as :func:`_scrubbed_json` writes it, to tell a real change from re-serialisation."""
    return None if text is None else json.dumps(json.loads(text), ensure_ascii=False, sort_keys=True)


# --- the rows themselves -----------------------------------------------------------------------------------------


def _anonymise_persons(conn: Connection, people: Mapping[int, _Person]) -> None:
    conn.execute(
        persons.update()
        .where(persons.c.id == sa.bindparam("person_id"))
        .values(
            name=sa.bindparam("new_name"),
            id_number=sa.bindparam("new_id_number"),
            phone=ANONYMOUS_PHONE,
            address=None,
            origin=None,
        ),
        [
            {"person_id": person.id, "new_name": person.anonymous_name, "new_id_number": person.anonymous_id_number}
            for person in people.values()
        ],
    )


def _scrub_free_text(conn: Connection, index: _AuditIndex) -> dict[str, set[int]]:
    """Remove the due persons' values from what clerks typed about any episode: reasons of episodes and
    changes, symptom texts and correction reasons of follow-ups. Their own episodes' texts lose everything
    of theirs, other people's texts what :meth:`_AuditIndex.in_register_text` says (a released person named
    in a contact's reason, their phone in a symptom note); the rest of the text stays. Returns the ids of
    the rows changed, per table, and notes in ``index.mentioned`` what was removed from each."""
    rewritten: dict[str, set[int]] = {}
    episode = quarantine_episodes
    texts = (
        (episode, episode, ("reason",)),
        (episode_changes, episode_changes.join(episode, episode.c.id == episode_changes.c.episode_id), ("reason",)),
        (
            quarantine_followups,
            quarantine_followups.join(episode, episode.c.id == quarantine_followups.c.episode_id),
            ("symptom_text", "reason"),
        ),
    )
    for table, source, columns in texts:
        rows: Rows = conn.execute(
            sa.select(table.c.id, episode.c.person_id, *(table.c[name] for name in columns))
            .select_from(source)
            .where(sa.or_(*(table.c[name].is_not(None) for name in columns)))
        ).all()
        for row_id, owner, *values in rows:
            scrubbers = index.in_register_text(" ".join(value for value in values if value), owner)
            scrubbed = {name: _scrubbed(value, scrubbers) for name, value in zip(columns, values, strict=True)}
            if list(scrubbed.values()) != values:
                conn.execute(table.update().where(table.c.id == row_id).values(**scrubbed))
                rewritten.setdefault(table.name, set()).add(row_id)
                index.mentioned[(table.name, str(row_id))] = scrubbers
    return rewritten


def _values_kept_by_others(conn: Connection, people: Mapping[int, _Person]) -> set[str]:
    """The due persons' names and phones that a person who is not due also bears (a namesake, a relative
    sharing a phone)."""
    names = sorted({name for person in people.values() for name in person.names})
    phones = sorted({phone for person in people.values() for phone in person.phones})
    kept: set[str] = set()
    for column, values in ((persons.c.name, names), (persons.c.phone, phones)):
        for start in range(0, len(values), CHUNK):
            bearers: Rows = conn.execute(
                sa.select(persons.c.id, column).where(column.in_(values[start : start + CHUNK]))
            )
            kept.update(value for person_id, value in bearers if person_id not in people)
    return kept


def _other_text_columns() -> Iterator[tuple[sa.Table, sa.Column]]:
    """Every text column of the other tables (briefing notes, count notes, supply counterparties, …), each
    with its table, for tables keyed by one column."""
    handled = {persons, quarantine_episodes, episode_changes, quarantine_followups, audit_log}
    for table in db.load_schema().sorted_tables:
        keys = list(table.primary_key.columns)
        if table in handled or len(keys) != 1:
            continue
        for column in table.columns:
            if isinstance(column.type, sa.String) and not column.primary_key:
                yield table, column


def _holds_id_number_like(conn: Connection, column: sa.Column) -> sa.ColumnElement[bool]:
    """A cheap filter in the database for texts with 17 digits in a row, the start of an ID number, with any
    :data:`SEPARATORS` between them (the class ends with the hyphen, which PostgreSQL then takes literally)."""
    if db.is_sqlite(conn):
        compact: sa.ColumnElement = column
        for separator in SEPARATORS:
            compact = sa.func.replace(compact, separator, "")
        return compact.op("GLOB")("*" + "[0-9]" * 17 + "*")
    return column.op("~")(f"[0-9]([{SEPARATORS}]*[0-9]){{{ID_NUMBER_LENGTH - 2}}}")


def _scrub_other_tables(conn: Connection, index: _AuditIndex) -> None:
    """Wherever else a due person's ID number was typed (a leader's note, a supply counterparty…), remove it
    and, within that same text, their name and phone. A name or phone alone stays: it may be someone else's."""
    for table, column in _other_text_columns():
        key = next(iter(table.primary_key.columns))
        rows: Rows = conn.execute(sa.select(key, column).where(_holds_id_number_like(conn, column))).all()
        for row_key, text in rows:
            owners = index.by_id_number(text)
            scrubbed = _scrubbed(text, [index.people[pid] for pid in sorted(owners)])
            if scrubbed != text:
                conn.execute(table.update().where(key == row_key).values({column.name: scrubbed}))


def anonymise_people(ctx: WriteContext, older_than_days: object = None, progress: Progress | None = None) -> int:
    """Anonymise everyone due (see the module's doc) in one transaction; returns how many people.

    ``older_than_days`` overrides the setting for this run; ``progress`` is told the share of the audit
    log's search already done (0–1). Administrators only. One audit row records the run: the number of
    people, the period and the day before which their episodes ended, and no personal data.
    """
    require_admin(ctx.actor)
    days = retention_days(ctx.conn) if older_than_days is None else _checked_days(older_than_days)
    people, earliest = _load_people(ctx.conn, days)
    if people:
        episodes = _episodes_of(ctx.conn, people)
        index = _AuditIndex(people, episodes, _values_kept_by_others(ctx.conn, people))
        _anonymise_persons(ctx.conn, people)
        rewritten = _scrub_free_text(ctx.conn, index)
        _scrub_other_tables(ctx.conn, index)
        _rewrite_audit_log(ctx.conn, index, rewritten, earliest, progress)
    ctx.audit(
        "retention.anonymise",
        persons,
        after={"people": len(people), "older_than_days": days, "ended_before": ended_before(days)},
    )
    return len(people)
