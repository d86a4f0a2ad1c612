"""Horizontal bar charts as geometry for a server-rendered inline SVG (outreach/_chart.html).

No JavaScript and no external asset: the template draws rectangles and text from these numbers,
and Django's autoescaping takes care of labels. Every chart also carries the table of its figures,
which is the text alternative of the picture.
"""

from dataclasses import dataclass, field

from django.utils.formats import number_format

# Each colour has a contrast of at least 4.5:1 on white (WCAG 1.4.11 asks 3:1 for graphics).
PALETTE = ("#0b4f8a", "#b04a00", "#1d6b36", "#7a4fa8", "#a11b1b", "#00708a", "#4a5360")

WIDTH = 420
LABEL_WIDTH = 140
VALUE_WIDTH = 44
GAP = 4
LEGEND_LINE = 16
LABEL_CHARS = 22


def short(label: str, size: int = LABEL_CHARS) -> str:
    label = str(label)
    return label if len(label) <= size else label[: size - 1].rstrip() + "…"


def _n(value: float) -> str:
    """An SVG coordinate: always a dot as decimal separator, whatever the language."""
    return f"{value:.1f}".rstrip("0").rstrip(".")


def fmt(value, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return number_format(value, decimal_pos=decimals if isinstance(value, float) else None)


@dataclass
class Chart:
    id: str
    title: str
    description: str
    height: int
    width: int = WIDTH
    label_x: int = LABEL_WIDTH - GAP
    legend: list[dict] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    table_caption: str = ""
    table_headers: list[str] = field(default_factory=list)
    table_rows: list[list[dict]] = field(default_factory=list)
    empty: bool = False


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    row_header: str,
    rows: list[tuple[str, list]],
    series: list[str],
    stacked: bool = False,
    decimals: int = 0,
    total_header: str | None = None,
    extra_columns: list[tuple[str, list]] | None = None,
) -> Chart:
    """One group of bars per row: side by side (one per series), or stacked into one bar.

    `rows` are (label, [value per series]); a None value draws nothing and reads "—".
    `extra_columns` add figures to the table only: (header, [value per row])."""
    bar_height = 16 if stacked or len(series) == 1 else 11
    group_height = bar_height if stacked else bar_height * len(series)
    row_gap = 8
    legend_height = LEGEND_LINE * len(series) + 6 if len(series) > 1 else 0
    plot_width = WIDTH - LABEL_WIDTH - GAP * 2 - VALUE_WIDTH
    sizes = [sum(v for v in values if v) if stacked else max((v or 0 for v in values), default=0) for _, values in rows]
    scale = plot_width / max([*sizes, 1])
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(series))]
    chart = Chart(
        id=chart_id,
        title=title,
        description=description,
        height=legend_height + len(rows) * (group_height + row_gap) + row_gap,
        legend=[
            {
                "x": _n(LABEL_WIDTH + GAP),
                "y": _n(i * LEGEND_LINE + 2),
                "text_x": _n(LABEL_WIDTH + GAP + 18),
                "text_y": _n(i * LEGEND_LINE + 12),
                "colour": c,
                "label": s,
            }
            for i, (s, c) in enumerate(zip(series, colours, strict=True))
        ]
        if len(series) > 1
        else [],
        table_caption=title,
        empty=not any(sizes),
    )
    x0 = LABEL_WIDTH + GAP
    for index, (label, values) in enumerate(rows):
        top = legend_height + row_gap + index * (group_height + row_gap)
        bars, offset = [], 0.0
        for position, (value, colour, name) in enumerate(zip(values, colours, series, strict=True)):
            if not value:
                continue
            width = max(value * scale, 1)
            bars.append(
                {
                    "x": _n(x0 + (offset if stacked else 0)),
                    "y": _n(top if stacked else top + position * bar_height),
                    "width": _n(width),
                    "height": _n(bar_height - (0 if stacked else 1)),
                    "colour": colour,
                    "tip": f"{name}: {fmt(value, decimals)}",
                }
            )
            if stacked:
                offset += width
        if stacked:
            texts = [{"y": _n(top + bar_height / 2 + 4), "x": _n(x0 + offset + GAP), "text": fmt(sizes[index])}]
        else:
            texts = [
                {
                    "y": _n(top + position * bar_height + bar_height / 2 + 3),
                    "x": _n(x0 + (value or 0) * scale + GAP),
                    "text": fmt(value, decimals),
                }
                for position, value in enumerate(values)
            ]
        chart.rows.append(
            {
                "label": str(label),
                "short_label": short(label),
                "label_y": _n(top + group_height / 2 + 4),
                "bars": bars,
                "texts": texts,
            }
        )
    extra_columns = extra_columns or []
    chart.table_headers = [
        row_header,
        *[header for header, _ in extra_columns],
        *series,
        *([total_header] if stacked and total_header else []),
    ]
    for index, (label, values) in enumerate(rows):
        cells = [
            str(label),
            *[fmt(column[index], decimals) for _, column in extra_columns],
            *[fmt(value, decimals) for value in values],
            *([fmt(sizes[index])] if stacked and total_header else []),
        ]
        chart.table_rows.append(
            [{"header": header, "value": cell} for header, cell in zip(chart.table_headers, cells, strict=True)]
        )
    return chart
