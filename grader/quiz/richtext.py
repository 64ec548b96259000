"""Question texts as safe HTML, the same for grader's own pages and for the Moodle exports.

A text is Markdown (the default) or HTML (`format: html`, what an import of a Moodle bank
gives). Either way raw HTML is kept only through an allow-list (`nh3`, the ammonia sanitiser):
no script, no event handler, no style, no image that would fetch anything, links only to
http(s) and mailto. LaTeX between `$…$`, `$$…$$`, `\\(…\\)` or `\\[…\\]` is lifted out before
Markdown and the sanitiser see it, then put back as MathML (grader's pages: drawn offline,
without a script) or as `\\(…\\)` / `\\[…\\]` (exports).

Why exports are HTML with `\\(…\\)`, from Moodle's own source:

- question/format/xml/format.php, `trans_format`: `format="markdown"` is FORMAT_MARKDOWN, and
  `format_text` (lib/weblib.php) runs such text through `markdown_to_html` (Michelf Markdown),
  whose backslash escapes turn `\\(` into `(`: the MathJax filter then finds no formula.
  `format="html"` is FORMAT_HTML, only cleaned by HTML Purifier, which leaves text nodes alone,
  so `\\(…\\)` and `\\[…\\]` (the default delimiters of filter_mathjaxloader) reach MathJax.
- question/format/gift/format.php, `parse_text_with_format`: a leading `[html]` gives
  FORMAT_HTML; `escapedchar_pre` only turns `\\\\ \\: \\# \\= \\{ \\} \\~ \\n` into their
  characters, so a GIFT file writes `\\\\(` (or `\\(`) and Moodle stores `\\(`.
- `import_answer` reads the answers of numerical and shortanswer questions as plain text (no
  format), so those are exported as plain text, not HTML.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable
from typing import Literal

import nh3
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt

TextFormat = Literal["markdown", "html"]
MathOutput = Literal["mathml", "tex"]

MARKDOWN = MarkdownIt("commonmark", {"html": True})
# display first: $$…$$ and \[…\]; then inline: \(…\) and $…$ (not `$ 5` nor `5 $`)
MATH = re.compile(
    r"\$\$(?P<d1>.+?)\$\$|\\\[(?P<d2>.+?)\\\]|\\\((?P<i1>.+?)\\\)"
    r"|(?<![\\$])\$(?!\s)(?P<i2>[^$\n]+?)(?<!\s)\$(?!\$)",
    re.DOTALL,
)
PLACEHOLDER = re.compile(r"@@MATH(\d+)@@")
TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "ins", "kbd", "li", "mark", "ol", "p",
    "pre", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "tr", "u", "ul", "var",
}  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}
URL_SCHEMES = {"http", "https", "mailto"}


def sanitise(fragment: str) -> str:
    """HTML through the allow-list: what is not on it is dropped (its text kept, if harmless)."""
    return nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES)


@functools.lru_cache(maxsize=8192)
def to_html(
    text: str, source: TextFormat = "markdown", inline: bool = False, math: MathOutput = "mathml"
) -> str:
    """`text` as sanitised HTML with its formulas as `math` (cached: reports repeat texts)."""
    if not text:
        return ""
    formulas: list[str] = []

    def protect(match: re.Match[str]) -> str:
        display = match.group("d1") is not None or match.group("d2") is not None
        tex = next(group for group in match.group("d1", "d2", "i1", "i2") if group is not None)
        if source == "html":
            tex = html.unescape(tex)
        formulas.append(_formula(tex.strip(), display, math))
        return f"@@MATH{len(formulas) - 1}@@"

    protected = MATH.sub(protect, text)
    if source == "markdown":
        protected = MARKDOWN.renderInline(protected) if inline else MARKDOWN.render(protected)
    cleaned = sanitise(protected).strip()
    return PLACEHOLDER.sub(_restore(formulas), cleaned)


def _restore(formulas: list[str]) -> Callable[[re.Match[str]], str]:
    def restore(match: re.Match[str]) -> str:
        number = int(match.group(1))
        return formulas[number] if number < len(formulas) else match.group(0)

    return restore


def _formula(tex: str, display: bool, math: MathOutput) -> str:
    if math == "tex":
        escaped = html.escape(tex, quote=False)
        return f"\\[{escaped}\\]" if display else f"\\({escaped}\\)"
    try:
        return str(latex_to_mathml(tex, display="block" if display else "inline"))
    except Exception:  # the converter raises many types on bad TeX; show the source instead
        return f'<code class="tex">{html.escape(tex)}</code>'
