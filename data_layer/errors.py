"""The refusals the data layer raises.

A refusal is never a bare exception text: it carries, per field, a message key
and its parameters, so that the page, the command line and the import report
can each say it in the user's language and name the field.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass

from data_layer.i18n import DEFAULT_LANGUAGE, translate


@dataclass(frozen=True)
class FieldError:
    """One thing wrong with one field.

    ``label`` is the catalog key of the field's name as the user knows it
    (``checkpoints.field.persons`` → 检测人数); ``key`` is the catalog key of the
    reason, with ``params`` for its placeholders. ``subject`` names whose field it
    is when one refusal covers the records of several people (a site's follow-up
    round: 张三 · 体温（℃）：…), so the clerk knows which row to fix.
    """

    field: str
    label: str
    key: str
    params: dict[str, object] = dataclasses.field(default_factory=dict)
    subject: str | None = None

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        return translate(
            "error.field_message" if self.subject is None else "error.subject_field_message",
            language,
            subject=self.subject,
            field=translate(self.label, language),
            reason=translate(self.key, language, **self.params),
        )


class CommandPostError(Exception, ABC):
    """Base of every refusal the data layer raises on purpose."""

    @abstractmethod
    def messages(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        """The refusal in words for the user, one line per problem."""

    def __str__(self) -> str:
        return "; ".join(self.messages("en"))


class ValidationError(CommandPostError):
    """Input that breaks a rule of design §4; nothing was written."""

    def __init__(self, errors: list[FieldError]):
        super().__init__(errors)
        self.errors = list(errors)

    @property
    def fields(self) -> list[str]:
        return [error.field for error in self.errors]

    def messages(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        return [error.message(language) for error in self.errors]


class PermissionDenied(CommandPostError):
    """The acting user's role may not do this (design §8)."""

    def __init__(self, action: str):
        super().__init__(action)
        self.action = action

    def messages(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        return [translate("error.permission_denied", language, action=translate(self.action, language))]


class DuplicateSubmission(CommandPostError):
    """The same rendered form was submitted twice; the first submission was stored. ``result`` is what the first
    one's write returned (``None`` when it is not known), for the repeat to be answered with it."""

    def __init__(self, result: object = None):
        super().__init__()
        self.result = result

    def messages(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        return [translate("error.duplicate_submission", language)]


@dataclass(frozen=True)
class RowError:
    """A bad row of an import file: its row number as the spreadsheet shows it, what is wrong with which
    column, and its sheet when the file's ledger spans several sheets."""

    row: int
    error: FieldError
    sheet: str | None = None

    @property
    def column(self) -> str:
        return self.error.field

    def column_label(self, language: str = DEFAULT_LANGUAGE) -> str:
        """The column as the user's language names it (检测人数, not ``persons``)."""
        return translate(self.error.label, language)

    def reason(self, language: str = DEFAULT_LANGUAGE) -> str:
        return translate(self.error.key, language, **self.error.params)

    def message(self, language: str = DEFAULT_LANGUAGE) -> str:
        where = translate(
            "error.import_row", language, row=self.row, column=self.column_label(language), reason=self.reason(language)
        )
        return (
            where if self.sheet is None else translate("error.import_sheet", language, sheet=self.sheet, problem=where)
        )


LISTED_PROBLEMS = 100
"""The most problems a refused import lists; the rest are counted in one line. A file of a wrong kind has a
problem in every row, and a list of thousands helps nobody fix the first."""


class ImportRejected(CommandPostError):
    """An import file with bad rows; the whole file was refused."""

    def __init__(self, row_errors: list[RowError]):
        super().__init__(row_errors)
        self.row_errors = list(row_errors)

    @property
    def listed(self) -> list[RowError]:
        """The problems a report lists: the first :data:`LISTED_PROBLEMS`, in file order."""
        return self.row_errors[:LISTED_PROBLEMS]

    def unlisted(self, language: str = DEFAULT_LANGUAGE) -> str | None:
        """The line that counts the problems not listed (``… and 50 more``), or ``None`` when all are listed."""
        more = len(self.row_errors) - len(self.listed)
        return translate("error.more_problems", language, count=more) if more else None

    def messages(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        more = self.unlisted(language)
        return [error.message(language) for error in self.listed] + ([] if more is None else [more])


class RowsRejected(CommandPostError):
    """Rows of a batch (the rows of an import file) that break rules; nothing was written.

    ``problems`` pairs the position of each bad row in the batch (0-based) with
    one of its field errors, in row order, each row's errors in the order the
    form would list them.
    """

    def __init__(self, problems: list[tuple[int, FieldError]]):
        super().__init__(problems)
        self.problems = list(problems)

    def messages(self, language: str = DEFAULT_LANGUAGE) -> list[str]:
        return [error.message(language) for _, error in self.problems]
