"""Where the checkpoint map's names go, decided in Python so that none hides another or a checkpoint's dot.

deck.gl can hide colliding labels by itself (its collision filter), but in the wall's browser it hid every one
of them; so the labels are placed here, before the map is drawn, on the screen the map fills: each checkpoint's
name just below its dot, else above, right or left of it or at one of its corners; where none of these is
clear, a shortened name; where even that is not, none (the dot's tooltip still names it). The busiest
checkpoints are placed first. Area names (grids) are drawn at their middle, a line above or below it, or not at
all, once the checkpoints' names are placed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

WORLD_PIXELS = 512  # deck.gl's world is 512 pixels wide at zoom 0
LABEL_GAP = 3  # pixels between a checkpoint's dot and its name
LABEL_PADDING = (3, 1)  # pixels of background around a name, across and up/down: the text layer's padding
WIDE_CHARACTER = 1.0  # a CJK character's width, in type sizes
NARROW_CHARACTER = 0.6  # any other character's width, in type sizes
LINE_HEIGHT = 1.2  # a label's height, in type sizes
SHORT_NAME_CHARACTERS = 4  # a shortened name keeps this many characters and an ellipsis


@dataclass(frozen=True)
class Box:
    """A rectangle on the map's screen in pixels, from its top left corner (y grows downwards)."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.left < other.right and other.left < self.right and self.top < other.bottom and other.top < self.bottom
        )

    def inside(self, width: float, height: float) -> bool:
        return self.left >= 0 and self.top >= 0 and self.right <= width and self.bottom <= height


@dataclass(frozen=True)
class Screen:
    """The map as drawn: its view (centre and zoom, as in ``pydeck.ViewState``) and its size in pixels."""

    longitude: float
    latitude: float
    zoom: float
    width: float
    height: float

    def pixel(self, position: Sequence[float]) -> tuple[float, float]:
        """Where ``position`` ([longitude, latitude]) is drawn, in pixels from the map's top left corner (Web
        Mercator, as deck.gl projects it)."""
        x, y = _world(position, self.zoom)
        centre_x, centre_y = _world((self.longitude, self.latitude), self.zoom)
        return self.width / 2 + x - centre_x, self.height / 2 + y - centre_y


def _world(position: Sequence[float], zoom: float) -> tuple[float, float]:
    size = WORLD_PIXELS * 2**zoom
    latitude = math.radians(position[1])
    x = (position[0] + 180) / 360 * size
    y = (1 - math.log(math.tan(math.pi / 4 + latitude / 2)) / math.pi) / 2 * size
    return x, y


def label_extent(text: str, size: float) -> tuple[float, float]:
    """The width and height in pixels of ``text`` drawn at type ``size`` with its background: a Chinese
    character is about as wide as the type is high, a Latin letter or digit about 0.6 of that."""
    across = sum(WIDE_CHARACTER if ord(character) >= 0x2E80 else NARROW_CHARACTER for character in text)
    return across * size + 2 * LABEL_PADDING[0], LINE_HEIGHT * size + 2 * LABEL_PADDING[1]


def short_name(name: str) -> str:
    """A name shortened to fit where the whole one does not: its first characters and an ellipsis."""
    return name if len(name) <= SHORT_NAME_CHARACTERS + 1 else name[:SHORT_NAME_CHARACTERS] + "…"


def _box(x: float, y: float, offset: tuple[float, float], extent: tuple[float, float]) -> Box:
    centre_x, centre_y = x + offset[0], y + offset[1]
    return Box(centre_x - extent[0] / 2, centre_y - extent[1] / 2, centre_x + extent[0] / 2, centre_y + extent[1] / 2)


def _dot_box(x: float, y: float, radius: float) -> Box:
    return Box(x - radius, y - radius, x + radius, y + radius)


def _beside_dot(radius: float, gap: float, extent: tuple[float, float]) -> list[tuple[float, float]]:
    """The offsets of a label's centre from its dot's centre, in the order tried: below, above, right, left, then
    the four corners (below right, below left, above right, above left), each clear of the dot by ``gap``."""
    down, across = radius + gap + extent[1] / 2, radius + gap + extent[0] / 2
    corner_down, corner_across = radius * math.sqrt(0.5) + gap + extent[1] / 2, radius * math.sqrt(0.5) + extent[0] / 2
    corners = [(x, y) for y in (corner_down, -corner_down) for x in (corner_across, -corner_across)]
    return [(0, down), (0, -down), (across, 0), (-across, 0), *corners]


def _first_clear(
    x: float,
    y: float,
    offsets: Iterable[tuple[float, float]],
    extent: tuple[float, float],
    taken: list[Box],
    screen: Screen,
) -> tuple[tuple[float, float], Box] | None:
    for offset in offsets:
        box = _box(x, y, offset, extent)
        if box.inside(screen.width, screen.height) and not any(box.overlaps(other) for other in taken):
            return offset, box
    return None


def place_labels(
    points: Sequence[dict], area_labels: Sequence[dict], screen: Screen, gap: float = LABEL_GAP
) -> tuple[list[dict], list[dict]]:
    """The labels to draw: checkpoint ``points`` (each with ``name``, ``position``, ``radius`` and ``size``, and
    ``persons`` + ``vehicles`` raw counts in ``throughput``) and ``area_labels`` (``name``, ``position``,
    ``size``), each returned with the ``label`` to write and its ``offset`` in pixels from its position; labels
    that fit nowhere clear are left out. No label overlaps another, a checkpoint's dot or the map's edge."""
    pixels = [screen.pixel(point["position"]) for point in points]
    taken = [_dot_box(x, y, point["radius"]) for point, (x, y) in zip(points, pixels, strict=True)]
    order = sorted(range(len(points)), key=lambda index: (-points[index]["throughput"], points[index]["name"]))
    placed_points = []
    for index in order:
        point, (x, y) = points[index], pixels[index]
        for text in dict.fromkeys((point["name"], short_name(point["name"]))):
            extent = label_extent(text, point["size"])
            found = _first_clear(x, y, _beside_dot(point["radius"], gap, extent), extent, taken, screen)
            if found:
                taken.append(found[1])
                placed_points.append({**point, "label": text, "offset": list(found[0])})
                break
    placed_areas = []
    for label in area_labels:
        x, y = screen.pixel(label["position"])
        extent = label_extent(label["name"], label["size"])
        found = _first_clear(x, y, ((0, 0), (0, -extent[1]), (0, extent[1])), extent, taken, screen)
        if found:
            taken.append(found[1])
            placed_areas.append({**label, "label": label["name"], "offset": list(found[0])})
    return placed_points, placed_areas
