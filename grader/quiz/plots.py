"""Inline SVG plots for the item analysis: no image files, no external requests."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from grader.quiz.analysis import ItemStats

WIDTH, HEIGHT, MARGIN = 560, 260, 40


def histogram(percents: Sequence[float], bins: int = 10) -> Markup:
    """How many students fall in each tenth of the scale."""
    counts = [0] * bins
    for percent in percents:
        counts[min(bins - 1, max(0, int(percent // (100 / bins))))] += 1
    top = max(counts, default=0) or 1
    bar_width = (WIDTH - 2 * MARGIN) / bins
    parts = [_frame("Note (%)", "Étudiants")]
    for index, count in enumerate(counts):
        height = (HEIGHT - 2 * MARGIN) * count / top
        x = MARGIN + index * bar_width
        y = HEIGHT - MARGIN - height
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{y:.1f}" width="{bar_width - 2:.1f}" height="{height:.1f}"'
            f' fill="#4f7cc9"><title>{index * 100 // bins}–{(index + 1) * 100 // bins} % : '
            f"{count}</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar_width / 2:.1f}" y="{HEIGHT - MARGIN + 14}" font-size="10"'
            f' text-anchor="middle">{index * 100 // bins}</text>'
        )
    parts.append(
        f'<text x="{MARGIN - 4}" y="{MARGIN + 4}" font-size="10" text-anchor="end">{top}</text>'
    )
    return _svg("Distribution des notes", parts)


def facility_discrimination(items: Sequence[ItemStats]) -> Markup:
    """Each question as a dot: facility (x, 0–1) against discrimination (y, −1–1)."""
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    parts = [_frame("Facilité", "Discrimination")]
    zero_y = MARGIN + inner_h / 2
    parts.append(
        f'<line x1="{MARGIN}" y1="{zero_y}" x2="{WIDTH - MARGIN}" y2="{zero_y}"'
        ' stroke="#b3261e" stroke-dasharray="4 3"/>'
    )
    for item in items:
        if item.discrimination is None:
            continue
        x = MARGIN + inner_w * item.facility
        y = MARGIN + inner_h * (1 - (item.discrimination + 1) / 2)
        colour = "#b3261e" if item.flags else "#11703a"
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
            f"<title>{escape(item.question_id)} : F={item.facility:.2f}, "
            f"D={item.discrimination:.2f}</title></circle>"
        )
    for label, value in (("0", 0.0), ("0,5", 0.5), ("1", 1.0)):
        parts.append(
            f'<text x="{MARGIN + inner_w * value:.1f}" y="{HEIGHT - MARGIN + 14}" font-size="10"'
            f' text-anchor="middle">{label}</text>'
        )
    for label, value in (("1", 1.0), ("0", 0.0), ("−1", -1.0)):
        y = MARGIN + inner_h * (1 - (value + 1) / 2)
        parts.append(
            f'<text x="{MARGIN - 4}" y="{y + 4:.1f}" font-size="10"'
            f' text-anchor="end">{label}</text>'
        )
    return _svg("Facilité et discrimination des questions", parts)


def _frame(x_label: str, y_label: str) -> str:
    return (
        f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" y2="{HEIGHT - MARGIN}"'
        ' stroke="#333"/>'
        f'<line x1="{MARGIN}" y1="{MARGIN}" x2="{MARGIN}" y2="{HEIGHT - MARGIN}" stroke="#333"/>'
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 6}" font-size="11"'
        f' text-anchor="middle">{x_label}</text>'
        f'<text x="12" y="{HEIGHT / 2}" font-size="11" text-anchor="middle"'
        f' transform="rotate(-90 12 {HEIGHT / 2})">{y_label}</text>'
    )


def _svg(title: str, parts: list[str]) -> Markup:
    body = "".join(parts)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-label="{title}"><title>{title}</title>{body}</svg>'
    )
