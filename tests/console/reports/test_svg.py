"""The server-side heatmap helper: colours, shape checks, escaping. Pure: no database."""

import re
from xml.etree import ElementTree

import pytest

from backend.console.svg import (
    CLOSED_FILL,
    SCALE,
    Heatmap,
    colour,
    heatmap_svg,
    legend_svg,
    text_colour,
)

SVG = "{http://www.w3.org/2000/svg}"


def small_heatmap(**overrides) -> Heatmap:
    arguments = {
        "values": [[0.0, 0.5, None], [1.0, 0.25, 0.75]],
        "row_labels": ["Room A", "Room B"],
        "column_labels": ["Mon", "Tue", "Wed"],
        "title": "Utilization",
        "description": "Two rooms, three days.",
    }
    return Heatmap(**{**arguments, **overrides})


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "#ffffd9"), (1, "#081d58"), (-0.5, "#ffffd9"), (7, "#081d58"), (None, CLOSED_FILL)],
    ids=["idle", "full", "below-zero-clamped", "above-one-clamped", "closed"],
)
def test_colour_maps_the_ends_of_the_scale(value, expected):
    assert colour(value) == expected


def test_colour_darkens_as_utilization_rises():
    def luminance(fill: str) -> float:
        red, green, blue = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
        return 0.2126 * red + 0.7152 * green + 0.0722 * blue

    shades = [luminance(colour(i / 20)) for i in range(21)]

    assert shades == sorted(shades, reverse=True)
    assert len(SCALE) == 9


def test_text_colour_contrasts_with_the_fill():
    assert text_colour(colour(0.0)) == "#111827"
    assert text_colour(colour(1.0)) == "#ffffff"


def test_heatmap_svg_is_wellformed_with_one_rect_and_tooltip_per_cell():
    svg = heatmap_svg(small_heatmap())

    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    rects = root.findall(f".//{SVG}rect")
    assert len(rects) == 6
    assert [r.get("fill") for r in rects] == [colour(v) for v in (0.0, 0.5, None, 1.0, 0.25, 0.75)]
    tooltips = [r.find(f"{SVG}title").text for r in rects]
    assert tooltips[2] == "Room A, Wed: closed"
    assert tooltips[3] == "Room B, Mon: 100%"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Room A", "Room B", "Mon", "Tue", "Wed", "50", "100", "25"} <= set(texts)


def test_heatmap_svg_uses_given_tooltips_and_can_hide_values():
    tooltips = [["a", "b", "c"], ["d", "e", "f"]]

    root = ElementTree.fromstring(heatmap_svg(small_heatmap(tooltips=tooltips, show_values=False)))

    assert [r.find(f"{SVG}title").text for r in root.iter(f"{SVG}rect")] == list("abcdef")
    assert not any(t.text.isdigit() for t in root.iter(f"{SVG}text"))


def test_heatmap_svg_escapes_every_label():
    heatmap = small_heatmap(
        row_labels=['<b>"A"</b>', "B & B"],
        title="<script>",
        tooltips=[["<i>", "x", "y"], ["z", "w", "v"]],
    )

    svg = str(heatmap_svg(heatmap))

    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    assert "&lt;b&gt;&quot;A&quot;&lt;/b&gt;" in svg
    assert "B &amp; B" in svg
    ElementTree.fromstring(svg)


def test_heatmap_svg_skips_empty_column_labels():
    root = ElementTree.fromstring(heatmap_svg(small_heatmap(column_labels=["May 4", "", ""])))

    labels = [t.text for t in root.find(f".//{SVG}g[@class='column-labels']")]
    assert labels == ["May 4"]


def test_heatmap_svg_sizes_itself_from_the_matrix():
    svg = heatmap_svg(small_heatmap(cell_width=20, cell_height=10, label_width=100))

    width, height = (int(v) for v in re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    assert (width, height) == (100 + 3 * 20 + 2, 24 + 2 * 10 + 2)


@pytest.mark.parametrize(
    "overrides",
    [
        {"values": [[0.1, 0.2], [0.3, 0.4]]},
        {"row_labels": ["only one"]},
        {"tooltips": [["a", "b", "c"]]},
    ],
    ids=["short-rows", "missing-row", "tooltip-shape"],
)
def test_heatmap_refuses_mismatched_shapes(overrides):
    with pytest.raises(ValueError, match=r"shape|rows"):
        small_heatmap(**overrides)


def test_legend_svg_shows_the_scale_and_closed():
    root = ElementTree.fromstring(legend_svg())

    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["0%", "50%", "100%", "closed"]
    stops = root.findall(f".//{SVG}stop")
    assert (stops[0].get("stop-color"), stops[-1].get("stop-color")) == (colour(0), colour(1))
