"""Heatmaps as inline SVG drawn on the server: a matrix of ratios in, markup out.

Pure: no models, no request. Every piece of text is escaped here, so the result is safe to
put in a template as is. Colours come from a sequential scale (light = idle, dark = full)
that stays readable for the common forms of colour blindness; cells with no value (the
clinic was closed) are grey, and each cell carries a ``<title>`` tooltip with its numbers.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from django.utils.safestring import SafeString, mark_safe

# ColorBrewer YlGnBu, 9 classes: from 0 (idle) to 1 (every seat in use).
SCALE = (
    (255, 255, 217),
    (237, 248, 177),
    (199, 233, 180),
    (127, 205, 187),
    (65, 182, 196),
    (29, 145, 192),
    (34, 94, 168),
    (37, 52, 148),
    (8, 29, 88),
)
CLOSED_FILL = "#e5e7eb"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"


def colour(value: float | None) -> str:
    """The fill for a ratio in 0..1 (clamped), interpolated along the scale; grey for None."""
    if value is None:
        return CLOSED_FILL
    position = min(max(value, 0.0), 1.0) * (len(SCALE) - 1)
    index = min(int(position), len(SCALE) - 2)
    fraction = position - index
    low, high = SCALE[index], SCALE[index + 1]
    red, green, blue = (round(a + (b - a) * fraction) for a, b in zip(low, high, strict=True))
    return f"#{red:02x}{green:02x}{blue:02x}"


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (relative luminance)."""
    red, green, blue = (int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5))
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return "#111827" if luminance > 0.45 else "#ffffff"


def percent(value: float | None) -> str:
    return "closed" if value is None else f"{value * 100:.0f}%"


@dataclass(frozen=True)
class Heatmap:
    """A matrix to draw: ``values[row][column]`` in 0..1, or None where there is nothing.

    ``column_labels`` may hold "" to leave a column unlabelled (long ranges); ``tooltips``,
    if given, has the same shape as ``values``.
    """

    values: Sequence[Sequence[float | None]]
    row_labels: Sequence[str]
    column_labels: Sequence[str]
    title: str
    description: str = ""
    tooltips: Sequence[Sequence[str]] | None = None
    id_prefix: str = "heatmap"
    cell_width: int = 30
    cell_height: int = 26
    label_width: int = 150
    header_height: int = 24
    show_values: bool = True

    def __post_init__(self) -> None:
        rows, columns = len(self.row_labels), len(self.column_labels)
        if len(self.values) != rows or any(len(row) != columns for row in self.values):
            raise ValueError(f"values must be {rows} rows of {columns} columns")
        if self.tooltips is not None and [len(r) for r in self.tooltips] != [columns] * rows:
            raise ValueError("tooltips must have the shape of values")


def _attributes(**attributes: object) -> str:
    return " ".join(
        f'{name.rstrip("_").replace("_", "-")}="{escape(str(value), quote=True)}"'
        for name, value in attributes.items()
    )


def _svg_open(**attributes: object) -> str:
    svg = _attributes(xmlns="http://www.w3.org/2000/svg", font_family=FONT, font_size=11)
    return f"<svg {svg} {_attributes(**attributes)}>"


def heatmap_svg(heatmap: Heatmap) -> SafeString:
    """The heatmap as one ``<svg>`` element, labelled for screen readers."""
    rows, columns = len(heatmap.row_labels), len(heatmap.column_labels)
    width = heatmap.label_width + columns * heatmap.cell_width + 2
    height = heatmap.header_height + rows * heatmap.cell_height + 2
    title_id, description_id = f"{heatmap.id_prefix}-title", f"{heatmap.id_prefix}-desc"
    parts = [
        _svg_open(
            class_="heatmap",
            width=width,
            height=height,
            viewBox=f"0 0 {width} {height}",
            role="img",
            aria_labelledby=f"{title_id} {description_id}",
        ),
        f'<title id="{title_id}">{escape(heatmap.title)}</title>',
        f'<desc id="{description_id}">{escape(heatmap.description)}</desc>',
        '<g class="column-labels" fill="#374151" text-anchor="middle">',
    ]
    for column, label in enumerate(heatmap.column_labels):
        if label:
            x = heatmap.label_width + column * heatmap.cell_width + heatmap.cell_width / 2
            parts.append(
                f"<text {_attributes(x=x, y=heatmap.header_height - 8)}>{escape(label)}</text>"
            )
    parts.append('</g><g class="row-labels" fill="#111827" text-anchor="end">')
    for row, label in enumerate(heatmap.row_labels):
        y = heatmap.header_height + row * heatmap.cell_height + heatmap.cell_height / 2 + 4
        parts.append(f"<text {_attributes(x=heatmap.label_width - 8, y=y)}>{escape(label)}</text>")
    parts.append('</g><g class="cells">')
    for row, values in enumerate(heatmap.values):
        y = heatmap.header_height + row * heatmap.cell_height
        for column, value in enumerate(values):
            x = heatmap.label_width + column * heatmap.cell_width
            fill = colour(value)
            tooltip = (
                heatmap.tooltips[row][column]
                if heatmap.tooltips is not None
                else f"{heatmap.row_labels[row]}, {heatmap.column_labels[column]}: {percent(value)}"
            )
            cell = _attributes(
                x=x + 1,
                y=y + 1,
                width=heatmap.cell_width - 2,
                height=heatmap.cell_height - 2,
                rx=3,
                fill=fill,
            )
            parts.append(f"<rect {cell}><title>{escape(tooltip)}</title></rect>")
            if heatmap.show_values and value is not None:
                label = _attributes(
                    x=x + heatmap.cell_width / 2,
                    y=y + heatmap.cell_height / 2 + 4,
                    fill=text_colour(fill),
                    text_anchor="middle",
                    font_size=10,
                    pointer_events="none",
                )
                parts.append(f"<text {label}>{value * 100:.0f}</text>")
    parts.append("</g></svg>")
    # Every piece of text above went through escape().
    return mark_safe("".join(parts))


def legend_svg(*, width: int = 260, id_prefix: str = "legend") -> SafeString:
    """The colour scale from 0% to 100%, and the grey used for closed cells."""
    bar_width, bar_height = width - 70, 14
    gradient_id = f"{id_prefix}-gradient"
    shares = [i / (len(SCALE) - 1) for i in range(len(SCALE))]
    stops = "".join(f'<stop offset="{s:.3f}" stop-color="{colour(s)}"/>' for s in shares)
    ticks = "".join(
        f"<text {_attributes(x=round(bar_width * share), y=bar_height + 14, text_anchor=anchor)}>"
        f"{share * 100:.0f}%</text>"
        for share, anchor in ((0, "start"), (0.5, "middle"), (1, "end"))
    )
    closed_x = bar_width + 14
    description = "Colour scale: light is idle, dark is every seat in use; grey is closed."
    closed_box = _attributes(
        x=closed_x, width=bar_height, height=bar_height, rx=3, fill=CLOSED_FILL
    )
    return mark_safe(
        _svg_open(
            class_="legend", width=width, height=bar_height + 20, role="img", aria_label=description
        )
        + f'<defs><linearGradient id="{gradient_id}">{stops}</linearGradient></defs>'
        + f'<rect width="{bar_width}" height="{bar_height}" rx="3" fill="url(#{gradient_id})"/>'
        + f'<g fill="#374151">{ticks}</g>'
        + f"<rect {closed_box}/>"
        + f'<text x="{closed_x + bar_height + 4}" y="11" fill="#374151">closed</text>'
        + "</svg>"
    )
