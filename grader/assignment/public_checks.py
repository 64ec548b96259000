"""The checks module students receive: the public checks and exactly what they need.

A released checks.py must hold nothing of the hidden checks: not their functions, and not the
module-level constants, helpers and imports only they use (an input pool, a second reference).
So it is built, not filtered:

- the public checks are those `load_checks` found and did not mark hidden, each defined by a
  top-level `def` or by a top-level `name = make_check(...)` (a check a function returns);
- a top-level statement is shipped when a public check needs it, transitively: a name that code
  run at module level, or a function's body (as CPython's symbol table sees its globals), refers
  to needs every top-level statement that binds that name;
- an import is shipped with only the names needed; `from __future__` imports are kept; the module
  docstring, comments between statements and top-level statements that bind no needed name are not.

Release is refused (ConfigError, with the lines) when that cannot hold: a public check needs a
hidden check's function, a needed statement also binds a name only hidden checks use
(`PUBLIC, POOL = ...`), or a check is defined neither way (in an `if`, made in a loop). A name
that public and hidden checks both use is the public checks' and is shipped.
"""

from __future__ import annotations

import ast
import copy
import symtable
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.checks.runner import Check
from grader.errors import ConfigError

HEADER = (
    '"""Public checks of this assignment, released by grader: the hidden ones run at grading."""'
)
NESTED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
COMPOUND = (
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.ClassDef,
    ast.If,
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.Try,
    ast.TryStar,
    ast.Match,
)


@dataclass
class _Statement:
    node: ast.stmt
    first: int  # its first line, decorators included
    binds: set[str]  # module-level names it binds
    needs: set[str]  # module-level names it refers to


def public_checks_source(path: Path, checks: list[Check]) -> str:
    """The source of the released checks.py: see the module's docstring."""
    source = path.read_text(encoding="utf-8")
    statements = _statements(source, str(path))
    for statement in statements:
        if any(_import_binding(a) == "*" for a in getattr(statement.node, "names", [])):
            raise ConfigError(
                path,
                "`import *`: release cannot tell which names the public checks need",
                line=statement.first,
            )
    public, hidden = _check_statements(path, statements, checks)
    shipped = _closure(public, statements)
    _refuse_hidden_material(path, shipped, hidden, statements)
    needed = set().union(*(s.needs for s in shipped)) | set().union(*(s.binds for s in public))
    text, previous = HEADER, "compound"
    for statement in statements:
        if any(statement is s for s in shipped) or _is_future(statement.node):
            kind = _kind(statement.node)
            text += "\n\n\n" if "compound" in (kind, previous) else "\n\n"[: 1 + (kind != previous)]
            text += _text(source, statement, needed)
            previous = kind
    return text + "\n"


def _statements(source: str, filename: str) -> list[_Statement]:
    module = ast.parse(source, filename)
    table = symtable.symtable(source, filename, "exec")
    nested = list(_tables(table))
    statements = []
    for node in module.body:
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        last = node.end_lineno or node.lineno
        needs = set(_module_level_loads(node))
        for inner in nested:
            if first <= inner.get_lineno() <= last:
                needs |= {s.get_name() for s in inner.get_symbols() if s.is_global()}
        statements.append(_Statement(node, first, set(_bound_names(node)), needs))
    return statements


def _tables(table: symtable.SymbolTable) -> Iterator[symtable.SymbolTable]:
    for child in table.get_children():
        yield child
        yield from _tables(child)


