"""Report sections that checks produce: builders for check authors, renderers for the report.

A check builds a section in the grader process (never in the kernel) and returns it, or attaches
it to its CheckFailed; the section travels as plain JSON in the GradeReport and is drawn here:

    raise CheckFailed(message, section=array_comparison(got, expected, "poids d'attention"))

What a student sees of a hidden check's section is decided in grader.checks.runner (_as_shown).
"""

from __future__ import annotations

import base64
import difflib
import importlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from markupsafe import Markup, escape

from grader import formats
from grader.report.i18n import Lang, translator
from grader.results import FIGURE_BYTES, PNG_MAGIC, Section, figure_png

WINDOW = 8  # rows and columns of an array shown around its worst cell
HEATMAP_CELLS = 16  # rows and columns drawn in an attention heatmap at most
WORST_CELLS = 3


def array_comparison(
    got: Any, expected: Any, what: str, rtol: float = 1e-5, atol: float = 1e-8
) -> Section:
    """A window of at most WINDOW x WINDOW cells around the worst one, both arrays side by side;
    of arrays whose shapes differ, the two shapes only (no cell compares with another)."""
    values = np.asarray(got, dtype=np.float64)
    reference = np.asarray(expected, dtype=np.float64)
    if values.shape != reference.shape:
        shapes = {"got_shape": list(values.shape), "expected_shape": list(reference.shape)}
        return Section(kind="shapes", title=what, data={"what": what, **shapes})
    with np.errstate(invalid="ignore"):  # inf - inf is NaN: counted as the worst below
        excess = np.abs(values - reference) - (atol + rtol * np.abs(reference))
    excess = np.where(np.isnan(excess), np.inf, excess)
    worst = np.unravel_index(int(np.argmax(excess)), excess.shape) if excess.size else ()
    # Reduce to the 2-D slice holding the worst cell: leading indices fixed there.
    lead = tuple(int(i) for i in worst[:-2]) if values.ndim > 2 else ()
    plane_got = np.atleast_2d(values[lead] if lead else values)
    plane_ref = np.atleast_2d(reference[lead] if lead else reference)
    plane_excess = np.atleast_2d(excess[lead] if lead else excess)
    row, col = (int(worst[-2]) if values.ndim >= 2 else 0), (int(worst[-1]) if values.ndim else 0)
    top = _window_start(row, plane_got.shape[0])
    left = _window_start(col, plane_got.shape[1])
    window = (slice(top, top + WINDOW), slice(left, left + WINDOW))
    flat = plane_excess[window].ravel()
    ranked = [int(i) for i in np.argsort(-flat)[:WORST_CELLS] if flat[i] > 0]
    return Section(
        kind="array",
        title=what,
        data={
            "what": what,
            "shape": list(values.shape),
            "lead": list(lead),
            "top": top,
            "left": left,
            "got": _rounded(plane_got[window]),
            "expected": _rounded(plane_ref[window]),
            "worst": [list(divmod(i, plane_got[window].shape[1])) for i in ranked],
        },
    )


def attention_heatmaps(got: Any, expected: Any, what: str, tokens: Sequence[str] = ()) -> Section:
    """The student's and the reference's attention weights (one head: a 2-D matrix)."""
    values = np.asarray(got, dtype=np.float64)
    reference = np.asarray(expected, dtype=np.float64)
    while values.ndim > 2:  # the first batch element and head: what a student reads first
        values, reference = values[0], reference[0]
    cut = (slice(0, HEATMAP_CELLS), slice(0, HEATMAP_CELLS))
    return Section(
        kind="attention",
        title=what,
        data={
            "got": _rounded(np.atleast_2d(values)[cut]),
            "expected": _rounded(np.atleast_2d(reference)[cut]),
            "tokens": [str(t) for t in tokens][:HEATMAP_CELLS],
        },
    )


def token_alignment(got: Sequence[str], expected: Sequence[str], what: str) -> Section:
    return Section(
        kind="tokens",
        title=what,
        data={"got": [str(t) for t in got], "expected": [str(t) for t in expected]},
    )


