"""A code cell as normalised Python tokens, read with the standard `tokenize` module.

Names become one symbol (keywords, builtins and attribute names stay: a student renames their
variables, not `np.exp`), numbers and strings one symbol each, comments and blank lines are
dropped: renamed variables, changed literals, comments and spacing do not change the stream.
Import statements are dropped too: sharing `import numpy as np` says nothing.

A cell is hostile text: it may not be Python (binary noise, a half-written line, a lone
surrogate); what cannot be tokenised whole is tokenised line by line, and every cell and notebook
stops at a budget of tokens, so no input costs more than its budget.
"""

from __future__ import annotations

import builtins
import io
import keyword
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

MAX_LINE_CHARS = 1000  # a longer line is cut: no one writes code that wide
KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins))
_DROPPED = frozenset(
    {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER, tokenize.TYPE_COMMENT}
)
_SYMBOLS = {tokenize.NUMBER: "0", tokenize.STRING: '"', tokenize.NEWLINE: ";"}
_SYMBOLS |= {tokenize.INDENT: "{", tokenize.DEDENT: "}"}


@dataclass(frozen=True)
class Token:
    symbol: str  # the normalised token
    line: int  # 1-based line of the cell where it starts


def cell_tokens(source: str, budget: int) -> list[Token]:
    """At most `budget` normalised tokens of one cell, import statements left out."""
    # The tokenizer looks for a string's end to the end of the line, from each quote.
    source = "\n".join(line[:MAX_LINE_CHARS] for line in source.splitlines())
    try:
        return _without_imports(list(islice(_tokens(source), budget)))
    except (tokenize.TokenError, SyntaxError):  # not Python as a whole: each line on its own
        found: list[Token] = []
        for number, line in enumerate(source.splitlines(), start=1):
            found += _line_tokens(line.strip(), number, budget - len(found))
            if len(found) >= budget:
                break
        return _without_imports(found)


def _line_tokens(line: str, number: int, budget: int) -> list[Token]:
    found: list[Token] = []
    try:
        for token in islice(_tokens(line), budget):
            found.append(Token(token.symbol, number))
    except (tokenize.TokenError, SyntaxError):
        pass  # the tokens before the error are kept
    return found


def _tokens(source: str) -> Iterator[Token]:
    previous = ""
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type in _DROPPED or (token.type == tokenize.ERRORTOKEN and token.string.isspace()):
            continue
        yield Token(_symbol(token, previous), token.start[0])
        previous = token.string


def _symbol(token: tokenize.TokenInfo, previous: str) -> str:
    if token.type == tokenize.NAME:
        return token.string if token.string in KEPT_NAMES or previous == "." else "V"
    return _SYMBOLS.get(token.type, token.string)


def _without_imports(tokens: list[Token]) -> list[Token]:
    """Drop each logical line that starts with `import` or `from`."""
    kept: list[Token] = []
    dropping, line_start = False, True
    for token in tokens:
        if line_start and token.symbol not in ("{", "}"):
            dropping = token.symbol in ("import", "from")
        line_start = token.symbol == ";"
        if not dropping:
            kept.append(token)
    return kept
