"""Small, accessible SVG bar charts for the dashboard (rendered on the server, no script needed)."""

from __future__ import annotations

from html import escape

PALETTE = ("#1f5f99", "#b35806", "#2d7d46", "#6b4c9a")  # distinguishable, ≥ 3:1 on white


def bar_chart(
    title: str, labels: list[str], series: dict[str, list[int]], *, width: int = 640, height: int = 260
) -> str:
    """Stacked vertical bars; `series` maps a legend name to one value per label."""
    # Labels are rotated by 40°: long ones need room below the axis and left of the first bar.
    longest = max((len(label) for label in labels), default=0)
    first_half_step = (width - 50) / max(len(labels), 1) / 2
    left = max(40, round(4.8 * longest - first_half_step + 6))
    bottom, top = max(60, round(4.2 * longest + 36)), 30
    height += max(0, bottom - 60)
    plot_w, plot_h = width - left - 10, height - bottom - top
    totals = [sum(values[i] for values in series.values()) for i in range(len(labels))]
    peak = max(totals, default=0) or 1
    step = plot_w / max(len(labels), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="t"><title id="t">{escape(title)}</title>',
        f'<text x="{left}" y="18" font-size="14" font-family="sans-serif" fill="#1a1a1a">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 10}" y2="{top + plot_h}" stroke="#555"/>',
        f'<text x="{left - 6}" y="{top + 4}" font-size="11" text-anchor="end" font-family="sans-serif">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" font-size="11" text-anchor="end" font-family="sans-serif">0</text>',
    ]
    for i, label in enumerate(labels):
        y: float = top + plot_h
        for colour, (name, values) in zip(PALETTE * 3, series.items(), strict=False):
            h = plot_h * values[i] / peak
            if h > 0:
                y -= h
                parts.append(
                    f'<rect x="{left + i * step + step * 0.15:.1f}" y="{y:.1f}" width="{step * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{colour}"><title>{escape(label)} {escape(name)}: '
                    f"{values[i]}</title></rect>"
                )
        parts.append(
            f'<text x="{left + (i + 0.5) * step:.1f}" y="{top + plot_h + 14}" font-size="10" '
            f'text-anchor="end" font-family="sans-serif" transform="rotate(-40 {left + (i + 0.5) * step:.1f} '
            f'{top + plot_h + 14})">{escape(label)}</text>'
        )
    x = left
    for colour, name in zip(PALETTE * 3, series, strict=False):
        parts.append(
            f'<rect x="{x}" y="{height - 14}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{height - 5}" font-size="11" font-family="sans-serif">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</svg>")
    return "".join(parts)