def student_text(text: str, title: str, note: str | None = None) -> Section:
    """The student's own words (a comment marked by hand), quoted for the instructor."""
    return Section(kind="student-text", title=title, data={"text": text, "note": note})


def student_figure(png: bytes, cell: int, title: str) -> Section | None:
    """The image a student's cell displayed (their own material), or None if it is not a PNG
    within FIGURE_BYTES."""
    if not is_png(png):
        return None
    return Section(
        kind="figure",
        title=title,
        data={"cell": cell, "png": base64.b64encode(png).decode("ascii")},
    )


def is_png(data: bytes) -> bool:
    return data.startswith(PNG_MAGIC) and len(data) <= FIGURE_BYTES


# --- renderers: section data (plain JSON) and the report's language -> an HTML fragment ---


def render_array(data: dict[str, Any], lang: Lang) -> str:
    t = translator(lang)
    worst = {tuple(cell) for cell in data["worst"]}
    where = "".join(f"[{i}]" for i in data["lead"])
    caption = (
        f"{escape(data['what'])}{escape(where)} — {'×'.join(map(str, data['shape']))}"
        f" · {t('worst_cells')}"
    )
    tables = []
    for key in ("got", "expected"):
        rows = []
        for r, line in enumerate(data[key]):
            cells = "".join(
                f'<td class="num{" worst" if (r, c) in worst else ""}">{_number(v, lang)}</td>'
                for c, v in enumerate(line)
            )
            rows.append(f'<tr><th class="num">{data["top"] + r}</th>{cells}</tr>')
        header = "".join(
            f'<th class="num">{data["left"] + c}</th>' for c in range(len(data[key][0]))
        )
        tables.append(
            f'<div class="pane"><table class="grid"><caption>{t(key)}</caption>'
            f"<thead><tr><th></th>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
        )
    return f'<p class="meta">{caption}</p><div class="panes">{"".join(tables)}</div>'


def render_shapes(data: dict[str, Any], lang: Lang) -> str:
    t = translator(lang)
    got, expected = (_shape(data[key]) for key in ("got_shape", "expected_shape"))
    sentence = t("shapes_differ", what=data["what"], got=got, expected=expected)
    return f'<p class="meta">{escape(sentence)}</p>'


def _shape(dimensions: list[int]) -> str:
    return "×".join(map(str, dimensions)) if dimensions else "()"


def render_attention(data: dict[str, Any], lang: Lang) -> str:
    t = translator(lang)
    panes = [
        f'<figure class="pane">{_heatmap(data[key], data["tokens"], t(label), lang)}'
        f"<figcaption>{t(label)}</figcaption></figure>"
        for key, label in (("got", "your_weights"), ("expected", "reference_weights"))
    ]
    return f'<div class="panes">{"".join(panes)}</div>'


