"""User text inside Markdown: shown as typed, never read as Markdown.

Names, notes and reasons typed by clerks reach Markdown in many places: Streamlit renders the body of
``st.markdown``, captions, alerts and every widget label as Markdown (with its own ``:red[…]`` colour
directives, images and links), and the briefing downloads as a ``.md`` file. A name such as
``![x](http://host/beacon)`` or ``:red[发热 99 人]`` would otherwise load an image from elsewhere or draw a
fake alert. :func:`plain` is the one place that turns such text into Markdown that shows it literally; the
pages and :func:`data_layer.briefing.render_markdown` pass every user text through it, and keep the Markdown
of their own messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

# Characters that are Markdown wherever they stand: emphasis, code, links and images, HTML, tables,
# strikethrough, maths, entities, e-mail links, and the escape itself.
ANYWHERE = re.compile(r"([\\`*_\[\]<>|~$&@])")
# A colon before a letter starts a Streamlit directive (":red[", ":material/") and before a slash a web address.
DIRECTIVE_OR_ADDRESS_COLON = re.compile(r":(?=[A-Za-z/])")
WWW_DOT = re.compile(r"(?i)(?<![a-z0-9])(www)\.")  # "www.host" becomes a link
LIST_NUMBER = re.compile(r"^(\d+)([.)])")  # "1." or "1)" at a line's start starts a list
BLOCK_START = re.compile(r"^([#>+=-])")  # a heading, quote, list, or a heading's or a rule's line
BLANK_LINES = re.compile(r"\n\s*\n")
LINE_BREAKS = re.compile(r"\s*[\r\n]\s*")
UserText = Callable[[str], str]  # how a name or note typed by a user is written: as is, or escaped for Markdown


def as_typed(text: str) -> str:
    """User text where nothing is read as Markdown (a Word document, a table cell, HTML that is escaped itself)."""
    return text


def plain(text: object, *, keep_lines: bool = False) -> str:
    """``text`` as Markdown that renders exactly that text: every character Markdown could read as syntax there
    is escaped. A name or reason is written on one line (its line breaks become spaces, so it cannot end a table
    row or start a block); with ``keep_lines`` (a leader's notes) each line keeps its break as a hard line
    break and blank lines still separate paragraphs, so no line can start a heading, list, quote, code block
    or table either."""
    text = str(text).replace("\r\n", "\n").replace("\r", "\n").strip()
    if not keep_lines:
        return _escaped(LINE_BREAKS.sub(" ", text))
    return "\n\n".join(
        "  \n".join(_escaped(line) for line in paragraph.split("\n") if line.strip())
        for paragraph in BLANK_LINES.split(text)
        if paragraph.strip()
    )


def _escaped(line: str) -> str:
    """One line with every character that would start Markdown syntax escaped; other punctuation (a time's colon,
    a date's dashes, a file name's dot) stays as typed, so a message reads the same as before."""
    line = ANYWHERE.sub(r"\\\1", line.strip())
    line = DIRECTIVE_OR_ADDRESS_COLON.sub(r"\\:", line)
    line = WWW_DOT.sub(r"\1\\.", line)
    line = LIST_NUMBER.sub(r"\1\\\2", line)
    return BLOCK_START.sub(r"\\\1", line)
