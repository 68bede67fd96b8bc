"""Build the Chinese web font the app serves to screens that have no CJK font.

Wall-screen PCs and TVs often have no Chinese font, and the command post has no
internet to fetch one. This script cuts Noto Sans CJK SC (SIL Open Font
License; Debian's fonts-noto-cjk) down to the 3,755 most common characters
(GB2312 level 1), every character of the message catalogs and the sample data,
ASCII and CJK punctuation, and writes it as WOFF2 into static/. Run it again
after adding words with rare characters to the catalogs:

    pip install -r requirements-dev.txt
    python scripts/subset_font.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

ROOT = Path(__file__).resolve().parent.parent
SOURCE = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-{weight}.ttc")
SIMPLIFIED_CHINESE_FACE = 2  # the faces in the collection are JP, KR, SC, TC, HK
TEXT_SOURCES = ("locales/**/*.json", "sample_data/*.py", "sample_data/*.geojson", "data_layer/**/*.py")


def gb2312_level_1() -> str:
    """The 3,755 most common Chinese characters (rows 16–55 of GB2312)."""
    characters = []
    for row in range(0xB0, 0xD8):
        for cell in range(0xA1, 0xFF):
            try:
                characters.append(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(characters)


def project_text() -> str:
    return "".join(path.read_text(encoding="utf-8") for pattern in TEXT_SOURCES for path in ROOT.glob(pattern))


def punctuation() -> str:
    ranges = (
        (0x20, 0x7F),
        (0xA0, 0x100),
        (0x2000, 0x206F),
        (0x2190, 0x21FF),
        (0x2460, 0x24FF),
        (0x25A0, 0x25FF),
        (0x2600, 0x26FF),
        (0x3000, 0x303F),
        (0xFF00, 0xFFEF),
    )
    return "".join(chr(code) for start, end in ranges for code in range(start, end))


def build(weight: str, target: Path) -> None:
    font = TTCollection(str(SOURCE).format(weight=weight)).fonts[SIMPLIFIED_CHINESE_FACE]
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=gb2312_level_1() + project_text() + punctuation())
    subsetter.subset(font)
    font.flavor = "woff2"
    font.save(str(target))
    print(f"{target.relative_to(ROOT)}: {target.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    for weight in ("Regular", "Bold"):
        build(weight, ROOT / "static" / f"NotoSansSC-CommandPost-{weight}.woff2")
    sys.exit(0)