def render_tokens(data: dict[str, Any], lang: Lang) -> str:
    t = translator(lang)
    got, expected = data["got"], data["expected"]
    rows = []
    first_difference = None
    matcher = difflib.SequenceMatcher(a=got, b=expected, autojunk=False)
    for op, g1, g2, e1, e2 in matcher.get_opcodes():
        for k in range(max(g2 - g1, e2 - e1)):
            mine = got[g1 + k] if g1 + k < g2 else ""
            theirs = expected[e1 + k] if e1 + k < e2 else ""
            if op != "equal" and first_difference is None:
                first_difference = g1 + k
            css = "passed" if op == "equal" else "failed"
            rows.append(
                f'<tr class="{css}"><td><code>{_visible(mine)}</code></td>'
                f"<td><code>{_visible(theirs)}</code></td></tr>"
            )
    verdict = (
        t("tokens_match")
        if first_difference is None
        else t("first_difference", index=first_difference)
    )
    return (
        f'<p class="meta">{escape(verdict)}</p><table class="tokens"><thead><tr>'
        f"<th>{t('your_tokens')}</th><th>{t('reference_tokens')}</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_student_text(data: dict[str, Any], lang: Lang) -> str:
    """The text as the student wrote it (line breaks kept), with an optional note above it."""
    note = f"<p>{escape(str(data['note']))}</p>" if data.get("note") else ""
    text = escape(str(data.get("text", "")))
    return f'{note}<blockquote style="white-space: pre-wrap">{text}</blockquote>'


def render_figure(data: dict[str, Any], lang: Lang) -> str:
    """The student's figure, from data read back from a results file: base64 of a PNG only."""
    t = translator(lang)
    cell, png = data.get("cell"), figure_png(data.get("png"))
    if png is None or not isinstance(cell, int) or isinstance(cell, bool):
        return f'<p class="meta">{escape(t("figure_unreadable"))}</p>'
    caption = escape(t("figure_of_cell", cell=cell + 1))
    return (
        f'<figure class="student-figure"><img alt="{caption}" style="max-width:100%" '
        f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


SectionRenderer = Callable[[dict[str, Any], Lang], str]

# Renderers by section kind: a function, or the "module:function" of one that a package above
# the report provides (imported when a report first draws that kind). A new kind is one line.
SECTION_RENDERERS: dict[str, SectionRenderer | str] = {
    "array": render_array,
    "shapes": render_shapes,
    "attention": render_attention,
    "tokens": render_tokens,
    "bench": "grader.bench.report:render_bench_kind",
    "student-text": render_student_text,
    "figure": render_figure,
}


def render_section(section: dict[str, Any], lang: Lang = "fr") -> Markup:
    return Markup(section_renderer(section["kind"])(section["data"], lang))


def section_renderer(kind: str) -> SectionRenderer:
    renderer = SECTION_RENDERERS.get(kind)
    if renderer is None:
        raise ValueError(f"no renderer for report sections of kind {kind!r}")
    if isinstance(renderer, str):
        module, function = renderer.split(":")
        renderer = SECTION_RENDERERS[kind] = getattr(importlib.import_module(module), function)
    return renderer


def _heatmap(matrix: list[list[float]], tokens: Sequence[str], label: str, lang: Lang) -> str:
    size, pad = 18, 40 if tokens else 4
    rows, cols = len(matrix), len(matrix[0]) if matrix else 0
    width, height = pad + cols * size + 2, pad + rows * size + 2
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(label)}" style="max-width:100%;width:{width * 1.5:.0f}px">'
    ]
    for r, line in enumerate(matrix):
        for c, weight in enumerate(line):
            shade = max(0.0, min(1.0, weight if weight == weight else 0.0))  # NaN drawn blank
            red, green, blue = (int(255 - k * shade) for k in (200, 140, 60))
            parts.append(
                f'<rect x="{pad + c * size}" y="{pad + r * size}" width="{size}" height="{size}" '
                f'fill="rgb({red},{green},{blue})">'
                f"<title>{r},{c}: {_number(weight, lang)}</title></rect>"
            )
    for i, token in enumerate(tokens[: max(rows, cols)]):
        name = escape(token[:5])
        if i < cols:
            parts.append(
                f'<text x="{pad + i * size + size / 2}" y="{pad - 4}" font-size="8" '
                f'text-anchor="middle">{name}</text>'
            )
        if i < rows:
            parts.append(
                f'<text x="{pad - 3}" y="{pad + i * size + size * 0.7}" font-size="8" '
                f'text-anchor="end">{name}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _window_start(index: int, length: int) -> int:
    return max(0, min(index - WINDOW // 2, length - WINDOW))


def _rounded(matrix: np.ndarray) -> list[list[float]]:
    return [[float(f"{v:.4g}") if np.isfinite(v) else float(v) for v in row] for row in matrix]


def _number(value: float, lang: Lang) -> str:
    return formats.number(float(value), lang)


def _visible(token: str) -> str:
    """Spaces and newlines shown, as a tokenizer's output needs."""
    return str(escape(token.replace(" ", "␣").replace("\n", "↵"))) if token else "—"
