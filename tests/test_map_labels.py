"""The checkpoint map's names, placed in Python on the screen the map fills: none hides another name, a
checkpoint's dot or runs off the map; the busiest checkpoints are named first, a crowded one by a shortened name
or not at all."""

from __future__ import annotations

from itertools import combinations

from ui.map_labels import Box, Screen, label_extent, place_labels

SCREEN = Screen(longitude=114.0, latitude=22.5, zoom=16, width=480, height=480)
SIZE = 26  # the wall's checkpoint names at 1920×1080
STEP = 0.0002  # degrees: about 19 pixels at zoom 16, two dots side by side


def checkpoint(name: str, dx: float, dy: float = 0, throughput: int = 0, radius: float = 8) -> dict:
    return {
        "name": name,
        "position": [SCREEN.longitude + dx * STEP, SCREEN.latitude + dy * STEP],
        "radius": radius,
        "size": SIZE,
        "throughput": throughput,
    }


def label_box(label: dict) -> Box:
    x, y = SCREEN.pixel(label["position"])
    width, height = label_extent(label["label"], label["size"])
    centre_x, centre_y = x + label["offset"][0], y + label["offset"][1]
    return Box(centre_x - width / 2, centre_y - height / 2, centre_x + width / 2, centre_y + height / 2)


def dot_box(point: dict) -> Box:
    x, y = SCREEN.pixel(point["position"])
    return Box(x - point["radius"], y - point["radius"], x + point["radius"], y + point["radius"])


def assert_clear(labels: list[dict], dots: list[dict]) -> None:
    boxes = [label_box(label) for label in labels]
    assert not [(a, b) for a, b in combinations(boxes, 2) if a.overlaps(b)]
    assert not [(box, dot) for box in boxes for dot in map(dot_box, dots) if box.overlaps(dot)]
    assert all(box.inside(SCREEN.width, SCREEN.height) for box in boxes)


def test_the_screen_puts_the_view_s_centre_in_the_middle_and_east_to_the_right_north_up():
    assert SCREEN.pixel([SCREEN.longitude, SCREEN.latitude]) == (240, 240)
    east_x, _ = SCREEN.pixel([SCREEN.longitude + STEP, SCREEN.latitude])
    _, north_y = SCREEN.pixel([SCREEN.longitude, SCREEN.latitude + STEP])
    assert 18 < east_x - 240 < 20 and north_y < 240


def test_two_close_checkpoints_names_go_below_the_busier_and_above_the_other_never_overlapping():
    busy, quiet = checkpoint("和平里北门", 0, throughput=900), checkpoint("光明村村口卡口", 1, throughput=10)
    labels, _ = place_labels([quiet, busy], [], SCREEN)
    assert [(label["label"], label["offset"][1] > 0) for label in labels] == [
        ("和平里北门", True),
        ("光明村村口卡口", False),
    ]
    assert_clear(labels, [busy, quiet])


def test_a_name_with_no_room_whole_is_shortened_and_one_with_no_room_at_all_is_left_out():
    """Five stations in a cluster: the dots below and above the busiest leave its whole name no room, nor the
    map's edges, so it is shortened to the left; the quietest, boxed in by the names around it, gets none."""
    spots = {"东": (0, 0), "南": (1, 0), "西": (3, -1.5), "北": (-3, 1.5), "中": (2, 0)}
    crowd = [
        checkpoint(f"{place}大道公交站监测点", dx, dy, throughput=100 - rank)
        for rank, (place, (dx, dy)) in enumerate(spots.items())
    ]
    labels, _ = place_labels(crowd, [], SCREEN)
    assert [label["label"] for label in labels] == ["东大道公…", "南大道公…", "西大道公交站监测点", "北大道公…"]
    assert_clear(labels, crowd)


def test_a_grid_s_name_moves_off_a_checkpoint_s_name_or_is_left_out():
    gate = checkpoint("东风新村正门", 0, dy=0.5, throughput=50)
    grids = [{"name": "第一网格", "position": gate["position"], "size": 30}]
    points, areas = place_labels([gate], grids, SCREEN)
    assert len(areas) == 1 and areas[0]["offset"] != [0, 0]
    assert_clear(points + areas, [gate])


def test_names_near_the_map_s_edge_go_where_they_stay_on_the_map():
    corner = checkpoint("春晖小区南门", 0, dy=-11.8)
    labels, _ = place_labels([corner], [], SCREEN)
    assert labels[0]["offset"][1] < 0
    assert_clear(labels, [corner])