def _module_level_loads(node: ast.AST) -> Iterator[str]:
    """Names read by the code a statement runs at module level (not in function bodies)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.Name) and isinstance(current.ctx, ast.Load):
            yield current.id
        pending.extend(_module_level_children(current))


def _module_level_children(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        arguments = node.args
        defaults = [*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]
        decorators = [] if isinstance(node, ast.Lambda) else node.decorator_list
        return [*decorators, *defaults]
    if isinstance(node, ast.ClassDef):
        return [*node.decorator_list, *node.bases, *node.keywords]
    if isinstance(node, COMPREHENSIONS):
        return [node.generators[0].iter]
    return list(ast.iter_child_nodes(node))


def _bound_names(node: ast.AST) -> Iterator[str]:
    """Module-level names a statement binds (not those bound inside its functions)."""
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            yield current.name
        elif isinstance(current, ast.Name) and isinstance(current.ctx, ast.Store | ast.Del):
            yield current.id
        elif isinstance(current, ast.Import | ast.ImportFrom):
            yield from (_import_binding(alias) for alias in current.names)
        if not isinstance(current, NESTED):
            pending.extend(ast.iter_child_nodes(current))


def _import_binding(alias: ast.alias) -> str:
    return alias.asname or alias.name.partition(".")[0]


def _check_statements(
    path: Path, statements: list[_Statement], checks: list[Check]
) -> tuple[list[_Statement], list[_Statement]]:
    """The statements defining the public checks and those defining the hidden ones."""
    defining = {
        (name, s.first): s
        for s in statements
        if isinstance(s.node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Assign)
        for name in s.binds
    }
    public: list[_Statement] = []
    hidden: list[_Statement] = []
    for check in checks:
        statement = defining.get((check.name, check.line))
        if statement is None:
            raise ConfigError(
                path,
                f"check '{check.id}' is not a top-level function of checks.py: release cannot "
                "tell what it needs from what it hides; define it with `def` at the top level "
                "(or bind what a function returns: `name = make_check(...)`)",
                line=check.line,
            )
        (hidden if check.hidden else public).append(statement)
    return public, hidden


def _closure(roots: list[_Statement], statements: list[_Statement]) -> list[_Statement]:
    """`roots` and every statement they need, transitively."""
    binders: dict[str, list[_Statement]] = {}
    for statement in statements:
        for name in statement.binds:
            binders.setdefault(name, []).append(statement)
    shipped: list[_Statement] = []
    pending = list(roots)
    while pending:
        statement = pending.pop()
        if any(statement is s for s in shipped):
            continue
        shipped.append(statement)
        for name in statement.needs:
            pending.extend(binders.get(name, []))
    return shipped


def _refuse_hidden_material(
    path: Path, shipped: list[_Statement], hidden: list[_Statement], statements: list[_Statement]
) -> None:
    """No hidden check, and no name only hidden checks use, in what is shipped."""
    shipped_ids = {id(s) for s in shipped}
    for statement in hidden:
        if id(statement) in shipped_ids:
            raise ConfigError(
                path,
                f"hidden check `{_name(statement)}` is used by a public check "
                f"({_users(statement, shipped)}): it would ship to students",
                line=statement.first,
            )
    hidden_reach = [s for s in _closure(hidden, statements) if id(s) not in shipped_ids]
    hidden_only = set().union(*(s.needs | s.binds for s in hidden_reach))
    hidden_only -= set().union(*(s.needs for s in shipped))
    for statement in shipped:
        leaked = sorted(statement.binds & hidden_only)
        if leaked and not isinstance(statement.node, ast.Import | ast.ImportFrom):
            names = ", ".join(f"`{name}`" for name in leaked)
            raise ConfigError(
                path,
                f"this statement binds {names}, used only by hidden checks, and what public "
                "checks need: split it so that release can leave the hidden part out",
                line=statement.first,
            )


def _name(statement: _Statement) -> str:
    return getattr(statement.node, "name", "?")


def _users(statement: _Statement, shipped: list[_Statement]) -> str:
    lines = sorted(s.first for s in shipped if statement.binds & s.needs and s is not statement)
    return ", ".join(f"line {line}" for line in lines) or "a public check"


def _kind(node: ast.stmt) -> str:
    """Statements of one kind are written together; defs and classes two lines apart."""
    if isinstance(node, COMPOUND):
        return "compound"
    return "import" if isinstance(node, ast.Import | ast.ImportFrom) else "simple"


def _is_future(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _text(source: str, statement: _Statement, needed: set[str]) -> str:
    """The statement as written; an import keeps only the names needed."""
    node = statement.node
    if isinstance(node, ast.Import | ast.ImportFrom) and not _is_future(node):
        trimmed = copy.copy(node)
        trimmed.names = [alias for alias in node.names if _import_binding(alias) in needed]
        return ast.unparse(trimmed)
    if isinstance(node, COMPOUND):  # whole lines, from its first decorator
        return "\n".join(source.splitlines()[statement.first - 1 : node.end_lineno])
    return ast.get_source_segment(source, node) or ast.unparse(node)  # not the line's neighbours
