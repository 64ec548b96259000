"""Finding and parsing structured answers in a model's output: JSON, XML, HTML and SQL.

Outputs are hostile: the scans are bounded (MAX_STARTS tries, SQL of MAX_SQL characters),
nesting too deep for the parsers is a failure, XML entity declarations are refused before expat
sees them, and no parser fetches anything. Messages are French, for the student's report.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

MAX_STARTS = 200  # places where a JSON or XML document may start, tried in order
MAX_SQL = 20_000  # characters: sqlglot takes ~9 s on 170 000 (10 000 joins)
_FENCE = r"```[ \t]*{lang}[^\n]*\n(.*?)```"
_JSON_FENCE = re.compile(_FENCE.format(lang="json"), re.IGNORECASE | re.DOTALL)
_SQL_FENCE = re.compile(_FENCE.format(lang="sql"), re.IGNORECASE | re.DOTALL)
_JSON_START = re.compile(r"[\[{]")


def json_documents(text: str) -> list[Any]:
    """The JSON values in `text`: each fenced ```json block first, then every object or array
    that parses where a `{` or `[` starts, outside a value already found."""
    found: list[Any] = []
    for block in _JSON_FENCE.findall(text):
        try:
            found.append(json.loads(block))
        except (ValueError, RecursionError):
            continue
    decoder = json.JSONDecoder()
    position = 0
    for _ in range(MAX_STARTS):
        start = _JSON_START.search(text, position)
        if start is None:
            break
        try:
            value, end = decoder.raw_decode(text, start.start())
        except (ValueError, RecursionError):
            position = start.start() + 1
            continue
        found.append(value)
        position = end
    return found


@dataclass(frozen=True)
class XmlVerdict:
    root: ElementTree.Element | None
    problem: str  # French; empty when root is set


def parse_xml(text: str) -> XmlVerdict:
    if "<!ENTITY" in text.upper():
        return XmlVerdict(None, "déclaration d'entité XML refusée")
    try:
        return XmlVerdict(ElementTree.fromstring(text.strip()), "")
    except ElementTree.ParseError as exc:
        line, column = exc.position
        return XmlVerdict(None, f"XML mal formé (ligne {line}, colonne {column + 1})")
    except RecursionError:
        return XmlVerdict(None, "XML trop imbriqué")
    except UnicodeEncodeError:  # a lone surrogate: no XML character
        return XmlVerdict(None, "XML mal formé (caractère invalide)")


_XML_OPEN = re.compile(r"<([A-Za-z_][\w.-]*)[^<>]*?(/?)>")


def find_xml(text: str) -> XmlVerdict:
    """The first well-formed element in `text`: from an opening tag to its last closing tag."""
    for tries, match in enumerate(_XML_OPEN.finditer(text)):
        if tries >= MAX_STARTS:
            break
        name = match.group(1)
        end = match.end() if match.group(2) else text.rfind(f"</{name}>") + len(name) + 3
        if end > match.start() + len(name) + 2:
            verdict = parse_xml(text[match.start() : end])
            if verdict.root is not None:
                return verdict
    return XmlVerdict(None, "aucun élément XML bien formé dans la sortie")


def missing_paths(root: ElementTree.Element, paths: Sequence[str]) -> list[str]:
    """The dotted paths ("analyse.classe") whose elements the document lacks."""
    missing = []
    for path in paths:
        first, *rest = path.split(".")
        if root.tag != first or (rest and root.find("/".join(rest)) is None):
            missing.append(path)
    return missing


_HTML_NAMES = """a abbr article aside b blockquote body br button caption code div dl dd dt em
footer form h1 h2 h3 h4 h5 h6 head header hr html i img input label li link main meta nav ol
option p pre section select small span strong style sub sup table tbody td textarea tfoot th
thead title tr u ul"""
HTML_ELEMENTS = frozenset(_HTML_NAMES.split())


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.tags.append(tag)


def html_elements(text: str) -> list[str]:
    """The known HTML elements opened in `text`, in order."""
    parser = _Tags()
    parser.feed(text)
    parser.close()
    return [tag for tag in parser.tags if tag in HTML_ELEMENTS]


def is_html_document(text: str) -> bool:
    """The whole output is HTML: it starts with a tag or doctype, ends with a tag, and opens
    at least one known HTML element."""
    stripped = text.strip()
    return stripped.startswith("<") and stripped.endswith(">") and bool(html_elements(stripped))


@dataclass(frozen=True)
class SqlVerdict:
    tables: tuple[str, ...]  # every table the statements read or write, lower-cased
    problem: str  # French; empty when the text is SQL


def sql_block(text: str) -> str:
    """A fenced ```sql block if there is one, else the whole output."""
    match = _SQL_FENCE.search(text)
    return match.group(1) if match else text


def parse_sql(text: str, dialect: str | None) -> SqlVerdict:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    if len(text) > MAX_SQL:
        return SqlVerdict(
            (), f"SQL trop long pour être analysé ({len(text)} caractères, {MAX_SQL} au plus)"
        )
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" (ligne {first.get('line')}, colonne {first.get('col')})" if first else ""
        reason = str(first.get("description", "")) or "syntaxe invalide"
        return SqlVerdict((), f"SQL invalide{where} : {reason}")
    except (TokenError, RecursionError) as exc:
        return SqlVerdict((), f"SQL invalide : {str(exc)[:200]}")
    kinds = (exp.Query, exp.DML, exp.DDL, exp.Drop, exp.Alter)
    if not statements or not all(isinstance(s, kinds) for s in statements):
        return SqlVerdict((), "pas une requête SQL (SELECT, INSERT, UPDATE, DELETE, CREATE…)")
    ctes = {cte.alias_or_name.lower() for s in statements for cte in s.find_all(exp.CTE)}
    tables = {
        table.name.lower()
        for s in statements
        for table in s.find_all(exp.Table)
        if table.name and table.name.lower() not in ctes
    }
    return SqlVerdict(tuple(sorted(tables)), "")
