"""Trend charts drawn as inline SVG on the server: no script, no CDN, nothing inline-styled
(the Content-Security-Policy allows styles from our own origin only; SVG presentation
attributes are not styles)."""

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from portal.statistics.lib import Period, number

WIDTH, HEIGHT = 320, 120
PAD_X, PAD_TOP, PAD_BOTTOM = 8, 12, 22


def trend_svg(points: list[tuple[Period, object]], *, label: str) -> SafeString:
    """A line over the months with a dot per snapshot; a gap where a month has none."""
    values = [number(value) for _, value in points]
    known = [value for value in values if value is not None]
    low, high = (min(known), max(known)) if known else (Decimal(0), Decimal(0))
    if low == high:  # a flat series runs through the middle, not along the axis
        low, high = low - 1, high + 1
    span = high - low
    step = (WIDTH - 2 * PAD_X) / max(len(points) - 1, 1)
    plot_height = HEIGHT - PAD_TOP - PAD_BOTTOM

    def xy(index: int, value: Decimal) -> tuple[str, str]:
        x = PAD_X + index * step
        y = PAD_TOP + plot_height - float((value - low) / span) * plot_height
        return f"{x:.1f}", f"{y:.1f}"

    # Consecutive known months form one polyline; a missing month breaks the line.
    runs: list[list[tuple[str, str]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            runs.append([])
        else:
            runs[-1].append(xy(index, value))
    lines = format_html_join(
        "",
        '<polyline points="{}" fill="none" stroke="#0b5cad" stroke-width="2"/>',
        ((" ".join(f"{x},{y}" for x, y in run),) for run in runs if len(run) > 1),
    )
    dots = format_html_join(
        "",
        '<circle cx="{}" cy="{}" r="3" fill="#0b5cad"><title>{}: {}</title></circle>',
        (
            (*xy(index, value), str(points[index][0]), points[index][1])
            for index, value in enumerate(values)
            if value is not None
        ),
    )
    axis = format_html(
        '<text x="{}" y="{}" font-size="11" fill="#616e7c">{}</text>'
        '<text x="{}" y="{}" font-size="11" fill="#616e7c" text-anchor="end">{}</text>',
        PAD_X,
        HEIGHT - 6,
        str(points[0][0]) if points else "",
        WIDTH - PAD_X,
        HEIGHT - 6,
        str(points[-1][0]) if points else "",
    )
    return format_html(
        '<svg class="trend" viewBox="0 0 {} {}" width="100%" role="img" aria-label="{}" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#d9e2ec"/>{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        label,
        PAD_X,
        HEIGHT - PAD_BOTTOM,
        WIDTH - PAD_X,
        HEIGHT - PAD_BOTTOM,
        lines,
        dots,
        axis,
    )
